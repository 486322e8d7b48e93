// _contrib_boolean_mask (MXNet contrib): the rows of data whose index entry is nonzero, so the output's
// first dim depends on the index VALUES: the static shape rule leaves it unknown and a data-shape hook
// (op/data_shape.h) counts the selected rows at invoke time. Gradient: _backward_contrib_boolean_mask
// puts out_grad's rows back at the selected rows (zeros elsewhere); the index gets none.
#include <cstring>
#include <vector>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "op/data_shape.h"
#include "op/registry.h"
#include "ops/contrib/boolean_mask_device.h"

namespace ist {
namespace boolean_mask {
namespace {

using boolmask::BooleanMaskParam;
using boolmask::kBackOp;
using boolmask::kOp;

// Output row of each index entry (-1: not selected), and the selected count. idx is host memory.
int64_t positionsOf(const void* idx, DType dtype, int64_t m, std::vector<int64_t>& pos, const char* op) {
  pos.resize(static_cast<size_t>(m));
  int64_t run = 0;
  IST_TYPE_SWITCH_ALL(dtype, I, op, {
    const I* x = static_cast<const I*>(idx);
    for (int64_t i = 0; i < m; ++i) pos[static_cast<size_t>(i)] = boolmask::selects(x[i]) ? run++ : -1;
  });
  return run;
}

// (data, index): checks what shapes decide and fills the output but for its first dim, which the
// index values decide (the data-shape hook below, at invoke time). Fills index's shape from data's.
void inferMaskShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  boolmask::checkAxis(attrs.get<BooleanMaskParam>(), kOp);
  if (!shapeIsKnown(in[0])) return;
  IST_CHECK(!in[0].empty(), kOp, "data", "data must have at least 1 dimension, got shape ()");
  if (!shapeIsKnown(in[1])) in[1] = Shape{in[0][0]};
  boolmask::checkInputs(in[0], in[1], kOp);
  Shape s = in[0];
  s[0] = kUnknownDim;
  out[0] = s;
}

// The output shape from the concrete index: its selected count as the first dim.
void dataShape(const NodeAttrs&, const std::vector<NDArray>& in, std::vector<Shape>& out) {
  const NDArray& idx = in[1];
  std::vector<unsigned char> host(idx.nbytes());
  if (!host.empty()) idx.syncCopyToCPU(host.data(), host.size());
  std::vector<int64_t> pos;
  Shape s = in[0].shape();
  s[0] = positionsOf(host.data(), idx.dtype(), idx.size(), pos, kOp);
  out[0] = s;
}

const bool kDataShapeRegistered = registerDataShape(kOp, dataShape);

void booleanMaskCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  boolmask::checkAxis(attrs.get<BooleanMaskParam>(), kOp);
  boolmask::checkInputs(in[0].shape, in[1].shape, kOp);
  if (req[0] == OpReq::kNull) return;
  std::vector<int64_t> pos;
  const int64_t k = positionsOf(in[1].dptr, in[1].dtype, in[1].size(), pos, kOp);
  IST_CHECK(k == out[0].shape[0], kOp, "index",
            "index selects " << k << " rows but the output has shape " << shapeString(out[0].shape));
  const int64_t rows = in[0].shape[0];
  const int64_t cols = rows ? in[0].size() / rows : 0;
  if (out[0].size() == 0) return;
  const bool add = req[0] == OpReq::kAddTo;
  IST_TYPE_SWITCH_ALL(in[0].dtype, T, kOp, {
    using C = typename ComputeType<T>::type;
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    parallelFor(rows, cols, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t p = pos[static_cast<size_t>(i)];
        if (p < 0) continue;
        const T* src = x + i * cols;
        T* dst = y + p * cols;
        if (!add) {
          std::memcpy(dst, src, static_cast<size_t>(cols) * sizeof(T));
          continue;
        }
        for (int64_t j = 0; j < cols; ++j) dst[j] = T(C(dst[j]) + C(src[j]));
      }
    });
  });
}

