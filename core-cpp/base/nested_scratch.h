// NestedScratch<T>: a per-thread working object for each nesting depth of a re-entrant call.
#pragma once
#include <cstddef>
#include <vector>

namespace ist {

// A call that may re-enter itself (the naive engine runs a kernel inside its push; a kernel, autograd
// or a custom op may invoke another op from there) takes a NestedScratch on entry and gets the T kept
// for its depth on this thread. The Ts are reused between calls, so a call allocates none of its
// working vectors, and they do not move when a deeper call adds one. They are leaked per thread on
// purpose: static destructors at exit may still make such calls.
template <typename T>
class NestedScratch {
 public:
  NestedScratch() {
    Stack& s = stack();
    if (!s.items) s.items = new std::vector<T*>;
    if (s.depth == s.items->size()) s.items->push_back(new T);
    item_ = (*s.items)[s.depth++];
  }
  ~NestedScratch() { --stack().depth; }
  NestedScratch(const NestedScratch&) = delete;
  NestedScratch& operator=(const NestedScratch&) = delete;

  T& operator*() const { return *item_; }
  T* operator->() const { return item_; }

 private:
  struct Stack {
    std::vector<T*>* items;
    size_t depth;
  };
  static Stack& stack() {
    static thread_local Stack s{nullptr, 0};
    return s;
  }

  T* item_;
};

}  // namespace ist
