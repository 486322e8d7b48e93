// Registrations of the array-with-scalar ops listed in op_list.h (_plus_scalar, _rdiv_scalar, ...).
#include "ops/elemwise/compute.h"
#include "ops/elemwise/op_list.h"
#include "ops/elemwise/register.h"

namespace ist {
namespace elem {

#define IST_REGISTER_SCALAR(name, functor, reverse, types, doc, aliases)                \
  static Op& IST_OP_CONCAT(ist_op_reg_, __COUNTER__) [[maybe_unused]] =                 \
      restrictDTypes(addScalarOp(#name, {IST_ELEMWISE_UNPAREN aliases}, doc,            \
                  &scalarCompute<cpu, functor, reverse, k##types##Types>), k##types##Types) \
          .elemRow(&scalarElemRow<functor, reverse, k##types##Types>);

IST_SCALAR_OPS(IST_REGISTER_SCALAR)

}  // namespace elem
}  // namespace ist
