// GPU computes of SequenceMask, SequenceLast, _backward_SequenceLast and SequenceReverse
// (sequence_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/sequence_device.h"

namespace ist {
namespace sequence_ops_gpu {
namespace {
using namespace seqdev;
const bool kReg =
    (attachDeviceComputes("SequenceMask", seqDev<gpu, SeqKind::kMask>, seqDev<cpu, SeqKind::kMask>),
     attachDeviceComputes("SequenceLast", seqDev<gpu, SeqKind::kLast>, seqDev<cpu, SeqKind::kLast>),
     attachDeviceComputes("_backward_SequenceLast",
                          namedCompute("_backward_SequenceLast", seqDev<gpu, SeqKind::kLastBackward>),
                          namedCompute("_backward_SequenceLast", seqDev<cpu, SeqKind::kLastBackward>)),
     attachDeviceComputes("SequenceReverse", seqDev<gpu, SeqKind::kReverse>, seqDev<cpu, SeqKind::kReverse>),
     true);
}  // namespace
}  // namespace sequence_ops_gpu
}  // namespace ist
