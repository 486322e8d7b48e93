// GPU computes of the contrib family (the *_device.h headers of this folder), each with its CPU twin: one
// translation unit, since nvcc's fixed cost per file outweighs these few lines of registrations.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/contrib/allclose_device.h"
#include "ops/contrib/arange_like_device.h"
#include "ops/contrib/box_iou_device.h"
#include "ops/contrib/box_nms_device.h"
#include "ops/contrib/index_array_device.h"
#include "ops/contrib/index_copy_device.h"
#include "ops/contrib/interleaved_matmul_device.h"
#include "ops/contrib/multibox_detection_device.h"
#include "ops/contrib/multibox_prior_device.h"
#include "ops/contrib/multibox_target_device.h"
#include "ops/contrib/scale_ops_device.h"

namespace ist {
namespace {

// GPU compute of _contrib_allclose (allclose_device.h), with its CPU twin.
namespace allclose_computes {
using namespace allclose;
const bool kReg = (attachDeviceComputes(kOp, allcloseDev<gpu>, allcloseDev<cpu>), true);
}  // namespace allclose_computes

// GPU compute of _contrib_arange_like (arange_like_device.h), with its CPU twin.
namespace arange_like_computes {
const bool kReg = (attachDeviceComputes("_contrib_arange_like", arangelike::rangeLikeDev<gpu>,
                                        arangelike::rangeLikeDev<cpu>),
                   true);
}  // namespace arange_like_computes

// GPU computes of _contrib_box_iou and _backward_contrib_box_iou (box_iou_device.h), with their CPU twins.
namespace box_iou_computes {
using namespace boxiou;
const bool kReg = (attachDeviceComputes("_contrib_box_iou", boxIouDev<gpu>, boxIouDev<cpu>),
                   attachDeviceComputes("_backward_contrib_box_iou",
                                        namedCompute("_backward_contrib_box_iou", boxIouBackwardDev<gpu>),
                                        namedCompute("_backward_contrib_box_iou", boxIouBackwardDev<cpu>)),
                   true);
}  // namespace box_iou_computes

// GPU computes of _contrib_box_nms and _backward_contrib_box_nms (box_nms_device.h), with their CPU twins.
namespace box_nms_computes {
using namespace boxnms;
const bool kReg = (attachDeviceComputes("_contrib_box_nms", boxNmsDev<gpu>, boxNmsDev<cpu>),
                   attachDeviceComputes("_backward_contrib_box_nms",
                                        namedCompute("_backward_contrib_box_nms", boxNmsBackwardDev<gpu>),
                                        namedCompute("_backward_contrib_box_nms", boxNmsBackwardDev<cpu>)),
                   true);
}  // namespace box_nms_computes

// GPU compute of _contrib_index_array (index_array_device.h), with its CPU twin.
namespace index_array_computes {
const bool kReg = (attachDeviceComputes("_contrib_index_array", indexarray::indexArrayDev<gpu>,
                                        indexarray::indexArrayDev<cpu>),
                   true);
}  // namespace index_array_computes

// GPU compute of _contrib_index_copy (index_copy_device.h), with its CPU twin.
namespace index_copy_computes {
const bool kReg = (attachDeviceComputes("_contrib_index_copy", indexcopy::indexCopyDev<gpu>,
                                        indexcopy::indexCopyDev<cpu>),
                   true);
}  // namespace index_copy_computes

// GPU computes of the _contrib_interleaved_matmul_* attention products and their backward ops
namespace interleaved_matmul_computes {
using namespace imm;
const bool kReg =
    (attachDeviceComputes(kSelfQk, selfQkDev<gpu>, selfQkDev<cpu>),
     attachDeviceComputes(kSelfVal, selfValDev<gpu>, selfValDev<cpu>),
     attachDeviceComputes(kEncQk, encQkDev<gpu>, encQkDev<cpu>),
     attachDeviceComputes(kEncVal, encValDev<gpu>, encValDev<cpu>),
     attachDeviceComputes("_backward_interleaved_matmul_selfatt_qk",
                          namedCompute("_backward_interleaved_matmul_selfatt_qk", selfQkBackwardDev<gpu>),
                          namedCompute("_backward_interleaved_matmul_selfatt_qk", selfQkBackwardDev<cpu>)),
     attachDeviceComputes("_backward_interleaved_matmul_selfatt_valatt",
                          namedCompute("_backward_interleaved_matmul_selfatt_valatt", selfValBackwardDev<gpu>),
                          namedCompute("_backward_interleaved_matmul_selfatt_valatt", selfValBackwardDev<cpu>)),
     attachDeviceComputes("_backward_interleaved_matmul_encdec_qk",
                          namedCompute("_backward_interleaved_matmul_encdec_qk", encQkBackwardDev<gpu>),
                          namedCompute("_backward_interleaved_matmul_encdec_qk", encQkBackwardDev<cpu>)),
     attachDeviceComputes("_backward_interleaved_matmul_encdec_valatt",
                          namedCompute("_backward_interleaved_matmul_encdec_valatt", encValBackwardDev<gpu>),
                          namedCompute("_backward_interleaved_matmul_encdec_valatt", encValBackwardDev<cpu>)),
     true);
}  // namespace interleaved_matmul_computes

// GPU compute of _contrib_MultiBoxDetection (multibox_detection_device.h), with its CPU twin.
namespace multibox_detection_computes {
using namespace mboxdet;
const bool kReg = (attachDeviceComputes("_contrib_MultiBoxDetection", multiBoxDetectionDev<gpu>,
                                        multiBoxDetectionDev<cpu>),
                   true);
}  // namespace multibox_detection_computes

// GPU compute of _contrib_MultiBoxPrior (multibox_prior_device.h), with its CPU twin.
namespace multibox_prior_computes {
using namespace mboxprior;
const bool kReg = (attachDeviceComputes("_contrib_MultiBoxPrior", multiBoxPriorDev<gpu>, multiBoxPriorDev<cpu>), true);
}  // namespace multibox_prior_computes

// GPU compute of _contrib_MultiBoxTarget (multibox_target_device.h), with its CPU twin.
namespace multibox_target_computes {
using namespace mboxtarget;
const bool kReg = (attachDeviceComputes("_contrib_MultiBoxTarget", multiBoxTargetDev<gpu>, multiBoxTargetDev<cpu>),
                   true);
}  // namespace multibox_target_computes

// GPU computes of the elementwise contrib ops (scale_ops_device.h), with their CPU twins.
namespace scale_ops_computes {
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
}  // namespace scale_ops_computes

}  // namespace
}  // namespace ist
