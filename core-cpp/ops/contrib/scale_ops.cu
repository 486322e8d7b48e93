// GPU computes of the elementwise contrib ops (scale_ops_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/contrib/scale_ops_device.h"

namespace ist {
namespace {
using namespace scaleops;
const bool kReg = (attachDeviceComputes("_contrib_div_sqrt_dim", divSqrtDimDev<gpu>, divSqrtDimDev<cpu>),
                   attachDeviceComputes("_contrib_quadratic", quadraticDev<gpu>, quadraticDev<cpu>),
                   attachDeviceComputes("_contrib_backward_quadratic",
                                        namedCompute("_contrib_backward_quadratic", quadraticBackwardDev<gpu>),
                                        namedCompute("_contrib_backward_quadratic", quadraticBackwardDev<cpu>)),
                   attachDeviceComputes("_contrib_gradientmultiplier", identityDev<gpu>, identityDev<cpu>),
                   attachDeviceComputes("_contrib_backward_gradientmultiplier", mulScalarDev<gpu>,
                                        mulScalarDev<cpu>),
                   true);
}  // namespace
}  // namespace ist
