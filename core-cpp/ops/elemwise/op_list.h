// The elementwise ops that are one functor each, listed once for the CPU registrations
// (unary.cc, binary.cc, scalar.cc) and the GPU attachments (kernels/cuda/elemwise.cu).
//
// Columns: X(MXNet name, functor in elem::, dtypes: All | Numeric | Float, doc, (aliases))
// Scalar ops add a column after the functor: Reverse (true: scalar OP data).
#pragma once

#define IST_ELEMWISE_UNARY_OPS(X)                                                              \
  X(negative, negation, Numeric, "Numerical negative of the argument, element-wise.", ())    \
  X(abs, abs, Numeric, "Returns element-wise absolute value of the input.", ())             \
  X(sign, sign, Numeric, "Returns element-wise sign of the input (-1, 0 or 1).", ())        \
  X(exp, exp, Numeric, "Returns element-wise exponential value of the input.", ())          \
  X(log, log, Numeric, "Returns element-wise natural logarithm of the input.", ())          \
  X(sqrt, square_root, Numeric, "Returns element-wise square-root value of the input.", ()) \
  X(square, square, Numeric, "Returns element-wise squared value of the input.", ())        \
  X(relu, relu, Numeric, "Computes rectified linear activation max(x, 0).", ())             \
  X(sigmoid, sigmoid, Numeric, "Computes sigmoid 1 / (1 + exp(-x)) element-wise.", ())      \
  X(tanh, tanh, Numeric, "Returns the hyperbolic tangent of the input, element-wise.", ())  \
  X(floor, floor, Numeric, "Returns element-wise floor of the input.", ())                  \
  X(ceil, ceil, Numeric, "Returns element-wise ceiling of the input.", ())                  \
  X(round, round, Numeric,                                                                   \
    "Returns element-wise rounded value to the nearest integer (halves away from zero).", ()) \
  X(rint, rint, Numeric,                                                                     \
    "Returns element-wise rounded value to the nearest integer (n.5 rounds to n).", ())      \
  X(trunc, trunc, Numeric, "Returns the element-wise truncated value of the input.", ())    \
  X(fix, fix, Numeric, "Returns element-wise value rounded towards zero.", ())              \
  X(reciprocal, reciprocal, Numeric, "Returns the reciprocal 1/x of the argument.", ())     \
  X(rsqrt, reciprocal_square_root, Numeric, "Returns element-wise 1/sqrt(x).", ())          \
  X(expm1, expm1, Numeric, "Returns exp(x) - 1 computed element-wise.", ())                 \
  X(log1p, log1p, Numeric, "Returns log(1 + x) computed element-wise.", ())                 \
  X(log2, log2, Numeric, "Returns element-wise base-2 logarithm of the input.", ())         \
  X(log10, log10, Numeric, "Returns element-wise base-10 logarithm of the input.", ())      \
  X(sin, sin, Numeric, "Computes the element-wise sine of the input array.", ())            \
  X(cos, cos, Numeric, "Computes the element-wise cosine of the input array.", ())          \
  X(tan, tan, Numeric, "Computes the element-wise tangent of the input array.", ())         \
  X(arcsin, arcsin, Numeric, "Returns element-wise inverse sine of the input array.", ())   \
  X(arccos, arccos, Numeric, "Returns element-wise inverse cosine of the input array.", ()) \
  X(arctan, arctan, Numeric, "Returns element-wise inverse tangent of the input array.", ())\
  X(sinh, sinh, Numeric, "Returns the hyperbolic sine of the input array.", ())             \
  X(cosh, cosh, Numeric, "Returns the hyperbolic cosine of the input array.", ())           \
  X(arcsinh, arcsinh, Numeric, "Returns the inverse hyperbolic sine, element-wise.", ())    \
  X(arccosh, arccosh, Numeric, "Returns the inverse hyperbolic cosine, element-wise.", ())  \
  X(arctanh, arctanh, Numeric, "Returns the inverse hyperbolic tangent, element-wise.", ()) \
  X(degrees, degrees, Numeric, "Converts each element from radians to degrees.", ())        \
  X(radians, radians, Numeric, "Converts each element from degrees to radians.", ())        \
  X(cbrt, cube_root, Numeric, "Returns element-wise cube-root value of the input.", ())     \
  X(rcbrt, reciprocal_cube_root, Numeric, "Returns element-wise 1/cbrt(x).", ())            \
  X(softsign, softsign, Numeric, "Computes softsign x / (1 + abs(x)) element-wise.", ())     \
  X(logical_not, logical_not, All, "Returns the logical NOT of the input: 1 where 0.", ())   \
  X(erf, erf, Numeric, "Returns element-wise gauss error function of the input.", ())      \
  X(erfinv, erfinv, Numeric,                                                                 \
    "Returns element-wise inverse gauss error function of the input (+-inf at +-1, NaN "      \
    "outside [-1, 1]).", ())                                                                 \
  X(gamma, gamma, Numeric, "Returns element-wise gamma function of the input.", ())          \
  X(gammaln, gammaln, Numeric,                                                               \
    "Returns element-wise log of the absolute value of the gamma function of the input.", ())\
  X(_digamma, digamma, Numeric,                                                              \
    "Returns element-wise digamma (the derivative of gammaln); used by their gradients.", ())\
  X(_trigamma, trigamma, Numeric,                                                            \
    "Returns element-wise trigamma (the derivative of digamma); used by their gradients.", ())\
  X(isnan, is_nan, All, "Returns 1 where the input is NaN, else 0, in the input's dtype.", ())\
  X(isinf, is_inf, All,                                                                      \
    "Returns 1 where the input is +inf or -inf, else 0, in the input's dtype.", ())          \
  X(isfinite, is_finite, All,                                                                \
    "Returns 1 where the input is neither infinite nor NaN, else 0, in the input's dtype.", ())

