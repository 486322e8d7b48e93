// NDArray storage chunks, views, blocking host copies and MXNet's reshape codes.
#include "ndarray/ndarray.h"
#include <algorithm>
#include <cstdint>
#include <cstring>
#include "base/error.h"
#include "base/gpu_info.h"
#include "engine/engine_impl.h"
#include "storage/storage.h"

namespace ist {

Chunk::Chunk(size_t nbytes, Context c) : bytes(nbytes), ctx(c) {
  data = Storage::alloc(ctx, bytes);
  var = Engine::get()->newVariable();
}

Chunk::~Chunk() {
  void* d = data;
  size_t n = bytes;
  Context c = ctx;
  // Freeing is a write on the var: it runs after every op still using the memory.
  Engine::get()->deleteVariable([d, n, c](RunContext) { Storage::free(c, d, n); }, ctx, var);
}

namespace {
// Byte counts are size_t (32-bit in WASM); 2^52 also keeps element counts exact as JS numbers.
constexpr uint64_t kMaxArrayBytes = std::min<uint64_t>(uint64_t(1) << 52, SIZE_MAX);
}  // namespace

NDArray::NDArray(const Shape& shape, DType dtype, Context ctx) : shape_(shape), dtype_(dtype), ctx_(ctx) {
  IST_CHECK(dtypeSize(dtype) > 0, "ndarray", "dtype", "unknown dtype flag " << static_cast<int>(dtype));
  // Every size computed later (elements, bytes, offsets) derives from this one product: check it
  // here, where all arrays are born, so no op can be handed a shape whose byte count wraps.
  bool empty = false;
  for (int64_t d : shape) {
    IST_CHECK(d >= 0, "ndarray", "shape", "negative dimension in " << shapeString(shape));
    empty |= d == 0;
  }
  uint64_t bytes = dtypeSize(dtype);
  for (int64_t d : shape) {
    if (empty) break;
    IST_CHECK(!__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes) && bytes <= kMaxArrayBytes,
              "ndarray", "shape",
              "shape " << shapeString(shape) << " of " << dtypeName(dtype) << " is too large to allocate");
  }
  chunk_ = std::make_shared<Chunk>(nbytes(), ctx);
}

NDArray NDArray::reshape(const Shape& codes) const {
  Shape s = inferReshape(shape_, codes, false, "reshape");
  IST_CHECK(shapeSize(s) == size(), "reshape", "shape",
            "cannot reshape array of shape " << shapeString(shape_) << " into " << shapeString(s));
  NDArray r = detach();  // a view is a new value: autograd records it separately
  r.shape_ = s;
  return r;
}

NDArray NDArray::slice(int64_t begin, int64_t end) const {
  IST_CHECK(ndim() > 0, "slice", "data", "cannot slice a 0-d array");
  int64_t n = shape_[0];
  IST_CHECK(begin >= 0 && begin <= end && end <= n, "slice", "begin",
            "range [" << begin << ", " << end << ") is out of bounds for axis 0 of shape " << shapeString(shape_));
  NDArray r = detach();  // a view is a new value: autograd records it separately
  r.shape_[0] = end - begin;
  r.offset_ += static_cast<size_t>(begin) * (n ? nbytes() / n : 0);
  return r;
}

NDArray NDArray::at(int64_t index) const {
  IST_CHECK(ndim() > 0, "at", "index", "cannot index a 0-d array");
  int64_t n = shape_[0];
  int64_t i = index < 0 ? index + n : index;
  IST_CHECK(i >= 0 && i < n, "at", "index",
            "index " << index << " is out of bounds for axis 0 of shape " << shapeString(shape_));
  NDArray r = slice(i, i + 1);
  r.shape_.erase(r.shape_.begin());
  return r;
}

void NDArray::waitToRead() const {
  Engine::get()->waitForVar(var());
  if (ctx().isGPU()) gpuSynchronize(ctx().devId);
}

void NDArray::waitToWrite() const {
  engineImpl()->waitForVarWrite(var());
  if (ctx().isGPU()) gpuSynchronize(ctx().devId);
}

void NDArray::syncCopyFromCPU(const void* src, size_t n) const {
  IST_CHECK(n == nbytes(), "copy_from_cpu", "data",
            "got " << n << " bytes for an array of shape " << shapeString(shape_) << " " << dtypeName(dtype_)
                   << " (" << nbytes() << " bytes)");
  TBlob dst = blob();
  Engine::get()->pushSync(
      [dst, src, n](RunContext rc) {
        TBlob host{const_cast<void*>(src), dst.shape, dst.dtype, Context::cpu()};
        copyBytes(dst, host, rc.stream);
      },
      ctx_, {}, {var()}, "copy_from_cpu");
  Engine::get()->waitForVar(var());
}

