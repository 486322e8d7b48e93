// Scalar math written once for CPU, WASM and CUDA: MXNet's elementwise functors and derivatives.
//
// A functor is a struct with an ISTX static Map taking and returning the compute type T
// (ComputeType<storage>: float for float16/bfloat16). Launchers (ops/elemwise/maps.h) load,
// call Map and store. Rules, as in MXNet's mshadow_op.h:
//   - results have the inputs' dtype; comparisons and logic give T(1) / T(0);
//   - transcendental math on integers is computed in double and converted back (convert.h);
//   - integer division and modulo by zero give 0 instead of trapping.
// Derivatives sit beside their forward functor: `<name>_grad(x)` takes the forward input, and
// the ones marked "(of y)" take the forward output, which is what MXNet's backward ops keep.
#pragma once
#include <math.h>
#include <stdint.h>
#include <type_traits>
#include "base/macros.h"
#include "ops/elemwise/convert.h"

namespace ist {

// float/double overloads of the C math library, callable from device code (no std::).
namespace math {
#define IST_MATH_FN1(name, c)                                 \
  ISTX float name(float a) { return ::c##f(a); }              \
  ISTX double name(double a) { return ::c(a); }
#define IST_MATH_FN2(name, c)                                       \
  ISTX float name(float a, float b) { return ::c##f(a, b); }        \
  ISTX double name(double a, double b) { return ::c(a, b); }
IST_MATH_FN1(exp, exp)
IST_MATH_FN1(expm1, expm1)
IST_MATH_FN1(log, log)
IST_MATH_FN1(log1p, log1p)
IST_MATH_FN1(log2, log2)
IST_MATH_FN1(log10, log10)
IST_MATH_FN1(sqrt, sqrt)
IST_MATH_FN1(cbrt, cbrt)
IST_MATH_FN1(sin, sin)
IST_MATH_FN1(cos, cos)
IST_MATH_FN1(tan, tan)
IST_MATH_FN1(asin, asin)
IST_MATH_FN1(acos, acos)
IST_MATH_FN1(atan, atan)
IST_MATH_FN1(sinh, sinh)
IST_MATH_FN1(cosh, cosh)
IST_MATH_FN1(tanh, tanh)
IST_MATH_FN1(asinh, asinh)
IST_MATH_FN1(acosh, acosh)
IST_MATH_FN1(atanh, atanh)
IST_MATH_FN1(erf, erf)
IST_MATH_FN1(erfc, erfc)
IST_MATH_FN1(tgamma, tgamma)
IST_MATH_FN1(lgamma, lgamma)
IST_MATH_FN1(fabs, fabs)
IST_MATH_FN1(floor, floor)
IST_MATH_FN1(ceil, ceil)
IST_MATH_FN1(round, round)
IST_MATH_FN1(trunc, trunc)
IST_MATH_FN2(pow, pow)
IST_MATH_FN2(hypot, hypot)
IST_MATH_FN2(fmod, fmod)
IST_MATH_FN2(atan2, atan2)
#undef IST_MATH_FN1
#undef IST_MATH_FN2

template <typename T> ISTX bool isNan(T a) {
  if constexpr (std::is_floating_point_v<T>) return !(a == a);
  else return false;
}
constexpr double kPi = 3.14159265358979323846;
}  // namespace math

namespace elem {

// Integer arithmetic runs in an unsigned type of at least 32 bits so overflow wraps instead of
// being undefined (uint16 * uint16 would otherwise overflow int).
template <typename T, bool = std::is_integral_v<T>> struct WrapType { using type = T; };
template <typename T> struct WrapType<T, true> {
  using type = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;
};
template <typename T> using WrapOf = typename WrapType<T>::type;

// Integer outputs truncate the double result. CUDA's double log2/tgamma/... may land a few ulps
// below an exact integer where glibc is exact (log2(8), tgamma(4)), so on the device a result
// within 4 ulps of an integer is taken as that integer; the CPU path is unchanged.
template <typename T, typename R> ISTX R snapForInteger(R r) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_integral_v<T>) {
    const R n = ::rint(r);
    if (::fabs(r - n) <= R(4) * R(2.220446049250313e-16) * ::fabs(n)) return n;
  }
#endif
  return r;
}

// Unary functor computing `expr` of x = R(a), R = RealOf<T> (double for integer T).
#define IST_UNARY_REAL(name, expr)                                       \
  struct name {                                                          \
    static constexpr int kCost = 10;                                     \
    static constexpr bool kReal = true;                                  \
    template <typename T> ISTX static T Map(T a) {                       \
      using R = RealOf<T>;                                               \
      const R x = R(a);                                                  \
      return convert<T>(snapForInteger<T>(R(expr)));                     \
    }                                                                    \
  };
// Binary functor computing `expr` of x = R(a), y = R(b).
#define IST_BINARY_REAL(name, expr)                                      \
  struct name {                                                          \
    static constexpr int kCost = 10;                                     \
    template <typename T> ISTX static T Map(T a, T b) {                  \
      using R = RealOf<T>;                                               \
      const R x = R(a), y = R(b);                                        \
      return convert<T>(snapForInteger<T>(R(expr)));                     \
    }                                                                    \
  };
// Binary functor with a T(1) / T(0) result.
#define IST_BINARY_LOGIC(name, cond)                                     \
  struct name {                                                          \
    template <typename T> ISTX static T Map(T a, T b) { return (cond) ? T(1) : T(0); } \
  };

// Rough cost of one Map call in simple ops (sets parallelFor's grain); 1 unless OP says kCost.
template <typename OP, typename = void> struct CostOf { static constexpr int value = 1; };
template <typename OP> struct CostOf<OP, std::void_t<decltype(OP::kCost)>> {
  static constexpr int value = OP::kCost;
};

// True for unary functors that compute in RealOf<T> (so an integer T gives the same result as
// running the functor on double and converting back).
template <typename OP, typename = void> struct IsRealFunctor : std::false_type {};
template <typename OP>
struct IsRealFunctor<OP, std::void_t<decltype(OP::kReal)>> : std::bool_constant<OP::kReal> {};

// ---- unary: identity, sign and rounding (integers stay exact) ----
struct identity {
  template <typename T> ISTX static T Map(T a) { return a; }
};
struct negation {
  template <typename T> ISTX static T Map(T a) {
    if constexpr (std::is_integral_v<T>) return T(WrapOf<T>(0) - WrapOf<T>(a));
    else return -a;
  }
};
struct abs {
  template <typename T> ISTX static T Map(T a) {
    if constexpr (std::is_unsigned_v<T>) return a;
    else if constexpr (std::is_integral_v<T>) return a < T(0) ? negation::Map(a) : a;
    else return math::fabs(a);
  }
};
// sign(NaN) is 0, as in MXNet.
struct sign {
  template <typename T> ISTX static T Map(T a) {
    if (a > T(0)) return T(1);
    if constexpr (!std::is_unsigned_v<T>) {
      if (a < T(0)) return T(-1);
    }
    return T(0);
  }
};
// abs_grad(x) is sign(x); sign_grad is 0.
using abs_grad = sign;
struct zero_grad {
  template <typename T> ISTX static T Map(T) { return T(0); }
};
// Rounding is the identity on integers.
#define IST_UNARY_ROUNDING(name, expr)                                   \
  struct name {                                                          \
    template <typename T> ISTX static T Map(T a) {                       \
      if constexpr (std::is_integral_v<T>) return a;                     \
      else return (expr);                                                \
    }                                                                    \
  };
IST_UNARY_ROUNDING(floor, math::floor(a))
IST_UNARY_ROUNDING(ceil, math::ceil(a))
IST_UNARY_ROUNDING(round, math::round(a))  // halves away from zero
IST_UNARY_ROUNDING(trunc, math::trunc(a))
// MXNet's rint: nearest integer, halves go down (rint(1.5) = 1, rint(-1.5) = -2).
IST_UNARY_ROUNDING(rint, (a - math::floor(a)) <= (math::ceil(a) - a) ? math::floor(a)
                                                                   : math::ceil(a))
// fix: toward zero, like trunc.
IST_UNARY_ROUNDING(fix, math::fabs(math::floor(a)) < math::fabs(math::ceil(a)) ? math::floor(a)
                                                                              : math::ceil(a))

// ---- unary: activations ----
struct relu {
  template <typename T> ISTX static T Map(T a) { return (math::isNan(a) || a > T(0)) ? a : T(0); }
};
struct relu_grad {  // (of y)
  template <typename T> ISTX static T Map(T y) {
    return math::isNan(y) ? y : (y > T(0) ? T(1) : T(0));
  }
};
IST_UNARY_REAL(sigmoid, R(1) / (R(1) + math::exp(-x)))
IST_UNARY_REAL(sigmoid_grad, x * (R(1) - x))  // (of y)
IST_UNARY_REAL(tanh, math::tanh(x))
IST_UNARY_REAL(tanh_grad, R(1) - x * x)  // (of y)
IST_UNARY_REAL(softsign, x / (R(1) + math::fabs(x)))
IST_UNARY_REAL(softsign_grad, R(1) / ((R(1) + math::fabs(x)) * (R(1) + math::fabs(x))))
// hard_sigmoid(x) = clip(alpha * x + beta, 0, 1); alpha and beta come from the op's params.
struct hard_sigmoid {
  static constexpr int kCost = 10;
  template <typename T> ISTX static T Map(T a, T alpha, T beta) {
    using R = RealOf<T>;
    R v = R(alpha) * R(a) + R(beta);
    return convert<T>(v > R(1) ? R(1) : (v < R(0) ? R(0) : v));
  }
};
struct hard_sigmoid_grad {
  template <typename T> ISTX static T Map(T a, T alpha, T beta) {
    using R = RealOf<T>;
    R v = R(alpha) * R(a) + R(beta);
    return (v > R(0) && v < R(1)) ? alpha : T(0);
  }
};

// ---- unary: powers, exponentials and logarithms ----
struct square {
  template <typename T> ISTX static T Map(T a) { return T(WrapOf<T>(a) * WrapOf<T>(a)); }
};
IST_UNARY_REAL(square_grad, R(2) * x)
IST_UNARY_REAL(square_root, math::sqrt(x))
IST_UNARY_REAL(square_root_grad, R(0.5) / x)  // (of y)
IST_UNARY_REAL(reciprocal_square_root, R(1) / math::sqrt(x))
IST_UNARY_REAL(reciprocal_square_root_grad, R(-0.5) / (math::sqrt(x) * x))
IST_UNARY_REAL(cube_root, math::cbrt(x))
IST_UNARY_REAL(cube_root_grad, R(1) / (R(3) * x * x))  // (of y)
IST_UNARY_REAL(reciprocal_cube_root, R(1) / math::cbrt(x))
IST_UNARY_REAL(reciprocal_cube_root_grad, R(-1) / (R(3) * math::cbrt(x) * x))
IST_UNARY_REAL(reciprocal, R(1) / x)
IST_UNARY_REAL(reciprocal_grad, R(-1) / (x * x))
IST_UNARY_REAL(exp, math::exp(x))  // exp_grad is exp itself (of y: y)
IST_UNARY_REAL(expm1, math::expm1(x))
IST_UNARY_REAL(expm1_grad, math::exp(x))
IST_UNARY_REAL(log, math::log(x))
IST_UNARY_REAL(log_grad, R(1) / x)
IST_UNARY_REAL(log1p, math::log1p(x))
IST_UNARY_REAL(log1p_grad, R(1) / (R(1) + x))
IST_UNARY_REAL(log2, math::log2(x))
IST_UNARY_REAL(log2_grad, R(1) / (x * R(0.69314718055994530942)))
IST_UNARY_REAL(log10, math::log10(x))
IST_UNARY_REAL(log10_grad, R(1) / (x * R(2.30258509299404568402)))
IST_UNARY_REAL(erf, math::erf(x))
IST_UNARY_REAL(erf_grad, R(1.12837916709551257390) * math::exp(-(x * x)))  // 2/sqrt(pi)

// erfinv: Giles' single-precision approximation ("Approximating the erfinv function", 2010)
// refined by two Halley steps, so double precision is reached too. Near |y| = 1 the residual
// is taken through erfc against 1 - |y| (exact there), where erf itself has no digits left.
struct erfinv {
  static constexpr int kCost = 40;
  static constexpr bool kReal = true;
  template <typename T> ISTX static T Map(T a) { return convert<T>(eval(RealOf<T>(a))); }
  template <typename R> ISTX static R eval(R y) {
    const R ay = math::fabs(y);
    if (!(ay < R(1))) {  // NaN, +-1 and beyond
      if (ay == R(1)) return y > R(0) ? R(INFINITY) : R(-INFINITY);
      return R(NAN);
    }
    R w = -math::log((R(1) - ay) * (R(1) + ay)), p;
    if (w < R(5)) {
      w = w - R(2.5);
      p = R(2.81022636e-08);
      p = R(3.43273939e-07) + p * w;
      p = R(-3.5233877e-06) + p * w;
      p = R(-4.39150654e-06) + p * w;
      p = R(0.00021858087) + p * w;
      p = R(-0.00125372503) + p * w;
      p = R(-0.00417768164) + p * w;
      p = R(0.246640727) + p * w;
      p = R(1.50140941) + p * w;
    } else {
      w = math::sqrt(w) - R(3);
      p = R(-0.000200214257);
      p = R(0.000100950558) + p * w;
      p = R(0.00134934322) + p * w;
      p = R(-0.00367342844) + p * w;
      p = R(0.00573950773) + p * w;
      p = R(-0.0076224613) + p * w;
      p = R(0.00943887047) + p * w;
      p = R(1.00167406) + p * w;
      p = R(2.83297682) + p * w;
    }
    R x = p * ay;
    // Halley on f(x) = erf(x) - |y|: f'' = -2x f', so the step is dx / (1 + x dx), dx = f / f'.
    for (int k = 0; k < 2; ++k) {
      const R f = ay <= R(0.5) ? math::erf(x) - ay : (R(1) - ay) - math::erfc(x);
      const R dx = f / (R(1.12837916709551257390) * math::exp(-(x * x)));
      x -= dx / (R(1) + x * dx);
    }
    return y < R(0) ? -x : x;
  }
};
IST_UNARY_REAL(gamma, math::tgamma(x))
IST_UNARY_REAL(gammaln, math::lgamma(x))
// digamma (psi), the derivative of gammaln: reflection for x <= 0 (poles at 0, -1, ... give
// NaN), the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series.
struct digamma {
  static constexpr int kCost = 40;
  static constexpr bool kReal = true;
  template <typename T> ISTX static T Map(T a) { return convert<T>(eval(RealOf<T>(a))); }
  template <typename R> ISTX static R eval(R x) {
    R result = R(0);
    if (x <= R(0)) {
      if (x == math::floor(x)) return R(NAN);
      result = -R(math::kPi) / math::tan(R(math::kPi) * x);
      x = R(1) - x;
    }
    while (x < R(10)) {
      result -= R(1) / x;
      x += R(1);
    }
    const R f = R(1) / (x * x);
    const R series =
        f * (R(1.0 / 12) -
             f * (R(1.0 / 120) -
                  f * (R(1.0 / 252) -
                       f * (R(1.0 / 240) - f * (R(1.0 / 132) - f * (R(691.0 / 32760) - f * R(1.0 / 12)))))));
    return result + math::log(x) - R(0.5) / x - series;
  }
};

// trigamma, the derivative of digamma: reflection psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x)
// for x <= 0, the recurrence psi1(x) = psi1(x + 1) + 1/x^2 up to x >= 10, then the series.
struct trigamma {
  static constexpr int kCost = 40;
  static constexpr bool kReal = true;
  template <typename T> ISTX static T Map(T a) { return convert<T>(eval(RealOf<T>(a))); }
  template <typename R> ISTX static R eval(R x) {
    R result = R(0), sign = R(1);
    if (x <= R(0)) {
      if (x == math::floor(x)) return R(NAN);
      const R s = math::sin(R(math::kPi) * x);
      result = R(math::kPi * math::kPi) / (s * s);
      sign = R(-1);
      x = R(1) - x;
    }
    R rec = R(0);
    while (x < R(10)) {
      rec += R(1) / (x * x);
      x += R(1);
    }
    const R f = R(1) / (x * x);
    // 1/x + 1/(2x^2) + sum B_2k / x^(2k+1)
    const R series =
        R(1) / x + R(0.5) * f +
        f / x * (R(1.0 / 6) -
                 f * (R(1.0 / 30) -
                      f * (R(1.0 / 42) - f * (R(1.0 / 30) - f * (R(5.0 / 66) - f * (R(691.0 / 2730) - f * R(7.0 / 6)))))));
    return result + sign * (rec + series);
  }
};

// ---- unary: classification (1 / 0 in the input dtype; integers are finite, never NaN) ----
struct is_nan {
  template <typename T> ISTX static T Map(T a) { return math::isNan(a) ? T(1) : T(0); }
};
struct is_inf {
  template <typename T> ISTX static T Map(T a) {
    if constexpr (std::is_floating_point_v<T>) return (a == T(INFINITY) || a == T(-INFINITY)) ? T(1) : T(0);
    else return T(0);
  }
};
struct is_finite {
  template <typename T> ISTX static T Map(T a) {
    if constexpr (std::is_floating_point_v<T>) return (a - a == T(0)) ? T(1) : T(0);  // NaN, inf fail
    else return T(1);
  }
};

// ---- unary: trigonometry ----
IST_UNARY_REAL(sin, math::sin(x))
IST_UNARY_REAL(sin_grad, math::cos(x))
IST_UNARY_REAL(cos, math::cos(x))
IST_UNARY_REAL(cos_grad, -math::sin(x))
IST_UNARY_REAL(tan, math::tan(x))
IST_UNARY_REAL(tan_grad, x * x + R(1))  // (of y)
IST_UNARY_REAL(arcsin, math::asin(x))
IST_UNARY_REAL(arcsin_grad, R(1) / math::sqrt(R(1) - x * x))
IST_UNARY_REAL(arccos, math::acos(x))
IST_UNARY_REAL(arccos_grad, R(-1) / math::sqrt(R(1) - x * x))
IST_UNARY_REAL(arctan, math::atan(x))
IST_UNARY_REAL(arctan_grad, R(1) / (x * x + R(1)))
IST_UNARY_REAL(sinh, math::sinh(x))
IST_UNARY_REAL(sinh_grad, math::cosh(x))
IST_UNARY_REAL(cosh, math::cosh(x))
IST_UNARY_REAL(cosh_grad, math::sinh(x))
IST_UNARY_REAL(arcsinh, math::asinh(x))
IST_UNARY_REAL(arcsinh_grad, R(1) / math::hypot(x, R(1)))
IST_UNARY_REAL(arccosh, math::acosh(x))
IST_UNARY_REAL(arccosh_grad, R(1) / math::sqrt(x * x - R(1)))
IST_UNARY_REAL(arctanh, math::atanh(x))
IST_UNARY_REAL(arctanh_grad, R(1) / (R(1) - x * x))
IST_UNARY_REAL(degrees, R(180.0 / math::kPi) * x)
struct degrees_grad {
  template <typename T> ISTX static T Map(T) { return convert<T>(RealOf<T>(180.0 / math::kPi)); }
};
IST_UNARY_REAL(radians, R(math::kPi / 180.0) * x)
struct radians_grad {
  template <typename T> ISTX static T Map(T) { return convert<T>(RealOf<T>(math::kPi / 180.0)); }
};

// ---- unary: logic ----
struct logical_not {
  template <typename T> ISTX static T Map(T a) { return a != T(0) ? T(0) : T(1); }
};

// ---- binary: arithmetic ----
struct plus {
  template <typename T> ISTX static T Map(T a, T b) { return T(WrapOf<T>(a) + WrapOf<T>(b)); }
};
struct minus {
  template <typename T> ISTX static T Map(T a, T b) { return T(WrapOf<T>(a) - WrapOf<T>(b)); }
};
struct mul {
  template <typename T> ISTX static T Map(T a, T b) { return T(WrapOf<T>(a) * WrapOf<T>(b)); }
};
// Integer division truncates (C semantics, as MXNet); by zero gives 0; INT_MIN / -1 wraps.
struct div {
  template <typename T> ISTX static T Map(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      if (b == T(0)) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T(0 - static_cast<uint64_t>(a));
      }
      return T(a / b);
    } else {
      return a / b;
    }
  }
};
IST_BINARY_REAL(div_grad, R(1) / y)         // d/da
IST_BINARY_REAL(div_rgrad, -x / (y * y))    // d/db
// Python-style modulo: the result takes the divisor's sign; modulo by zero gives 0.
struct mod {
  static constexpr int kCost = 10;
  template <typename T> ISTX static T Map(T a, T b) {
    if (b == T(0)) return T(0);
    if constexpr (std::is_unsigned_v<T>) {
      return T(a % b);
    } else if constexpr (std::is_integral_v<T>) {
      if (b == T(-1)) return T(0);
      T r = T(a % b);
      return (r != T(0) && ((r < T(0)) != (b < T(0)))) ? T(r + b) : r;
    } else {
      T r = math::fmod(a, b);
      return (r != T(0) && ((r < T(0)) != (b < T(0)))) ? T(r + b) : r;
    }
  }
};
struct mod_grad {
  template <typename T> ISTX static T Map(T, T) { return T(1); }
};
IST_BINARY_REAL(mod_rgrad, -math::floor(x / y))
// Integer powers are exact (wrapping on overflow); negative exponents give trunc(a ** b).
struct power {
  static constexpr int kCost = 10;
  template <typename T> ISTX static T Map(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (b < T(0)) return a == T(1) ? T(1) : (a == T(-1) ? ((b & T(1)) ? T(-1) : T(1)) : T(0));
      }
      uint64_t r = 1, base = static_cast<uint64_t>(a);
      for (uint64_t e = static_cast<uint64_t>(b); e != 0; e >>= 1) {
        if (e & 1u) r *= base;
        base *= base;
      }
      return static_cast<T>(r);
    } else {
      return math::pow(a, b);
    }
  }
};
IST_BINARY_REAL(power_grad, math::pow(x, y - R(1)) * y)   // d/da
IST_BINARY_REAL(power_rgrad, math::pow(x, y) * math::log(x))  // d/db
// NaN in either operand propagates, as in MXNet and NumPy.
struct maximum {
  template <typename T> ISTX static T Map(T a, T b) { return (math::isNan(a) || a > b) ? a : b; }
};
struct minimum {
  template <typename T> ISTX static T Map(T a, T b) { return (math::isNan(a) || a < b) ? a : b; }
};
// Gradients of maximum/minimum route to lhs where it won (ties to lhs), else to rhs.
IST_BINARY_LOGIC(maximum_grad, a >= b)
IST_BINARY_LOGIC(maximum_rgrad, a < b)
IST_BINARY_LOGIC(minimum_grad, a <= b)
IST_BINARY_LOGIC(minimum_rgrad, a > b)
// arctan2(y, x): the angle of the point (x, y), in (-pi, pi].
IST_BINARY_REAL(arctan2, math::atan2(x, y))
IST_BINARY_REAL(hypot, math::hypot(x, y))
IST_BINARY_REAL(hypot_grad, x / math::hypot(x, y))
IST_BINARY_REAL(hypot_rgrad, y / math::hypot(x, y))
// smooth_l1(x, sigma): 0.5 (sigma x)^2 where |x| < 1/sigma^2, else |x| - 0.5/sigma^2.
struct smooth_l1 {
  static constexpr int kCost = 10;
  template <typename T> ISTX static T Map(T a, T b) {
    using R = RealOf<T>;
    const R x = R(a), bsq = R(b) * R(b), ibsq = R(1) / bsq;
    if (x > ibsq) return convert<T>(x - R(0.5) * ibsq);
    if (x < -ibsq) return convert<T>(-x - R(0.5) * ibsq);
    return convert<T>(R(0.5) * x * x * bsq);
  }
};
struct smooth_l1_grad {
  template <typename T> ISTX static T Map(T a, T b) {
    using R = RealOf<T>;
    const R x = R(a), bsq = R(b) * R(b), ibsq = R(1) / bsq;
    if (x > ibsq) return T(1);
    if (x < -ibsq) return convert<T>(R(-1));
    return convert<T>(bsq * x);
  }
};

// ---- binary: comparison and logic (T(1) / T(0)) ----
IST_BINARY_LOGIC(eq, a == b)
IST_BINARY_LOGIC(ne, a != b)
IST_BINARY_LOGIC(gt, a > b)
IST_BINARY_LOGIC(ge, a >= b)
IST_BINARY_LOGIC(lt, a < b)
IST_BINARY_LOGIC(le, a <= b)
IST_BINARY_LOGIC(logical_and, a != T(0) && b != T(0))
IST_BINARY_LOGIC(logical_or, a != T(0) || b != T(0))
IST_BINARY_LOGIC(logical_xor, (a != T(0)) != (b != T(0)))

// ---- ternary ----
// clip(x, lo, hi); NaN passes through. Bounds are pre-clamped to T's range by the caller.
struct clip {
  template <typename T> ISTX static T Map(T a, T lo, T hi) {
    return a > hi ? hi : (a < lo ? lo : a);
  }
};
// clip_grad: 1 inside [lo, hi], 0 outside.
struct clip_grad {
  template <typename T> ISTX static T Map(T a, T lo, T hi) {
    return (a >= lo && a <= hi) ? T(1) : T(0);
  }
};

#undef IST_UNARY_ROUNDING

}  // namespace elem
}  // namespace ist
