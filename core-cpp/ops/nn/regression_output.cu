// GPU computes of the regression output layers and their backward ops
// (regression_output_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/regression_output_device.h"

namespace ist {
namespace regression_output_gpu {
namespace {
using namespace regdev;
template <Reg R> void attach(const char* fwd, const char* bwd) {
  attachDeviceComputes(fwd, regressionDev<gpu, R>, regressionDev<cpu, R>);
  attachDeviceComputes(bwd, regressionBackwardDev<gpu, R>, regressionBackwardDev<cpu, R>);
}
const bool kReg = (attach<Reg::kLinear>("LinearRegressionOutput", "_backward_linear_reg_out"),
                   attach<Reg::kLogistic>("LogisticRegressionOutput", "_backward_logistic_reg_out"),
                   attach<Reg::kMAE>("MAERegressionOutput", "_backward_mae_reg_out"), true);
}  // namespace
}  // namespace regression_output_gpu
}  // namespace ist
