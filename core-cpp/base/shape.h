// Shapes: a list of int64 dims, with the helpers every op's shape rule uses.
#pragma once
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <string>
#include <vector>

namespace ist {

// A list of dims with room for kInline of them inside the object: every array, blob and shape
// rule copies shapes, and a heap block per copy was most of the malloc traffic of a small op.
// Interface: the part of std::vector<int64_t> the code uses; converts to and from it.
class Shape {
 public:
  using value_type = int64_t;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = int64_t&;
  using const_reference = const int64_t&;
  using pointer = int64_t*;
  using const_pointer = const int64_t*;
  using iterator = int64_t*;
  using const_iterator = const int64_t*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;
  static constexpr size_t kInline = 6;

  Shape() noexcept : data_(inline_) {}
  explicit Shape(size_t n, int64_t v = 0) : Shape() { assign(n, v); }
  Shape(std::initializer_list<int64_t> l) : Shape() { assign(l.begin(), l.end()); }
  template <typename It, typename = typename std::iterator_traits<It>::iterator_category>
  Shape(It first, It last) : Shape() { assign(first, last); }
  Shape(const std::vector<int64_t>& v) : Shape() { assign(v.begin(), v.end()); }  // NOLINT: implicit by design
  // Copies are noexcept (a shape of more than 6 dims allocates; failing to is fatal): every op
  // copies shapes, and in the WASM build a call that may throw costs a JS exception trampoline.
  Shape(const Shape& o) noexcept : Shape() { assign(o.begin(), o.end()); }
  Shape(Shape&& o) noexcept : Shape() { take(o); }
  ~Shape() { release(); }

  Shape& operator=(const Shape& o) noexcept {
    if (this != &o) assign(o.begin(), o.end());
    return *this;
  }
  Shape& operator=(Shape&& o) noexcept {
    if (this != &o) {
      release();
      data_ = inline_;
      size_ = 0;
      cap_ = kInline;
      take(o);
    }
    return *this;
  }
  Shape& operator=(std::initializer_list<int64_t> l) {
    assign(l.begin(), l.end());
    return *this;
  }
  operator std::vector<int64_t>() const { return std::vector<int64_t>(begin(), end()); }  // NOLINT

  template <typename It, typename = typename std::iterator_traits<It>::iterator_category>
  void assign(It first, It last) {
    const size_t n = static_cast<size_t>(std::distance(first, last));
    if (n > cap_) grow(n, false);
    std::copy(first, last, data_);
    size_ = n;
  }
  void assign(size_t n, int64_t v) {
    if (n > cap_) grow(n, false);
    std::fill(data_, data_ + n, v);
    size_ = n;
  }

  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  size_t capacity() const noexcept { return cap_; }
  int64_t* data() noexcept { return data_; }
  const int64_t* data() const noexcept { return data_; }
  int64_t& operator[](size_t i) noexcept { return data_[i]; }
  const int64_t& operator[](size_t i) const noexcept { return data_[i]; }
  int64_t& at(size_t i) { return i < size_ ? data_[i] : outOfRange(); }
  const int64_t& at(size_t i) const { return i < size_ ? data_[i] : outOfRange(); }
  int64_t& front() noexcept { return data_[0]; }
  const int64_t& front() const noexcept { return data_[0]; }
  int64_t& back() noexcept { return data_[size_ - 1]; }
  const int64_t& back() const noexcept { return data_[size_ - 1]; }

