// CTCLoss's parameters and what its CPU compute (ctc_loss.cc) and device-generic compute
// (ctc_loss_device.h) share: the optional inputs' layout, the blank and padding values, and the
// check of labels and lengths (one message wherever the op runs).
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "op/params.h"

namespace ist {
namespace ctcop {

constexpr const char* kOp = "CTCLoss";
constexpr const char* kBack = "_backward_ctc_loss";

struct CTCLossParam {
  bool use_data_lengths = false, use_label_lengths = false;
  std::string blank_label;
  static void declare(ParamDecl<CTCLossParam>& d) {
    d.field("use_data_lengths", &CTCLossParam::use_data_lengths).setDefault(false)
        .doc("Whether the data lenghts are decided by `data_lengths`. If false, the lengths are equal to the max "
             "sequence length.");
    d.field("use_label_lengths", &CTCLossParam::use_label_lengths).setDefault(false)
        .doc("Whether the label lenghts are decided by `label_lengths`, or derived from `padding_mask`. If false, "
             "the lengths are derived from the first occurrence of the value of `padding_mask`. The value of "
             "`padding_mask` is ``0`` when first CTC label is reserved for blank, and ``-1`` when last label is "
             "reserved for blank. See `blank_label`.");
    d.field("blank_label", &CTCLossParam::blank_label).setDefault("first").values({"first", "last"})
        .doc("Set the label that is reserved for blank label.If \"first\", 0-th label is reserved, and label values "
             "for tokens in the vocabulary are between ``1`` and ``alphabet_size-1``, and the padding mask is "
             "``-1``. If \"last\", last label value ``alphabet_size-1`` is reserved for blank label instead, and "
             "label values for tokens in the vocabulary are between ``0`` and ``alphabet_size-2``, and the padding "
             "mask is ``0``.");
  }
  int numOptional() const { return (use_data_lengths ? 1 : 0) + (use_label_lengths ? 1 : 0); }
  int dataLengthsAt() const { return use_data_lengths ? 2 : -1; }
  int labelLengthsAt() const { return use_label_lengths ? 2 + (use_data_lengths ? 1 : 0) : -1; }
  // The blank's channel in an alphabet of A, and the label value that ends a label without label_lengths.
  int64_t blankOf(int64_t A) const { return blank_label == "first" ? 0 : A - 1; }
  double padding() const { return blank_label == "first" ? 0.0 : -1.0; }
};

// One sequence's length and labels, checked.
struct Sequence {
  int64_t T = 0;
  std::vector<int64_t> labels;
};

// Every sequence of a call, checked against data (T, N, A) and label (N, L). labelAt(b, j),
// dataLengthAt(b) and labelLengthAt(b) give the inputs' values as doubles (the lengths only when used).
template <typename LabelAt, typename DataLengthAt, typename LabelLengthAt>
std::vector<Sequence> checkedSequences(const CTCLossParam& p, const Shape& data, const Shape& label, LabelAt labelAt,
                                       DataLengthAt dataLengthAt, LabelLengthAt labelLengthAt) {
  const int64_t T = data[0], N = data[1], A = data[2], L = label[1];
  const int64_t blank = p.blankOf(A);
  const double padding = p.padding();
  std::vector<Sequence> seqs(static_cast<size_t>(N));
  for (int64_t b = 0; b < N; ++b) {
    Sequence& it = seqs[static_cast<size_t>(b)];
    it.T = T;
    if (p.use_data_lengths) {
      const double v = dataLengthAt(b);
      IST_CHECK(v >= 0 && v <= static_cast<double>(T), kOp, "data_lengths",
                "entry " << b << " is " << v << ", outside [0, " << T << "] for data of shape " << shapeString(data));
      it.T = static_cast<int64_t>(v);
    }
    int64_t len = L;
    if (p.use_label_lengths) {
      const double v = labelLengthAt(b);
      IST_CHECK(v >= 0 && v <= static_cast<double>(L), kOp, "label_lengths",
                "entry " << b << " is " << v << ", outside [0, " << L << "] for label of shape "
                         << shapeString(label));
      len = static_cast<int64_t>(v);
    } else {
      for (int64_t j = 0; j < L; ++j)
        if (labelAt(b, j) == padding) { len = j; break; }
    }
    for (int64_t j = 0; j < len; ++j) {
      const double v = labelAt(b, j);
      IST_CHECK(v >= 0 && v < static_cast<double>(A) && static_cast<int64_t>(v) != blank, kOp, "label",
                "label[" << b << ", " << j << "] = " << v << " is not a token of an alphabet of " << A
                         << " with the blank at " << blank << " (blank_label='" << p.blank_label
                         << "'; label shape " << shapeString(label) << ")");
      it.labels.push_back(static_cast<int64_t>(v));
    }
  }
  return seqs;
}

}  // namespace ctcop
}  // namespace ist
