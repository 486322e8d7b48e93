// _contrib_boolean_mask: its parameters and shape checks (shared with boolean_mask.cc) and the
// device-generic computes of the op and of _backward_contrib_boolean_mask (GPU kernels and their CPU
// twins, attached in boolean_mask.cu).
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace boolmask {

constexpr const char* kOp = "_contrib_boolean_mask";
constexpr const char* kBackOp = "_backward_contrib_boolean_mask";

struct BooleanMaskParam {
  int axis = 0;
  static void declare(ParamDecl<BooleanMaskParam>& d) {
    d.field("axis", &BooleanMaskParam::axis)
        .setDefault(0)
        .doc("An integer that represents the axis in NDArray to mask from. Only 0 is supported, as "
             "in MXNet 1.9.");
  }
};

inline void checkAxis(const BooleanMaskParam& p, const char* op) {
  IST_CHECK(p.axis == 0, op, "axis", "only axis=0 is supported (as in MXNet 1.9), got axis=" << p.axis);
}

// Checks (data, index) once both are known: data has a first axis, index is 1-D along it.
inline void checkInputs(const Shape& data, const Shape& index, const char* op) {
  IST_CHECK(!data.empty(), op, "data", "data must have at least 1 dimension, got shape ()");
  IST_CHECK(index.size() == 1, op, "index",
            "index must be 1-D, got shape " << shapeString(index) << " (data shape " << shapeString(data) << ")");
  IST_CHECK(index[0] == data[0], op, "index",
            "index has length " << index[0] << " but data of shape " << shapeString(data) << " has "
                                << data[0] << " rows along axis 0");
}

// Whether an index value selects its row: nonzero in its own type (-0.0 is zero, NaN is not).
template <typename I> ISTX bool selects(I v) {
  using C = dnd::CT<I>;
  return !(static_cast<C>(v) == C(0));
}

// The index runs in chunks of kChunk entries: counts per chunk, a serial scan of the counts (one
// Map call; there are few chunks), then each chunk's positions from its start.
constexpr int64_t kChunk = 1024;

// counts[c] = selected entries in chunk c.
struct ChunkCountMap {
  template <typename I>
  ISTX static void Map(int64_t c, int64_t* counts, const I* idx, int64_t m) {
    const int64_t b = c * kChunk, e = b + kChunk < m ? b + kChunk : m;
    int64_t n = 0;
    for (int64_t i = b; i < e; ++i) n += selects(idx[i]) ? 1 : 0;
    counts[c] = n;
  }
};

// counts[0..nChunks) to exclusive starts in place; counts[nChunks] = the total.
struct ChunkScanMap {
  ISTX static void Map(int64_t, int64_t* counts, int64_t nChunks) {
    int64_t run = 0;
    for (int64_t c = 0; c < nChunks; ++c) {
      const int64_t n = counts[c];
      counts[c] = run;
      run += n;
    }
    counts[nChunks] = run;
  }
};

// pos[i] = output row of index entry i, or -1 where it is not selected.
struct PositionsMap {
  template <typename I>
  ISTX static void Map(int64_t c, int64_t* pos, const int64_t* starts, const I* idx, int64_t m) {
    const int64_t b = c * kChunk, e = b + kChunk < m ? b + kChunk : m;
    int64_t run = starts[c];
    for (int64_t i = b; i < e; ++i) pos[i] = selects(idx[i]) ? run++ : -1;
  }
};

// Over data's elements t = (row i, column j): a selected row's element goes to out row pos[i].
struct GatherMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* out, const T* data, const int64_t* pos, int64_t cols, int64_t k, bool add) {
    using C = dnd::CT<T>;
    const int64_t p = pos[t / cols];
    if (p < 0 || p >= k) return;
    T& y = out[p * cols + t % cols];
    y = add ? T(C(y) + C(data[t])) : data[t];
  }
};

// Over data's elements: the gradient of a selected row is its out_grad row, zero elsewhere.
struct ScatterGradMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* dx, const T* og, const int64_t* pos, int64_t cols, int64_t k, bool add) {
    using C = dnd::CT<T>;
    const int64_t p = pos[t / cols];
    const C v = (p >= 0 && p < k) ? C(og[p * cols + t % cols]) : C(0);
    dx[t] = add ? T(C(dx[t]) + v) : T(v);
  }
};