// Same-shape binary ops (inputs lhs, rhs).
#define IST_ELEMWISE_BINARY_OPS(X)                                                             \
  X(elemwise_add, plus, Numeric, "Adds arguments element-wise.", ("_add", "_plus", "_Plus"))  \
  X(elemwise_sub, minus, Numeric, "Subtracts arguments element-wise.",                        \
    ("_sub", "_minus", "_Minus"))                                                              \
  X(elemwise_mul, mul, Numeric, "Multiplies arguments element-wise.", ("_mul", "_Mul"))       \
  X(elemwise_div, div, Numeric, "Divides arguments element-wise.", ("_div", "_Div"))          \
  X(_mod, mod, Numeric, "Element-wise modulo; the result has the divisor's sign.", ("_Mod"))   \
  X(_power, power, Numeric, "Element-wise lhs raised to the power rhs.", ("_Power"))          \
  X(_maximum, maximum, Numeric, "Element-wise maximum.", ("_Maximum"))                         \
  X(_minimum, minimum, Numeric, "Element-wise minimum.", ("_Minimum"))                         \
  X(_hypot, hypot, Numeric, "Element-wise sqrt(lhs^2 + rhs^2).", ("_Hypot"))                  \
  X(_equal, eq, All, "1 where lhs == rhs, else 0.", ("_Equal"))                                \
  X(_not_equal, ne, All, "1 where lhs != rhs, else 0.", ("_Not_Equal"))                        \
  X(_greater, gt, All, "1 where lhs > rhs, else 0.", ("_Greater"))                             \
  X(_greater_equal, ge, All, "1 where lhs >= rhs, else 0.", ("_Greater_Equal"))                \
  X(_lesser, lt, All, "1 where lhs < rhs, else 0.", ("_Lesser"))                               \
  X(_lesser_equal, le, All, "1 where lhs <= rhs, else 0.", ("_Lesser_Equal"))                  \
  X(_logical_and, logical_and, All, "1 where both are non-zero, else 0.", ("_Logical_And"))    \
  X(_logical_or, logical_or, All, "1 where either is non-zero, else 0.", ("_Logical_Or"))      \
  X(_logical_xor, logical_xor, All, "1 where exactly one is non-zero, else 0.",               \
    ("_Logical_Xor"))

// Broadcasting binary ops (inputs lhs, rhs; NumPy broadcasting).
#define IST_BROADCAST_BINARY_OPS(X)                                                            \
  X(broadcast_add, plus, Numeric, "Returns element-wise sum with broadcasting.",              \
    ("broadcast_plus"))                                                                        \
  X(broadcast_sub, minus, Numeric, "Returns element-wise difference with broadcasting.",      \
    ("broadcast_minus"))                                                                       \
  X(broadcast_mul, mul, Numeric, "Returns element-wise product with broadcasting.", ())       \
  X(broadcast_div, div, Numeric, "Returns element-wise division with broadcasting.", ())      \
  X(broadcast_mod, mod, Numeric, "Returns element-wise modulo with broadcasting.", ())        \
  X(broadcast_power, power, Numeric, "Returns lhs ** rhs with broadcasting.", ())             \
  X(broadcast_maximum, maximum, Numeric, "Returns element-wise maximum with broadcasting.", ())\
  X(broadcast_minimum, minimum, Numeric, "Returns element-wise minimum with broadcasting.", ())\
  X(broadcast_hypot, hypot, Numeric, "Returns sqrt(lhs^2 + rhs^2) with broadcasting.", ())    \
  X(broadcast_equal, eq, All, "1 where lhs == rhs (broadcasting), else 0.", ())               \
  X(broadcast_not_equal, ne, All, "1 where lhs != rhs (broadcasting), else 0.", ())           \
  X(broadcast_greater, gt, All, "1 where lhs > rhs (broadcasting), else 0.", ())              \
  X(broadcast_greater_equal, ge, All, "1 where lhs >= rhs (broadcasting), else 0.", ())       \
  X(broadcast_lesser, lt, All, "1 where lhs < rhs (broadcasting), else 0.", ())               \
  X(broadcast_lesser_equal, le, All, "1 where lhs <= rhs (broadcasting), else 0.", ())        \
  X(broadcast_logical_and, logical_and, All, "Logical AND with broadcasting (1 / 0).", ())    \
  X(broadcast_logical_or, logical_or, All, "Logical OR with broadcasting (1 / 0).", ())       \
  X(broadcast_logical_xor, logical_xor, All, "Logical XOR with broadcasting (1 / 0).", ())    \
  X(arctan2, arctan2, Float,                                                                 \
    "Element-wise arc tangent of lhs/rhs choosing the quadrant (NumPy's arctan2), with "       \
    "broadcasting.", ("_npi_arctan2"))

