// Shape and dtype rules of the fused optimizer updates (see update_infer.h).
#include "ops/optimizer/update_infer.h"
#include <algorithm>
#include <string>
#include "base/error.h"

namespace ist {
namespace optim {
namespace {

bool contains(const std::vector<int>& v, int i) { return std::find(v.begin(), v.end(), i) != v.end(); }

const char* opOf(const NodeAttrs& attrs) { return attrs.op ? attrs.op->name.c_str() : "optimizer update"; }

std::string inputName(const NodeAttrs& attrs, size_t i) {
  if (attrs.op && i < attrs.op->inputNames.size()) return attrs.op->inputNames[i];
  return "input " + std::to_string(i);
}

}  // namespace

FInferShape updateShape(UpdateIO io) {
  return [io](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
    const char* op = opOf(attrs);
    // The reference: the weight's shape, else the first known weight-shaped input, else the output.
    int refIdx = -1;
    for (size_t i = 0; i < in.size() && refIdx < 0; ++i)
      if (!contains(io.scalarIn, static_cast<int>(i)) && shapeIsKnown(in[i])) refIdx = static_cast<int>(i);
    Shape ref;
    std::string refName;
    if (refIdx >= 0) {
      ref = in[static_cast<size_t>(refIdx)];
      refName = inputName(attrs, static_cast<size_t>(refIdx));
    } else if (!out.empty() && shapeIsKnown(out[0])) {
      ref = out[0];
      refName = "output";
    }
    const bool known = !refName.empty();
    for (size_t i = 0; i < in.size(); ++i) {
      if (contains(io.scalarIn, static_cast<int>(i))) {
        if (!shapeIsKnown(in[i])) {
          in[i] = Shape{1};
        } else {
          IST_CHECK(shapeSize(in[i]) == 1, op, inputName(attrs, i),
                    "expected one element (shape (1,)), got shape " << shapeString(in[i]));
        }
        continue;
      }
      if (!known) continue;
      if (!shapeIsKnown(in[i])) {
        in[i] = ref;
        continue;
      }
      IST_CHECK(in[i] == ref, op, inputName(attrs, i),
                "shape " << shapeString(in[i]) << " does not match " << refName << "'s shape "
                         << shapeString(ref) << " (every state of an update has the weight's shape)");
    }
    if (known && !out.empty()) out[0] = ref;
  };
}

FInferType updateType(UpdateIO io) {
  return [io](const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
    const char* op = opOf(attrs);
    int t = -1;
    size_t tIdx = 0;
    for (size_t i = 0; i < in.size() && t < 0; ++i)
      if (!contains(io.float32In, static_cast<int>(i)) && in[i] >= 0) { t = in[i]; tIdx = i; }
    const int f32 = static_cast<int>(DType::kFloat32);
    for (size_t i = 0; i < in.size(); ++i) {
      if (!contains(io.float32In, static_cast<int>(i))) continue;
      if (in[i] < 0) { in[i] = f32; continue; }
      IST_CHECK(in[i] == f32, op, inputName(attrs, i),
                "dtype " << dtypeName(static_cast<DType>(in[i]))
                         << " is not float32 (multi-precision states, master weights and rescale_grad are float32)");
    }
    if (t < 0 && !out.empty() && out[0] >= 0 && !io.outFloat32) t = out[0];
    if (t < 0) {
      if (!out.empty() && io.outFloat32) out[0] = f32;
      return;
    }
    IST_CHECK(dtypeIsFloat(static_cast<DType>(t)), op, inputName(attrs, tIdx),
              "optimizer updates need floating-point arrays (float16, bfloat16, float32, float64), got "
                  << dtypeName(static_cast<DType>(t)));
    for (size_t i = 0; i < in.size(); ++i) {
      if (contains(io.float32In, static_cast<int>(i))) continue;
      if (in[i] < 0) { in[i] = t; continue; }
      IST_CHECK(in[i] == t, op, inputName(attrs, i),
                "dtype " << dtypeName(static_cast<DType>(in[i])) << " does not match "
                         << inputName(attrs, tIdx) << "'s dtype " << dtypeName(static_cast<DType>(t)));
    }
    if (!out.empty()) out[0] = io.outFloat32 ? f32 : t;
  };
}

// ---- multi-weight updates ----

namespace {

// Input i's MXNet name ("grad_1", "lrs").
std::string multiName(const MultiIO& io, int num, size_t i) {
  const size_t stride = io.group.size();
  const size_t grouped = stride * static_cast<size_t>(num);
  if (i < grouped) return io.group[i % stride] + "_" + std::to_string(i / stride);
  if (i - grouped < io.tail.size()) return io.tail[i - grouped];
  return "input " + std::to_string(i);
}

// Checks the input count and the tuple params against num_weights; returns num_weights.
int checkMultiCounts(const MultiIO& io, const NodeAttrs& attrs, size_t numInputs) {
  const char* op = opOf(attrs);
  const MultiCounts c = io.counts(attrs);
  const size_t want = io.group.size() * static_cast<size_t>(c.num) + io.tail.size();
  if (numInputs != want) {
    std::string names;
    for (size_t j = 0; j < io.group.size(); ++j) names += io.group[j] + "_0, ";
    names += "...";
    for (const auto& t : io.tail) names += ", " + t;
    throwError(op, "inputs",
               "expected " + std::to_string(want) + " input(s) for " + c.countName + "=" + std::to_string(c.num) +
                   " (" + names + "), got " + std::to_string(numInputs));
  }
  for (const auto& [name, len] : c.tuples)
    IST_CHECK(len == static_cast<size_t>(c.num), op, name,
              "has " << len << " value(s) but " << c.countName << " is " << c.num << " (one value per weight)");
  return c.num;
}

}  // namespace

std::vector<std::string> multiInputNames(const MultiIO& io, int num) {
  std::vector<std::string> r;
  const size_t n = io.group.size() * static_cast<size_t>(num > 0 ? num : 0) + io.tail.size();
  for (size_t i = 0; i < n; ++i) r.push_back(multiName(io, num, i));
  return r;
}

FInferShape multiUpdateShape(MultiIO io) {
  return [io](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
    const char* op = opOf(attrs);
    const int num = checkMultiCounts(io, attrs, in.size());
    const size_t stride = io.group.size();
    for (size_t k = 0; k < static_cast<size_t>(num); ++k) {
      // The reference: the group's first known shape, else the output's.
      size_t refIdx = stride;
      for (size_t j = 0; j < stride && refIdx == stride; ++j)
        if (shapeIsKnown(in[k * stride + j])) refIdx = j;
      Shape ref;
      std::string refName;
      if (refIdx < stride) {
        ref = in[k * stride + refIdx];
        refName = multiName(io, num, k * stride + refIdx);
      } else if (k < out.size() && shapeIsKnown(out[k])) {
        ref = out[k];
        refName = "output " + std::to_string(k);
      } else {
        continue;
      }
      for (size_t j = 0; j < stride; ++j) {
        Shape& s = in[k * stride + j];
        if (!shapeIsKnown(s)) {
          s = ref;
          continue;
        }
        IST_CHECK(s == ref, op, multiName(io, num, k * stride + j),
                  "shape " << shapeString(s) << " does not match " << refName << "'s shape " << shapeString(ref)
                           << " (a weight's gradient and states have the weight's shape)");
      }
      if (k < out.size()) out[k] = ref;
    }
    const int64_t elems = io.tailElems > 0 ? io.tailElems : num;
    for (size_t t = 0; t < io.tail.size(); ++t) {
      Shape& s = in[stride * static_cast<size_t>(num) + t];
      if (!shapeIsKnown(s)) {
        s = Shape{elems};
        continue;
      }
      if (io.tailElems > 0) {
        IST_CHECK(shapeSize(s) == elems, op, io.tail[t],
                  "expected " << elems << " element(s), got shape " << shapeString(s));
      } else {
        IST_CHECK(shapeSize(s) == elems, op, io.tail[t],
                  "expected num_weights=" << num << " elements (one per weight), got shape " << shapeString(s));
      }
    }
  };
}

FInferType multiUpdateType(MultiIO io) {
  return [io](const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
    const char* op = opOf(attrs);
    const int num = checkMultiCounts(io, attrs, in.size());
    const size_t stride = io.group.size();
    const int f32 = static_cast<int>(DType::kFloat32);
    auto isF32At = [&](size_t j) { return contains(io.float32At, static_cast<int>(j)); };
    // The dtype of group k (or of every group when uniform): its first known non-float32 input's,
    // else its output's.
    auto groupType = [&](size_t k, std::string* from) {
      for (size_t j = 0; j < stride; ++j)
        if (!isF32At(j) && in[k * stride + j] >= 0) {
          *from = multiName(io, num, k * stride + j);
          return in[k * stride + j];
        }
      if (k < out.size() && out[k] >= 0) {
        *from = "output " + std::to_string(k);
        return out[k];
      }
      return -1;
    };
    int shared = -1;
    std::string sharedFrom;
    if (io.uniformType)
      for (size_t k = 0; k < static_cast<size_t>(num) && shared < 0; ++k) shared = groupType(k, &sharedFrom);
    for (size_t k = 0; k < static_cast<size_t>(num); ++k) {
      std::string from = sharedFrom;
      const int t = io.uniformType ? shared : groupType(k, &from);
      for (size_t j = 0; j < stride; ++j) {
        int& d = in[k * stride + j];
        const std::string name = multiName(io, num, k * stride + j);
        if (isF32At(j)) {
          if (d < 0) d = f32;
          IST_CHECK(d == f32, op, name,
                    "dtype " << dtypeName(static_cast<DType>(d))
                             << " is not float32 (multi-precision states and master weights are float32)");
          continue;
        }
        if (t < 0) continue;
        if (d < 0) {
          d = t;
          continue;
        }
        IST_CHECK(d == t, op, name,
                  "dtype " << dtypeName(static_cast<DType>(d)) << " does not match " << from << "'s dtype "
                           << dtypeName(static_cast<DType>(t)));
      }
      if (t < 0) continue;
      IST_CHECK(dtypeIsFloat(static_cast<DType>(t)), op, from,
                "optimizer updates need floating-point arrays (float16, bfloat16, float32, float64), got "
                    << dtypeName(static_cast<DType>(t)));
      if (k < out.size()) out[k] = t;
    }
    for (size_t t = 0; t < io.tail.size(); ++t) {
      int& d = in[stride * static_cast<size_t>(num) + t];
      const int want = io.tailFloat32 ? f32 : shared;
      if (want < 0) continue;
      if (d < 0) d = want;
      const std::string wanted = io.tailFloat32 ? std::string("float32")
                                                : "the weights' dtype " + std::string(dtypeName(static_cast<DType>(want)));
      IST_CHECK(d == want, op, io.tail[t], "dtype " << dtypeName(static_cast<DType>(d)) << " is not " << wanted);
    }
  };
}

}  // namespace optim
}  // namespace ist
