// The inverses of the reductions: broadcast_to, broadcast_axis (alias broadcast_axes) and
// broadcast_like, which repeat an array along its size-1 axes (MXNet 1.x shape rules).
#include <cstring>
#include <vector>
#include "ops/reduce/broadcast_kernel.h"
#include "ops/reduce/reduce_axes.h"
#include "ops/reduce/reduce_kernel.h"

namespace ist {
namespace {

struct BroadcastToParam {
  Shape shape;
  static void declare(ParamDecl<BroadcastToParam>& d) {
    d.field("shape", &BroadcastToParam::shape)
        .setDefault(Shape{})
        .doc("The shape of the desired array; a 0 keeps the input's size on that axis, so "
             "broadcast_to(x, shape=(10,0,0)) equals broadcast_axis(x, axis=0, size=10).");
  }
};

struct BroadcastAxesParam {
  Shape axis, size;
  static void declare(ParamDecl<BroadcastAxesParam>& d) {
    d.field("axis", &BroadcastAxesParam::axis).setDefault(Shape{}).doc("The axes to broadcast along.");
    d.field("size", &BroadcastAxesParam::size).setDefault(Shape{}).doc("Target sizes of those axes.");
  }
};

struct BroadcastLikeParam {
  std::optional<Shape> lhs_axes, rhs_axes;
  static void declare(ParamDecl<BroadcastLikeParam>& d) {
    d.field("lhs_axes", &BroadcastLikeParam::lhs_axes)
        .setDefault(std::nullopt)
        .doc("Axes of lhs to broadcast (None: all, shapes aligned).");
    d.field("rhs_axes", &BroadcastLikeParam::rhs_axes)
        .setDefault(std::nullopt)
        .doc("Axes of rhs whose sizes lhs_axes take.");
  }
};

void broadcastCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = attrs.op ? attrs.op->name.c_str() : "broadcast_to";
  const TBlob& x = in[0];
  IST_TYPE_SWITCH_ALL(x.dtype, DT, op,
                      reduce::broadcastInto(x.data<DT>(), x.shape, out[0].shape, out[0].data<DT>(), req[0]));
}

void broadcastToShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Shape& target = attrs.get<BroadcastToParam>().shape;
  if (!shapeIsKnown(in[0])) return;
  IST_CHECK(in[0].size() == target.size(), "broadcast_to", "shape",
            "cannot broadcast an array of shape " << shapeString(in[0]) << " to " << shapeString(target)
                                                  << " (the ranks differ)");
  Shape o = target;
  for (size_t i = 0; i < o.size(); ++i) {
    IST_CHECK(o[i] >= 0, "broadcast_to", "shape", "negative dimension in " << shapeString(target));
    if (o[i] == 0) o[i] = in[0][i];
    IST_CHECK(in[0][i] == o[i] || in[0][i] == 1, "broadcast_to", "shape",
              "cannot broadcast an array of shape " << shapeString(in[0]) << " to " << shapeString(target));
  }
  out[0] = o;
}

void broadcastAxisShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<BroadcastAxesParam>();
  IST_CHECK(p.axis.size() == p.size.size(), "broadcast_axis", "size",
            "axis has " << p.axis.size() << " entries but size has " << p.size.size());
  if (!shapeIsKnown(in[0])) return;
  Shape o = in[0];
  std::vector<bool> seen(o.size(), false);
  for (size_t i = 0; i < p.axis.size(); ++i) {
    int a = checkReduceAxis(p.axis[i], in[0], "broadcast_axis");
    IST_CHECK(!seen[a], "broadcast_axis", "axis", "duplicate axis " << p.axis[i]);
    seen[a] = true;
    IST_CHECK(in[0][a] == 1, "broadcast_axis", "axis",
              "axis " << p.axis[i] << " of input shape " << shapeString(in[0]) << " has size " << in[0][a]
                      << "; only size-1 axes can be broadcast");
    IST_CHECK(p.size[i] >= 0, "broadcast_axis", "size", "negative size " << p.size[i]);
    o[a] = p.size[i];
  }
  out[0] = o;
}

void broadcastLikeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<BroadcastLikeParam>();
  const Shape &lhs = in[0], &rhs = in[1];
  if (!shapeIsKnown(lhs) || !shapeIsKnown(rhs)) return;
  Shape o = lhs;
  if (!p.lhs_axes || !p.rhs_axes) {
    IST_CHECK(lhs.size() == rhs.size(), "broadcast_like", "rhs",
              "cannot broadcast an array of shape " << shapeString(lhs) << " like " << shapeString(rhs)
                                                    << " (the ranks differ)");
    for (size_t i = 0; i < lhs.size(); ++i) {
      IST_CHECK(lhs[i] == rhs[i] || lhs[i] == 1, "broadcast_like", "rhs",
                "cannot broadcast an array of shape " << shapeString(lhs) << " to " << shapeString(rhs));
      o[i] = rhs[i];
    }
  } else {
    const Shape &la = *p.lhs_axes, &ra = *p.rhs_axes;
    IST_CHECK(la.size() == ra.size(), "broadcast_like", "rhs_axes",
              "lhs_axes has " << la.size() << " entries but rhs_axes has " << ra.size());
    IST_CHECK(!la.empty(), "broadcast_like", "lhs_axes", "empty axes are not allowed");
    for (size_t i = 0; i < la.size(); ++i) {
      int from = checkReduceAxis(la[i], lhs, "broadcast_like");
      int to = checkReduceAxis(ra[i], rhs, "broadcast_like");
      IST_CHECK(lhs[from] == 1, "broadcast_like", "lhs_axes",
                "axis " << la[i] << " of lhs shape " << shapeString(lhs) << " has size " << lhs[from]
                        << "; only size-1 axes can be broadcast");
      o[from] = rhs[to];
    }
  }
  out[0] = o;
}

void broadcastLikeType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  std::vector<int> i1{in[0]};
  inferSameType(attrs, i1, out);
  in[0] = i1[0];
}

IST_REGISTER_OP(broadcast_to)
    .describe("Broadcasts the input array to a new shape along its size-1 axes.\n\n"
              "Example: broadcast_to([[1,2,3]], shape=(2,0)) = [[1,2,3],[1,2,3]]")
    .inputs({"data"})
    .params<BroadcastToParam>()
    .inferShape(broadcastToShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, broadcastCompute);

IST_REGISTER_OP(broadcast_axis)
    .alias("broadcast_axes")
    .describe("Broadcasts the input array along the given size-1 axes.\n\n"
              "Example: broadcast_axis([[1],[2]], axis=1, size=3) = [[1,1,1],[2,2,2]]")
    .inputs({"data"})
    .params<BroadcastAxesParam>()
    .inferShape(broadcastAxisShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, broadcastCompute);

IST_REGISTER_OP(broadcast_like)
    .describe("Broadcasts lhs to the shape of rhs (or, with lhs_axes/rhs_axes, only those axes).\n\n"
              "Example: broadcast_like([9], [1,2,3,4,5], lhs_axes=(0,), rhs_axes=(-1,)) = [9,9,9,9,9]")
    .inputs({"lhs", "rhs"})
    .params<BroadcastLikeParam>()
    .inferShape(broadcastLikeShape)
    .inferType(broadcastLikeType)
    .compute(Context::kCPU, broadcastCompute);

}  // namespace
}  // namespace ist