// (out_grad, data, index) -> data's shape.
void booleanMaskBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  boolmask::checkAxis(attrs.get<BooleanMaskParam>(), kBackOp);
  boolmask::checkInputs(in[1].shape, in[2].shape, kBackOp);
  std::vector<int64_t> pos;
  const int64_t k = positionsOf(in[2].dptr, in[2].dtype, in[2].size(), pos, kBackOp);
  IST_CHECK(k == in[0].shape[0], kBackOp, "out_grad",
            "index selects " << k << " rows but out_grad has shape " << shapeString(in[0].shape));
  const int64_t rows = in[1].shape[0];
  const int64_t cols = rows ? in[1].size() / rows : 0;
  if (out[0].size() == 0) return;
  const bool add = req[0] == OpReq::kAddTo;
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, kBackOp, {
    using C = typename ComputeType<T>::type;
    const T* og = in[0].data<T>();
    T* dx = out[0].data<T>();
    parallelFor(rows, cols, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t p = pos[static_cast<size_t>(i)];
        T* dst = dx + i * cols;
        if (p < 0) {
          if (!add) std::memset(static_cast<void*>(dst), 0, static_cast<size_t>(cols) * sizeof(T));
          continue;
        }
        const T* src = og + p * cols;
        if (!add) std::memcpy(static_cast<void*>(dst), src, static_cast<size_t>(cols) * sizeof(T));
        else
          for (int64_t j = 0; j < cols; ++j) dst[j] = T(C(dst[j]) + C(src[j]));
      }
    });
  });
}

// The output takes data's dtype; the index may have any dtype.
void inferMaskType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  if (in[0] >= 0) out[0] = in[0];
  else if (out[0] >= 0) in[0] = out[0];
}

IST_REGISTER_OP(_contrib_boolean_mask)
    .describe("Given an n-d NDArray data, and a 1-d NDArray index, the operator produces an "
              "un-predeterminable shaped n-d NDArray out, which stands for the rows in x where the "
              "corresonding element in index is non-zero.\n\n"
              "Example: data = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], index = [0, 1, 0]: "
              "boolean_mask(data, index) = [[4, 5, 6]]\n\n"
              "The output's first dim depends on the index values, so the op runs imperatively "
              "(NDArray, autograd) but a Symbol graph using it cannot be bound (as in MXNet).")
    .inputs({"data", "index"})
    .params<BooleanMaskParam>()
    .inferShape(inferMaskShape)
    .inferType(inferMaskType)
    .compute(Context::kCPU, booleanMaskCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry(kBackOp, {og[0], n->inputs[0], n->inputs[1]}, n->attrs.dict),
                                    NodeEntry{}};
    });

IST_REGISTER_OP(_backward_contrib_boolean_mask)
    .describe("Gradient of _contrib_boolean_mask with respect to data: the rows of out_grad at the "
              "rows the index selects, zeros elsewhere.")
    .inputs({"out_grad", "data", "index"})
    .params<BooleanMaskParam>()
    .inferShape(namedShape(kBackOp, [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      boolmask::checkAxis(attrs.get<BooleanMaskParam>(), kOp);
      if (!shapeIsKnown(in[1])) return;
      IST_CHECK(!in[1].empty(), kOp, "data", "data must have at least 1 dimension, got shape ()");
      if (shapeIsKnown(in[2])) boolmask::checkInputs(in[1], in[2], kOp);
      if (shapeIsKnown(in[0])) {
        bool ok = in[0].size() == in[1].size() && in[0][0] <= in[1][0];
        for (size_t i = 1; ok && i < in[0].size(); ++i) ok = in[0][i] == in[1][i];
        IST_CHECK(ok, kBackOp, "out_grad",
                  "out_grad has shape " << shapeString(in[0]) << " but rows selected from data of shape "
                                        << shapeString(in[1]) << " have data's dims after the first, and at most "
                                        << in[1][0] << " of them");
      }
      out[0] = in[1];
    }))
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = in[0] >= 0 ? in[0] : (in[1] >= 0 ? in[1] : out[0]);
      if (t < 0) return;
      in[0] = in[1] = out[0] = t;
    })
    .compute(Context::kCPU, namedCompute(kBackOp, booleanMaskBackwardCompute))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      return std::vector<NodeEntry>{makeEntry(kOp, {g[0], n->inputs[2]}, n->attrs.dict), NodeEntry{}, NodeEntry{}};
    });

}  // namespace
}  // namespace boolean_mask
}  // namespace ist
