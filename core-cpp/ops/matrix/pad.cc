// Pad (pad): pads every axis of an array of any rank with a constant, the edge values, or the
// reflection of the array (NumPy's 'constant', 'edge' and 'reflect'); and its gradient
// _backward_Pad, which sums the output gradient back onto the input elements each output
// element was read from.
//
// Both run on per-axis index maps: output index o of axis i reads input index map_i[o], or the
// constant when it is -1. Padding is separable, so an output element reads the input element
// whose every coordinate is mapped, and the gradient of an input element sums the output
// elements in the product of the per-axis preimages.
#include <string>
#include <vector>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/matrix/pad_params.h"

namespace ist {
namespace pad_detail {
namespace {

// Checks pad_width against the shape and returns the padded shape.
Shape padShapeOf(const Shape& s, const PadParam& p, const char* op) {
  const size_t nd = s.size();
  IST_CHECK(p.pad_width.size() == 2 * nd, op, "pad_width",
            "pad_width " << shapeString(p.pad_width) << " has " << p.pad_width.size()
                         << " entries; an array of shape " << shapeString(s) << " needs " << 2 * nd
                         << " (before and after for each of its " << nd << " axes)");
  Shape o(nd);
  for (size_t i = 0; i < nd; ++i) {
    const int64_t b = p.pad_width[2 * i], a = p.pad_width[2 * i + 1];
    IST_CHECK(b >= 0 && a >= 0, op, "pad_width",
              "pad_width " << shapeString(p.pad_width) << " has a negative width for axis " << i);
    if (p.mode != "constant")
      IST_CHECK(s[i] > 0 || (a == 0 && b == 0), op, "pad_width",
                "cannot pad the empty axis " << i << " of shape " << shapeString(s) << " in "
                                              << p.mode << " mode");
    o[i] = s[i] + a + b;
  }
  return o;
}

// map[o] for one axis of length n padded by (b, a): the input index read, or -1 (constant).
std::vector<int64_t> axisMap(int64_t n, int64_t b, int64_t a, const std::string& mode) {
  std::vector<int64_t> m(static_cast<size_t>(n + a + b));
  for (int64_t o = 0; o < n + a + b; ++o) {
    int64_t i = o - b;
    if (i < 0 || i >= n) {
      if (mode == "constant") {
        i = -1;
      } else if (mode == "edge") {
        i = i < 0 ? 0 : n - 1;
      } else if (n == 1) {
        i = 0;
      } else {
        // Reflection about the edges, periodic with period 2 (n - 1), as NumPy's repeated
        // reflection for widths larger than the axis.
        const int64_t period = 2 * (n - 1);
        i %= period;
        if (i < 0) i += period;
        if (i >= n) i = period - i;
      }
    }
    m[static_cast<size_t>(o)] = i;
  }
  return m;
}

std::vector<std::vector<int64_t>> axisMaps(const Shape& s, const PadParam& p) {
  std::vector<std::vector<int64_t>> maps;
  for (size_t i = 0; i < s.size(); ++i)
    maps.push_back(axisMap(s[i], p.pad_width[2 * i], p.pad_width[2 * i + 1], p.mode));
  return maps;
}

template <typename T> T fromDouble(double v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0.0;
  else return T(static_cast<typename ComputeType<T>::type>(v));
}

// dst = v, or dst += v for kAddTo (logical or for bool).
template <typename T> inline void put(T& dst, T v, bool add) {
  if (!add) dst = v;
  else if constexpr (std::is_same_v<T, bool>) dst = dst || v;
  else dst = T(typename ComputeType<T>::type(dst) + typename ComputeType<T>::type(v));
}

template <typename T>
void padTyped(const T* x, T* y, const Shape& s, const Shape& os,
              const std::vector<std::vector<int64_t>>& maps, T fill, bool add) {
  const int nd = static_cast<int>(s.size());
  if (nd == 0) {
    put(y[0], x[0], add);
    return;
  }
  const std::vector<int64_t> is = shapeStrides(s);
  const int64_t rowLen = os[nd - 1], rows = shapeSize(os) / rowLen;
  const std::vector<int64_t>& last = maps[nd - 1];
  parallelFor(rows, rowLen, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      // Input offset of this row's outer coordinates; a padded one makes the row constant.
      int64_t rem = r, base = 0;
      bool constRow = false;
      for (int i = nd - 2; i >= 0; --i) {
        const int64_t o = rem % os[i];
        rem /= os[i];
        const int64_t src = maps[i][static_cast<size_t>(o)];
        if (src < 0) constRow = true;
        else base += src * is[i];
      }
      T* yr = y + r * rowLen;
      for (int64_t j = 0; j < rowLen; ++j) {
        const int64_t src = last[static_cast<size_t>(j)];
        put(yr[j], (constRow || src < 0) ? fill : x[base + src], add);
      }
    }
  });
}

void padCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<PadParam>();
  const auto maps = axisMaps(in[0].shape, p);
  IST_TYPE_SWITCH_ALL(in[0].dtype, T, "Pad", {
    padTyped<T>(in[0].data<T>(), out[0].data<T>(), in[0].shape, out[0].shape, maps,
                fromDouble<T>(p.constant_value), req[0] == OpReq::kAddTo);
  });
}