  iterator begin() noexcept { return data_; }
  iterator end() noexcept { return data_ + size_; }
  const_iterator begin() const noexcept { return data_; }
  const_iterator end() const noexcept { return data_ + size_; }
  const_iterator cbegin() const noexcept { return data_; }
  const_iterator cend() const noexcept { return data_ + size_; }
  reverse_iterator rbegin() noexcept { return reverse_iterator(end()); }
  reverse_iterator rend() noexcept { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const noexcept { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const noexcept { return const_reverse_iterator(begin()); }

  void reserve(size_t n) {
    if (n > cap_) grow(n, true);
  }
  void clear() noexcept { size_ = 0; }
  void resize(size_t n, int64_t v = 0) {
    if (n > cap_) grow(std::max(n, cap_ * 2), true);
    if (n > size_) std::fill(data_ + size_, data_ + n, v);
    size_ = n;
  }
  void push_back(int64_t v) {
    if (size_ == cap_) grow(cap_ * 2, true);
    data_[size_++] = v;
  }
  void emplace_back(int64_t v) { push_back(v); }
  void pop_back() noexcept { --size_; }

  iterator insert(const_iterator pos, int64_t v) { return insert(pos, size_t{1}, v); }
  iterator insert(const_iterator pos, size_t n, int64_t v) {
    const size_t i = static_cast<size_t>(pos - data_);
    makeGap(i, n);
    std::fill(data_ + i, data_ + i + n, v);
    return data_ + i;
  }
  template <typename It, typename = typename std::iterator_traits<It>::iterator_category>
  iterator insert(const_iterator pos, It first, It last) {
    const size_t i = static_cast<size_t>(pos - data_);
    const size_t n = static_cast<size_t>(std::distance(first, last));
    // The source may be this shape itself: copy it out before opening the gap.
    Shape src;
    src.assign(first, last);
    makeGap(i, n);
    std::copy(src.begin(), src.end(), data_ + i);
    return data_ + i;
  }
  iterator insert(const_iterator pos, std::initializer_list<int64_t> l) { return insert(pos, l.begin(), l.end()); }
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    const size_t i = static_cast<size_t>(first - data_), n = static_cast<size_t>(last - first);
    std::copy(data_ + i + n, data_ + size_, data_ + i);
    size_ -= n;
    return data_ + i;
  }
  void swap(Shape& o) noexcept {
    Shape t(std::move(o));
    o = std::move(*this);
    *this = std::move(t);
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
  friend bool operator<(const Shape& a, const Shape& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator>(const Shape& a, const Shape& b) { return b < a; }
  friend bool operator<=(const Shape& a, const Shape& b) { return !(b < a); }
  friend bool operator>=(const Shape& a, const Shape& b) { return !(a < b); }

 private:
  bool onHeap() const noexcept { return data_ != inline_; }
  void release() noexcept {
    if (onHeap()) std::free(data_);
  }
  // Moves o's dims here (this is empty and inline); o is left empty.
  void take(Shape& o) noexcept {
    if (o.onHeap()) {
      data_ = o.data_;
      cap_ = o.cap_;
      o.data_ = o.inline_;
      o.cap_ = kInline;
    } else {
      std::memcpy(inline_, o.inline_, o.size_ * sizeof(int64_t));
    }
    size_ = o.size_;
    o.size_ = 0;
  }
  void grow(size_t n, bool keep) {
    auto* p = static_cast<int64_t*>(std::malloc(n * sizeof(int64_t)));
    if (p == nullptr) throw std::bad_alloc();
    if (keep) std::memcpy(p, data_, size_ * sizeof(int64_t));
    release();
    data_ = p;
    cap_ = n;
  }
  void makeGap(size_t i, size_t n) {
    if (size_ + n > cap_) grow(std::max(size_ + n, cap_ * 2), true);
    std::copy_backward(data_ + i, data_ + size_, data_ + size_ + n);
    size_ += n;
  }
  [[noreturn]] static int64_t& outOfRange();

  int64_t* data_;
  size_t size_ = 0;
  size_t cap_ = kInline;
  int64_t inline_[kInline];
};

// Partial shapes (Symbol inference): a dim of -1 is unknown; unknownShape() has unknown rank.
constexpr int64_t kUnknownDim = -1;
inline Shape unknownShape() { return Shape{INT64_MIN}; }
inline bool shapeRankKnown(const Shape& s) { return !(s.size() == 1 && s[0] == INT64_MIN); }
bool shapeIsKnown(const Shape& s);

int64_t shapeSize(const Shape& s) noexcept;
// "(2,3)" like MXNet prints; "()" for 0-d.
std::string shapeString(const Shape& s);
std::string shapesString(const std::vector<Shape>& shapes);
// Row-major strides in elements.
std::vector<int64_t> shapeStrides(const Shape& s);
// Normalises a possibly negative axis against ndim; throws IsotensorError naming op/arg.
int normalizeAxis(int64_t axis, int ndim, const char* op, const char* arg = "axis");
// NumPy broadcasting of two shapes; throws IsotensorError naming op and shapes.
Shape broadcastShapes(const Shape& a, const Shape& b, const char* op);

}  // namespace ist