void NDArray::syncCopyToCPU(void* dst, size_t n) const {
  IST_CHECK(n == nbytes(), "copy_to_cpu", "data",
            "got " << n << " bytes for an array of shape " << shapeString(shape_) << " " << dtypeName(dtype_)
                   << " (" << nbytes() << " bytes)");
  waitToRead();
  TBlob host{dst, shape_, dtype_, Context::cpu()};
  copyBytes(host, blob(), nullptr);
}

Shape inferReshape(const Shape& inShape, const Shape& codesIn, bool reverse, const char* op) {
  Shape in = inShape, codes = codesIn;
  if (reverse) {
    std::reverse(in.begin(), in.end());
    std::reverse(codes.begin(), codes.end());  // as MXNet: a -4 pair is read in reversed order too
  }
  Shape out;
  size_t src = 0;
  int inferAt = -1;
  for (size_t i = 0; i < codes.size(); ++i) {
    int64_t c = codes[i];
    if (c > 0) {
      out.push_back(c);
      ++src;
    } else if (c == 0) {
      IST_CHECK(src < in.size(), op, "shape", "code 0 at position " << i << " has no input dim to copy from "
                                                << shapeString(inShape));
      out.push_back(in[src++]);
    } else if (c == -1) {
      IST_CHECK(inferAt < 0, op, "shape", "only one dim may be -1 in " << shapeString(codesIn));
      inferAt = static_cast<int>(out.size());
      out.push_back(1);
      ++src;
    } else if (c == -2) {
      while (src < in.size()) out.push_back(in[src++]);
    } else if (c == -3) {
      IST_CHECK(src + 1 < in.size(), op, "shape", "code -3 needs two input dims; input is " << shapeString(inShape));
      out.push_back(in[src] * in[src + 1]);
      src += 2;
    } else if (c == -4) {
      IST_CHECK(i + 2 < codes.size() && src < in.size(), op, "shape",
                "code -4 needs an input dim and two codes after it in " << shapeString(codesIn));
      int64_t d = in[src++], a = codes[i + 1], b = codes[i + 2];
      IST_CHECK(!(a == -1 && b == -1), op, "shape", "code -4 split may infer only one of its two dims");
      if (a == -1) a = b ? d / b : 0;
      if (b == -1) b = a ? d / a : 0;
      IST_CHECK(a * b == d && a >= 0 && b >= 0, op, "shape",
                "cannot split dim " << d << " into " << a << " x " << b);
      out.push_back(a);
      out.push_back(b);
      i += 2;
    } else {
      throwError(op, "shape", "invalid reshape code " + std::to_string(c) + " in " + shapeString(codesIn));
    }
  }
  if (inferAt >= 0) {
    int64_t known = 1;
    for (size_t i = 0; i < out.size(); ++i) if (static_cast<int>(i) != inferAt) known *= out[i];
    int64_t total = shapeSize(inShape);
    IST_CHECK(known != 0 && total % known == 0, op, "shape",
              "cannot infer -1 in " << shapeString(codesIn) << " for input " << shapeString(inShape));
    out[inferAt] = total / known;
  }
  if (reverse) std::reverse(out.begin(), out.end());
  return out;
}

namespace {
DeviceCopier gCopier{nullptr};
}

void setDeviceCopier(const DeviceCopier& c) { gCopier = c; }

void copyBytes(const TBlob& dst, const TBlob& src, void* stream) {
  size_t n = static_cast<size_t>(src.size()) * dtypeSize(src.dtype);
  if (n == 0) return;
  if (!dst.ctx.isGPU() && !src.ctx.isGPU()) {
    memcpy(dst.dptr, src.dptr, n);
    return;
  }
  IST_CHECK(gCopier.copy != nullptr, "copyto", "ctx", "no GPU support in this build");
  int kind = !src.ctx.isGPU() ? 0 : (!dst.ctx.isGPU() ? 1 : 2);
  int dev = dst.ctx.isGPU() ? dst.ctx.devId : src.ctx.devId;
  gCopier.copy(dst.dptr, src.dptr, n, kind, dev, stream);
}

}  // namespace ist
