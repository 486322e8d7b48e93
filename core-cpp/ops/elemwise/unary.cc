// Registrations of the one-input elementwise ops listed in op_list.h (negative, exp, relu, ...).
#include "ops/elemwise/compute.h"
#include "ops/elemwise/op_list.h"
#include "ops/elemwise/register.h"

namespace ist {
namespace elem {

#define IST_REGISTER_UNARY(name, functor, types, doc, aliases)                          \
  static Op& IST_OP_CONCAT(ist_op_reg_, __COUNTER__) [[maybe_unused]] =                 \
      restrictDTypes(addUnaryOp(#name, {IST_ELEMWISE_UNPAREN aliases}, doc,             \
                 &unaryCompute<cpu, functor, k##types##Types>), k##types##Types)            \
          .elemRow(&opElemRow<functor, k##types##Types, false>);

IST_ELEMWISE_UNARY_OPS(IST_REGISTER_UNARY)

}  // namespace elem
}  // namespace ist