// Row positions of a 1-D index on the device: pos (m entries) and the selected count (host value).
template <typename Dev>
class MaskPositions {
 public:
  MaskPositions(const OpContext& ctx, const TBlob& idx, const char* op)
      : m_(idx.size()), nChunks_((m_ + kChunk - 1) / kChunk),
        posAt_(layout_.add<int64_t>(m_)), countsAt_(layout_.add<int64_t>(nChunks_ + 1)),
        scratch_(ctx.run.stream, layout_.bytes()) {
    void* s = ctx.run.stream;
    int64_t* counts = ScratchLayout::at<int64_t>(scratch_.get(), countsAt_);
    if (m_ == 0) return;
    IST_TYPE_SWITCH_ALL(idx.dtype, I, op, {
      const I* x = static_cast<const I*>(idx.dptr);
      DeviceKernel<ChunkCountMap, Dev>::launch(s, nChunks_, kChunk, counts, x, m_);
      DeviceKernel<ChunkScanMap, Dev>::launch(s, 1, nChunks_, counts, nChunks_);
      DeviceKernel<PositionsMap, Dev>::launch(s, nChunks_, kChunk, pos(), static_cast<const int64_t*>(counts), x, m_);
    });
    // The count is checked against the output's rows: one wait on the stream, so a stale or
    // mismatched shape fails clearly instead of writing out of bounds.
    DeviceMem<Dev>::toHost(s, &count_, counts + nChunks_, sizeof(int64_t));
  }
  const int64_t* pos() const { return ScratchLayout::at<int64_t>(scratch_.get(), posAt_); }
  int64_t* pos() { return ScratchLayout::at<int64_t>(scratch_.get(), posAt_); }
  int64_t count() const { return count_; }

 private:
  int64_t m_, nChunks_;
  ScratchLayout layout_;
  size_t posAt_, countsAt_;
  TempSpace<Dev> scratch_;
  int64_t count_ = 0;
};

// (data, index) -> the selected rows of data.
template <typename Dev>
void booleanMaskDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  checkAxis(attrs.get<BooleanMaskParam>(), kOp);
  checkInputs(in[0].shape, in[1].shape, kOp);
  if (req[0] == OpReq::kNull) return;
  MaskPositions<Dev> mp(ctx, in[1], kOp);
  IST_CHECK(mp.count() == out[0].shape[0], kOp, "index",
            "index selects " << mp.count() << " rows but the output has shape " << shapeString(out[0].shape));
  const int64_t rows = in[0].shape[0];
  const int64_t cols = rows ? in[0].size() / rows : 0;
  if (out[0].size() == 0) return;
  IST_TYPE_SWITCH_ALL(in[0].dtype, T, kOp, {
    DeviceKernel<GatherMap, Dev>::launch(ctx.run.stream, in[0].size(), 1, out[0].data<T>(), in[0].data<T>(),
                                         static_cast<const int64_t*>(mp.pos()), cols, mp.count(),
                                         req[0] == OpReq::kAddTo);
  });
}

// (out_grad, data, index) -> data's shape: out_grad's rows back at the selected rows, zeros elsewhere.
template <typename Dev>
void booleanMaskBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                            const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  checkAxis(attrs.get<BooleanMaskParam>(), kBackOp);
  checkInputs(in[1].shape, in[2].shape, kBackOp);
  MaskPositions<Dev> mp(ctx, in[2], kBackOp);
  IST_CHECK(mp.count() == in[0].shape[0], kBackOp, "out_grad",
            "index selects " << mp.count() << " rows but out_grad has shape " << shapeString(in[0].shape));
  const int64_t rows = in[1].shape[0];
  const int64_t cols = rows ? in[1].size() / rows : 0;
  if (out[0].size() == 0) return;
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, kBackOp, {
    DeviceKernel<ScatterGradMap, Dev>::launch(ctx.run.stream, out[0].size(), 1, out[0].data<T>(), in[0].data<T>(),
                                              static_cast<const int64_t*>(mp.pos()), cols, mp.count(),
                                              req[0] == OpReq::kAddTo);
  });
}

}  // namespace boolmask
}  // namespace ist