// ---- _backward_Pad: (out_grad, data) -> data's shape ----

template <typename T>
void padBackwardTyped(const T* g, T* dx, const Shape& s, const Shape& os,
                      const std::vector<std::vector<std::vector<int64_t>>>& pre, bool add) {
  using C = typename ComputeType<T>::type;
  using Acc = std::conditional_t<std::is_floating_point_v<C>, double, C>;
  const int nd = static_cast<int>(s.size());
  if (nd == 0) {
    put(dx[0], g[0], add);
    return;
  }
  const std::vector<int64_t> ostr = shapeStrides(os);
  const int64_t rowLen = s[nd - 1], rows = shapeSize(s) / rowLen;
  parallelFor(rows, rowLen * 2, [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> idx(static_cast<size_t>(nd), 0), offs, next;
    for (int64_t r = r0; r < r1; ++r) {
      int64_t rem = r;
      for (int i = nd - 2; i >= 0; --i) {
        idx[i] = rem % s[i];
        rem /= s[i];
      }
      // Offsets of the out_grad rows this data row gathers from: the product of outer preimages.
      offs.assign(1, 0);
      for (int i = 0; i < nd - 1; ++i) {
        const auto& l = pre[i][static_cast<size_t>(idx[i])];
        next.clear();
        for (int64_t b : offs)
          for (int64_t o : l) next.push_back(b + o * ostr[i]);
        offs.swap(next);
      }
      T* dr = dx + r * rowLen;
      for (int64_t j = 0; j < rowLen; ++j) {
        Acc acc = 0;
        for (int64_t b : offs)
          for (int64_t o : pre[nd - 1][static_cast<size_t>(j)]) acc += Acc(C(g[b + o]));
        put(dr[j], T(C(acc)), add);
      }
    }
  });
}

void padBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<PadParam>();
  const Shape& s = in[1].shape;
  const int nd = static_cast<int>(s.size());
  // Preimages: for each axis and input index, the output indices that read it.
  std::vector<std::vector<std::vector<int64_t>>> pre(nd);
  for (int i = 0; i < nd; ++i) {
    const auto m = axisMap(s[i], p.pad_width[2 * i], p.pad_width[2 * i + 1], p.mode);
    pre[i].resize(static_cast<size_t>(s[i]));
    for (size_t o = 0; o < m.size(); ++o)
      if (m[o] >= 0) pre[i][static_cast<size_t>(m[o])].push_back(static_cast<int64_t>(o));
  }
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, "_backward_Pad", {
    padBackwardTyped<T>(in[0].data<T>(), out[0].data<T>(), s, in[0].shape, pre,
                        req[0] == OpReq::kAddTo);
  });
}

void sameDataType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  int t = in[0] >= 0 ? in[0] : out[0];
  if (t < 0) return;
  in[0] = out[0] = t;
}

IST_REGISTER_OP(Pad)
    .alias("pad")
    .describe("Pads an array of any rank: pad_width gives (before, after) widths for every axis; "
              "mode \"constant\" fills with constant_value, \"edge\" repeats the edge values, "
              "\"reflect\" mirrors the array about its edges (as numpy.pad).\n\n"
              "Example: pad([[1, 2], [3, 4]], mode='edge', pad_width=(0, 0, 1, 1)) = "
              "[[1, 1, 2, 2], [3, 3, 4, 4]]")
    .inputs({"data"})
    .params<PadParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[0] = padShapeOf(in[0], attrs.get<PadParam>(), "Pad");
    })
    .inferType(inferSameType)
    .compute(Context::kCPU, padCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("_backward_Pad", {og[0], n->inputs[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_Pad)
    .describe("Gradient of Pad: each input element receives the sum of the out_grad elements "
              "that were read from it.")
    .inputs({"out_grad", "data"})
    .params<PadParam>()
    .inferShape(namedShape("_backward_Pad", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      const Shape o = padShapeOf(in[1], attrs.get<PadParam>(), "_backward_Pad");
      if (shapeIsKnown(in[0]))
        IST_CHECK(in[0] == o, "_backward_Pad", "out_grad",
                  "out_grad has shape " << shapeString(in[0]) << " but padding data of shape "
                                        << shapeString(in[1]) << " gives " << shapeString(o));
      out[0] = in[1];
    }))
    .inferType(sameDataType)
    .compute(Context::kCPU, namedCompute("_backward_Pad", padBackwardCompute))
    // _backward_Pad is the adjoint of Pad's linear part (constant 0), so its gradient is that.
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      AttrDict d = n->attrs.dict;
      d["constant_value"] = "0";
      return std::vector<NodeEntry>{makeEntry("Pad", {g[0]}, d), NodeEntry{}};
    });

}  // namespace
}  // namespace pad_detail
}  // namespace ist