// Array-with-scalar ops (input data; params scalar, is_int).
#define IST_SCALAR_OPS(X)                                                                      \
  X(_plus_scalar, plus, false, Numeric, "Adds a scalar to the array.", ("_PlusScalar"))      \
  X(_minus_scalar, minus, false, Numeric, "Subtracts a scalar from the array.",              \
    ("_MinusScalar"))                                                                          \
  X(_rminus_scalar, minus, true, Numeric, "Subtracts the array from a scalar.",              \
    ("_RMinusScalar"))                                                                         \
  X(_mul_scalar, mul, false, Numeric, "Multiplies the array by a scalar.", ("_MulScalar"))    \
  X(_div_scalar, div, false, Numeric, "Divides the array by a scalar.", ("_DivScalar"))       \
  X(_rdiv_scalar, div, true, Numeric, "Divides a scalar by the array.", ("_RDivScalar"))      \
  X(_mod_scalar, mod, false, Numeric, "Array modulo a scalar.", ("_ModScalar"))               \
  X(_rmod_scalar, mod, true, Numeric, "Scalar modulo the array.", ("_RModScalar"))            \
  X(_power_scalar, power, false, Numeric, "Array raised to a scalar power.", ("_PowerScalar"))\
  X(_rpower_scalar, power, true, Numeric, "Scalar raised to the array's powers.",            \
    ("_RPowerScalar"))                                                                         \
  X(_maximum_scalar, maximum, false, Numeric, "Element-wise maximum with a scalar.",         \
    ("_MaximumScalar"))                                                                        \
  X(_minimum_scalar, minimum, false, Numeric, "Element-wise minimum with a scalar.",         \
    ("_MinimumScalar"))                                                                        \
  X(_hypot_scalar, hypot, false, Numeric, "Element-wise sqrt(x^2 + scalar^2).",              \
    ("_HypotScalar"))                                                                          \
  X(_equal_scalar, eq, false, Numeric, "1 where x == scalar, else 0.", ("_EqualScalar"))     \
  X(_not_equal_scalar, ne, false, Numeric, "1 where x != scalar, else 0.",                   \
    ("_NotEqualScalar"))                                                                       \
  X(_greater_scalar, gt, false, Numeric, "1 where x > scalar, else 0.", ("_GreaterScalar"))  \
  X(_greater_equal_scalar, ge, false, Numeric, "1 where x >= scalar, else 0.",               \
    ("_GreaterEqualScalar"))                                                                   \
  X(_lesser_scalar, lt, false, Numeric, "1 where x < scalar, else 0.", ("_LesserScalar"))    \
  X(_lesser_equal_scalar, le, false, Numeric, "1 where x <= scalar, else 0.",                \
    ("_LesserEqualScalar"))                                                                    \
  X(_logical_and_scalar, logical_and, false, Numeric, "Logical AND with a scalar (1 / 0).",  \
    ("_LogicalAndScalar"))                                                                     \
  X(_logical_or_scalar, logical_or, false, Numeric, "Logical OR with a scalar (1 / 0).",     \
    ("_LogicalOrScalar"))                                                                      \
  X(_logical_xor_scalar, logical_xor, false, Numeric, "Logical XOR with a scalar (1 / 0).",  \
    ("_LogicalXorScalar"))                                                                     \
  X(_arctan2_scalar, arctan2, false, Float, "Element-wise arctan2(x, scalar).",              \
    ("_npi_arctan2_scalar"))                                                                   \
  X(_rarctan2_scalar, arctan2, true, Float, "Element-wise arctan2(scalar, x).",              \
    ("_npi_rarctan2_scalar"))

// Ops with their own registration (misc.cc, round_to_format.cc), and the compute each uses (Dev: the
// device type).
#define IST_ELEMWISE_MISC_OPS(X)                                     \
  X(_copy, copyCompute<Dev>)                                         \
  X(BlockGrad, copyCompute<Dev>)                                     \
  X(clip, clipCompute<Dev>)                                          \
  X(where, whereCompute<Dev>)                                        \
  X(Cast, castCompute<Dev>)                                          \
  X(_copyto, castCompute<Dev>)                                       \
  X(hard_sigmoid, hardSigmoidCompute<Dev>)                           \
  X(add_n, addNCompute<Dev>)                                         \
  X(smooth_l1, (scalarCompute<Dev, smooth_l1, false, kFloatTypes>)) \
  X(_cast_like, castCompute<Dev>)                                    \
  X(round_to_format, roundToFormatCompute<Dev>)
