// GPU computes of _contrib_Proposal and _contrib_MultiProposal (proposal_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/proposal_device.h"

namespace ist {
namespace proposal_gpu {
namespace {
const bool kReg = (attachDeviceComputes("_contrib_Proposal", proposal::proposalDev<false, gpu>,
                                        proposal::proposalDev<false, cpu>),
                   attachDeviceComputes("_contrib_MultiProposal", proposal::proposalDev<true, gpu>,
                                        proposal::proposalDev<true, cpu>),
                   true);
}  // namespace
}  // namespace proposal_gpu
}  // namespace ist
