// Registrations of the two-input ops listed in op_list.h: same-shape (elemwise_add, _mod,
// _equal, ...) and broadcasting (broadcast_add, broadcast_equal, ...).
#include "ops/elemwise/compute.h"
#include "ops/elemwise/op_list.h"
#include "ops/elemwise/register.h"

namespace ist {
namespace elem {

#define IST_REGISTER_BINARY(name, functor, types, doc, aliases)                         \
  static Op& IST_OP_CONCAT(ist_op_reg_, __COUNTER__) [[maybe_unused]] =                 \
      restrictDTypes(addBinaryOp(#name, {IST_ELEMWISE_UNPAREN aliases}, doc,            \
                  &binaryCompute<cpu, functor, k##types##Types>, false), k##types##Types)  \
          .elemRow(&opElemRow<functor, k##types##Types, true>);
#define IST_REGISTER_BROADCAST(name, functor, types, doc, aliases)                      \
  static Op& IST_OP_CONCAT(ist_op_reg_, __COUNTER__) [[maybe_unused]] =                 \
      restrictDTypes(addBinaryOp(#name, {IST_ELEMWISE_UNPAREN aliases}, doc,            \
                  &binaryCompute<cpu, functor, k##types##Types>, true), k##types##Types)   \
          .elemRow(&opElemRow<functor, k##types##Types, true>);

IST_ELEMWISE_BINARY_OPS(IST_REGISTER_BINARY)
IST_BROADCAST_BINARY_OPS(IST_REGISTER_BROADCAST)

}  // namespace elem
}  // namespace ist
