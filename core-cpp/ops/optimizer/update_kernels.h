// Per-element math of the fused optimizer updates, written once for the CPU (and WASM) and CUDA.
//
// Every Map reads the weight either from `weight` (type T) or, for a multi-precision (mp_*)
// update, from the float32 master copy `w32`, which it then writes back; the result goes to `out`
// (usually the weight array itself: MXNet's `out=weight`). States (momentum, moments...) have
// type S: T for plain updates, float for multi-precision ones. Arithmetic runs in C =
// ComputeType<T> (float for float16/bfloat16), as MXNet's kernels run in the weight's type.
// `req` is an OpReq as int, or WriteReq: the updated states are written whatever it says (MXNet does the
// same). Each Map touches index i of its arrays only (kSameIndex), so the CPU loop vectorises even
// when `out` is the weight.
#pragma once
#include <cstdint>
#include <type_traits>
#include "base/dtype.h"
#include "base/macros.h"
#include "ops/elemwise/functors.h"

namespace ist {
namespace optim {

constexpr int kReqNull = 0, kReqAdd = 3;  // OpReq::kNull and OpReq::kAddTo as ints

// Plain writes, the request every optimizer step makes, as a type: the per-element loop then has no
// branch on the request. (WebAssembly's compiler keeps a loop-invariant branch inside the loop, and a
// store under a branch keeps the loop scalar: 5-10x slower than the vectorised loop.)
struct WriteReq {};
// No float32 master copy (not a multi-precision update), as a type for the same reason.
struct NoMaster {};

template <typename T, typename C>
ISTX void putOut(T* out, int64_t i, C v, int req) {
  if (req == kReqNull) return;
  out[i] = req == kReqAdd ? T(C(static_cast<C>(out[i])) + v) : T(v);
}
template <typename T, typename C>
ISTX void putOut(T* out, int64_t i, C v, WriteReq) { out[i] = T(v); }

// The weight this step starts from: the master copy when there is one.
template <typename T, typename C>
ISTX C loadWeight(const T* weight, const float* w32, int64_t i) { return C(w32[i]); }
template <typename T, typename C>
ISTX C loadWeight(const T* weight, NoMaster, int64_t i) {
  return C(static_cast<typename ComputeType<T>::type>(weight[i]));
}

template <typename T, typename C, typename R>
ISTX void storeWeight(T* out, float* w32, int64_t i, C w, R req) {
  w32[i] = static_cast<float>(w);
  putOut(out, i, w, req);
}
template <typename T, typename C, typename R>
ISTX void storeWeight(T* out, NoMaster, int64_t i, C w, R req) { putOut(out, i, w, req); }

template <typename C> ISTX C clipTo(C x, C bound) { return x > bound ? bound : (x < -bound ? -bound : x); }
// rescale * grad, then clipped when clip >= 0 (MXNet's order for SGD, NAG, Signum, Ftrl, LAMB...).
template <typename T, typename C>
ISTX C scaledGrad(const T* grad, int64_t i, C rescale, C clip) {
  const C g = rescale * C(static_cast<typename ComputeType<T>::type>(grad[i]));
  return clip >= C(0) ? clipTo(g, clip) : g;
}
template <typename C> ISTX C signOf(C x) { return C((x > C(0)) - (x < C(0))); }
// A stored value in its compute type (float for 16-bit floats, double stays double).
template <typename S> ISTX typename ComputeType<S>::type ld(const S& v) {
  return static_cast<typename ComputeType<S>::type>(v);
}

// sgd_update / mp_sgd_update: w = (1 - lr*wd) * w - lr * clip(rescale*g).
struct SgdMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename C, typename W, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, W w32, C lr, C wd,
                       C rescale, C clip, R req) {
    const C w = loadWeight<T, C>(weight, w32, i);
    storeWeight(out, w32, i, (C(1) - lr * wd) * w - lr * scaledGrad(grad, i, rescale, clip), req);
  }
};

// sgd_mom_update / mp_sgd_mom_update: mom = momentum*mom - lr*wd*w - lr*clip(rescale*g); w += mom.
// (The momentum holds -lr times PyTorch's buffer, so it matches PyTorch only at a constant lr.)
struct SgdMomMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename S, typename C, typename W, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, S* mom, W w32, C lr,
                       C momentum, C wd, C rescale, C clip, R req) {
    const C w = loadWeight<T, C>(weight, w32, i);
    const C m = momentum * C(ld(mom[i])) - lr * wd * w - lr * scaledGrad(grad, i, rescale, clip);
    mom[i] = S(m);
    storeWeight(out, w32, i, w + m, req);
  }
};

// nag_mom_update / mp_nag_mom_update, MXNet's formulation: with g' = clip(rescale*g) + wd*w and
// M = momentum*mom: w = w - M + (momentum + 1) * (M - lr*g'), mom = M - lr*g' (= PyTorch's
// Nesterov SGD, dampening 0, at a constant lr).
struct NagMomMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename S, typename C, typename W, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, S* mom, W w32, C lr,
                       C momentum, C wd, C rescale, C clip, R req) {
    const C w = loadWeight<T, C>(weight, w32, i);
    const C g = scaledGrad(grad, i, rescale, clip) + wd * w;
    const C M = momentum * C(ld(mom[i]));
    const C next = M - lr * g;
    mom[i] = S(next);
    storeWeight(out, w32, i, w - M + (momentum + C(1)) * next, req);
  }
};

// signsgd_update: w = (1 - lr*wd) * w - lr * sign(g) (rescaling and clipping cannot change a sign).
struct SignSgdMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename C, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, C lr, C wd, R req) {
    const C w = loadWeight<T, C>(weight, NoMaster{}, i);
    const C g = C(static_cast<typename ComputeType<T>::type>(grad[i]));
    putOut(out, i, (C(1) - lr * wd) * w - lr * signOf(g), req);
  }
};

// signum_update: mom = momentum*mom - (1-momentum)*(wd*w + clip(rescale*g));
// w = (1 - lr*wd_lh) * w + lr * sign(mom).
struct SignumMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename C, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, T* mom, C lr, C momentum, C wd,
                       C rescale, C clip, C wdLh, R req) {
    const C w = loadWeight<T, C>(weight, NoMaster{}, i);
    const C m = momentum * C(ld(mom[i])) - (C(1) - momentum) * wd * w -
                (C(1) - momentum) * scaledGrad(grad, i, rescale, clip);
    mom[i] = T(m);
    putOut(out, i, (C(1) - lr * wdLh) * w + lr * signOf(m), req);
  }
};

// adam_update: g' = clip(rescale*g + wd*w) (MXNet clips after adding the decay); the moments
// update; w -= lr * mean / (sqrt(var) + epsilon). Bias correction is the caller's: MXNet's Adam
// passes lr * sqrt(1 - beta2^t) / (1 - beta1^t), which puts epsilon where PyTorch has
// epsilon * sqrt(1 - beta2^t).
struct AdamMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename C, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, T* mean, T* var, C lr, C beta1,
                       C beta2, C eps, C wd, C rescale, C clip, R req) {
    const C w = loadWeight<T, C>(weight, NoMaster{}, i);
    C g = rescale * C(static_cast<typename ComputeType<T>::type>(grad[i])) + wd * w;
    if (clip >= C(0)) g = clipTo(g, clip);
    const C m = beta1 * C(ld(mean[i])) + (C(1) - beta1) * g;
    const C v = beta2 * C(ld(var[i])) + (C(1) - beta2) * g * g;
    mean[i] = T(m);
    var[i] = T(v);
    putOut(out, i, w - lr * m / (math::sqrt(v) + eps), req);
  }
};

// The rescale factor as the CPU read it before the launch, known finite and nonzero: the loop then
// neither reloads it per element (the stores might alias it) nor branches on it.
struct CheckedRescale { float v; };
template <typename C> ISTX C rescaleOf(const float* r) { return C(r[0]); }
template <typename C> ISTX C rescaleOf(CheckedRescale r) { return C(r.v); }
template <typename C> ISTX bool skipsStep(C rescale, const float*) { return !(rescale - rescale == C(0)) || rescale == C(0); }
template <typename C> ISTX bool skipsStep(C, CheckedRescale) { return false; }

// _adamw_update / _mp_adamw_update: g' = clip(rescale*g) with rescale read from a one-element
// array; w -= eta * (lr * mean / (sqrt(var) + epsilon) + wd * w). A rescale that is 0, NaN or
// infinite (an AMP overflow) skips the step: weight and states stay as they are.
struct AdamWMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename S, typename C, typename W, typename RS, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, S* mean, S* var, W w32,
                       RS rescaleArr, C lr, C beta1, C beta2, C eps, C wd, C eta, C clip, R req) {
    const C w = loadWeight<T, C>(weight, w32, i);
    const C rescale = rescaleOf<C>(rescaleArr);
    if (skipsStep(rescale, rescaleArr)) {  // not finite, or zero: the step is skipped
      putOut(out, i, w, req);
      return;
    }
    const C g = scaledGrad(grad, i, rescale, clip);
    const C m = beta1 * C(ld(mean[i])) + (C(1) - beta1) * g;
    const C v = beta2 * C(ld(var[i])) + (C(1) - beta2) * g * g;
    mean[i] = S(m);
    var[i] = S(v);
    storeWeight(out, w32, i, w - eta * (lr * m / (math::sqrt(v) + eps) + wd * w), req);
  }
};

// rmsprop_update (Tieleman & Hinton): g' = clip(rescale*g + wd*w); n = (1-gamma1)*g'^2 + gamma1*n;
// w -= lr * g' / sqrt(n + epsilon), then clipped to +-clip_weights when that is >= 0.
struct RmsPropMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename C, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, T* n, C lr, C gamma1, C eps, C wd,
                       C rescale, C clip, C clipWeights, R req) {
    const C w = loadWeight<T, C>(weight, NoMaster{}, i);
    C g = rescale * C(static_cast<typename ComputeType<T>::type>(grad[i])) + wd * w;
    if (clip >= C(0)) g = clipTo(g, clip);
    const C nn = (C(1) - gamma1) * g * g + gamma1 * C(ld(n[i]));
    n[i] = T(nn);
    C next = w - lr * (g / math::sqrt(nn + eps));
    if (clipWeights >= C(0)) next = clipTo(next, clipWeights);
    putOut(out, i, next, req);
  }
};

// rmspropalex_update (Graves 2013, centered): n and g track E[g'^2] and E[g'];
// delta = gamma2*delta - lr * g' / sqrt(n - g^2 + epsilon); w += delta (clipped as above).
struct RmsPropAlexMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename C, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, T* n, T* gAvg, T* delta, C lr,
                       C gamma1, C gamma2, C eps, C wd, C rescale, C clip, C clipWeights, R req) {
    const C w = loadWeight<T, C>(weight, NoMaster{}, i);
    C g = rescale * C(static_cast<typename ComputeType<T>::type>(grad[i])) + wd * w;
    if (clip >= C(0)) g = clipTo(g, clip);
    const C nn = (C(1) - gamma1) * g * g + gamma1 * C(ld(n[i]));
    const C ga = (C(1) - gamma1) * g + gamma1 * C(ld(gAvg[i]));
    const C d = gamma2 * C(ld(delta[i])) - lr * g / math::sqrt(nn - ga * ga + eps);
    n[i] = T(nn);
    gAvg[i] = T(ga);
    delta[i] = T(d);
    C next = w + d;
    if (clipWeights >= C(0)) next = clipTo(next, clipWeights);
    putOut(out, i, next, req);
  }
};

// ftrl_update (McMahan et al. 2013, FTRL-proximal):
// z += g' - (sqrt(n + g'^2) - sqrt(n)) * w / lr; n += g'^2;
// w = (sign(z)*lamda1 - z) / ((beta + sqrt(n)) / lr + wd) where |z| > lamda1, else 0.
struct FtrlMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename C, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, T* z, T* n, C lr, C lamda1, C beta,
                       C wd, C rescale, C clip, R req) {
    const C w = loadWeight<T, C>(weight, NoMaster{}, i);
    const C g = scaledGrad(grad, i, rescale, clip);
    const C n0 = C(ld(n[i]));
    const C n1 = n0 + g * g;
    const C zz = C(ld(z[i])) + g - (math::sqrt(n1) - math::sqrt(n0)) * w / lr;
    z[i] = T(zz);
    n[i] = T(n1);
    const C a = zz < C(0) ? -zz : zz;
    putOut(out, i, a > lamda1 ? (signOf(zz) * lamda1 - zz) / ((beta + math::sqrt(n1)) / lr + wd) : C(0), req);
  }
};

// adagrad_update: g' = clip(rescale*g); history += g'^2; w -= lr * (g' / sqrt(history + eps) + wd*w)
// (the dense update of MXNet 1.9's AdaGrad; with wd = 0 it is _sparse_adagrad_update's).
struct AdagradMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename C, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, T* history, C lr, C eps, C wd,
                       C rescale, C clip, R req) {
    const C w = loadWeight<T, C>(weight, NoMaster{}, i);
    const C g = scaledGrad(grad, i, rescale, clip);
    const C h = C(ld(history[i])) + g * g;
    history[i] = T(h);
    putOut(out, i, w - lr * (g / math::sqrt(h + eps) + wd * w), req);
  }
};

// adadelta_update (Zeiler 2012, as MXNet 2's and PyTorch's AdaDelta): g' = clip(rescale*g) + wd*w;
// acc_g = rho*acc_g + (1-rho)*g'^2; d = sqrt(acc_delta + eps) / sqrt(acc_g + eps) * g';
// acc_delta = rho*acc_delta + (1-rho)*d^2; w -= lr * d.
struct AdadeltaMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename C, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, T* accG, T* accDelta, C lr, C rho,
                       C eps, C wd, C rescale, C clip, R req) {
    const C w = loadWeight<T, C>(weight, NoMaster{}, i);
    const C g = scaledGrad(grad, i, rescale, clip) + wd * w;
    const C ag = rho * C(ld(accG[i])) + (C(1) - rho) * g * g;
    const C d = math::sqrt(C(ld(accDelta[i])) + eps) / math::sqrt(ag + eps) * g;
    accG[i] = T(ag);
    accDelta[i] = T(rho * C(ld(accDelta[i])) + (C(1) - rho) * d * d);
    putOut(out, i, w - lr * d, req);
  }
};

// lamb_update_phase1 / mp_lamb_update_phase1: the Adam direction plus decay,
// g = mean^ / (sqrt(var^) + epsilon) + wd*w, with mean^ = mean / (1 - beta1^t) etc. when
// bias_correction (the caller passes the powers). The output G (type O) is a new array.
struct LambPhase1Map {
  static constexpr bool kSameIndex = true;
  template <typename T, typename S, typename O, typename C, typename W, typename R>
  ISTX static void Map(int64_t i, O* out, const T* weight, const T* grad, S* mean, S* var, W w32,
                       C beta1, C beta2, C eps, C wd, C rescale, C clip, C corr1, C corr2, R req) {
    const C w = loadWeight<T, C>(weight, w32, i);
    const C g = scaledGrad(grad, i, rescale, clip);
    const C m = beta1 * C(ld(mean[i])) + (C(1) - beta1) * g;
    const C v = beta2 * C(ld(var[i])) + (C(1) - beta2) * g * g;
    mean[i] = S(m);
    var[i] = S(v);
    putOut(out, i, (m / corr1) / (math::sqrt(v / corr2) + eps) + wd * w, req);
  }
};

// lamb_update_phase2 / mp_lamb_update_phase2: r1 = ||w|| (clamped to the bounds when they are >= 0),
// r2 = ||g||; w -= lr * (r1 / r2) * g, or lr * g when either norm is 0. The multi-precision form
// also writes the master copy (MXNet 1.9 declares weight32 mutated but leaves it unchanged).
struct LambPhase2Map {
  static constexpr bool kSameIndex = true;
  template <typename T, typename G, typename C, typename W, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const G* g, const G* r1p, const G* r2p, W w32,
                       C lr, C lower, C upper, R req) {
    const C w = loadWeight<T, C>(weight, w32, i);
    C r1 = C(ld(r1p[0]));
    const C r2 = C(ld(r2p[0]));
    if (lower >= C(0)) r1 = r1 < lower ? lower : r1;
    if (upper >= C(0)) r1 = r1 > upper ? upper : r1;
    const C ratio = (r1 == C(0) || r2 == C(0)) ? C(1) : r1 / r2;
    storeWeight(out, w32, i, w - lr * ratio * C(ld(g[i])), req);
  }
};

// ---- MXNet's arithmetic in the weight's own type: the multi-weight SGD updates, ftml_update ----
//
// These kernels compute as MXNet's do, in its MPDType: the weight's dtype, or float32 for the mp_
// forms. For float16 and bfloat16 that is mshadow's operator set: each +, -, *, / computes in float and
// rounds its result to the 16-bit type (also when one operand is a float), so a float16 weight without
// a master copy gets MXNet's bits. Narrow<M> is that arithmetic; float and double compute as they are.
template <typename M>
struct Narrow {
  float v;  // always a value of M, widened
  Narrow() = default;
  ISTX explicit Narrow(float x) : v(static_cast<float>(M(x))) {}
};
#define IST_NARROW_ARITH(OP)                                                                 \
  template <typename M> ISTX Narrow<M> operator OP(Narrow<M> a, Narrow<M> b) {               \
    return Narrow<M>(a.v OP b.v);                                                            \
  }                                                                                          \
  template <typename M> ISTX Narrow<M> operator OP(float a, Narrow<M> b) { return Narrow<M>(a OP b.v); } \
  template <typename M> ISTX Narrow<M> operator OP(Narrow<M> a, float b) { return Narrow<M>(a.v OP b); }
IST_NARROW_ARITH(+)
IST_NARROW_ARITH(-)
IST_NARROW_ARITH(*)
IST_NARROW_ARITH(/)
#undef IST_NARROW_ARITH
template <typename M> ISTX bool operator>(Narrow<M> a, Narrow<M> b) { return a.v > b.v; }
template <typename M> ISTX bool operator<(Narrow<M> a, Narrow<M> b) { return a.v < b.v; }
template <typename M> ISTX Narrow<M> operator-(Narrow<M> a) {
  Narrow<M> r;
  r.v = -a.v;  // exact
  return r;
}

// The arithmetic type of compute type M (MXNet's MPDType).
template <typename M> struct ArithOfT { using type = M; };
template <> struct ArithOfT<half_t> { using type = Narrow<half_t>; };
template <> struct ArithOfT<bf16_t> { using type = Narrow<bf16_t>; };
template <typename M> using ArithOf = typename ArithOfT<M>::type;

// An arithmetic value as float or double, and a stored value of any float type as one
// (MXNet's static_cast<MPDType>(x)).
template <typename M> ISTX float valueOf(Narrow<M> a) { return a.v; }
ISTX float valueOf(float a) { return a; }
ISTX double valueOf(double a) { return a; }
template <typename A, typename S> ISTX A arith(S x) { return A(ld(x)); }
template <typename M> ISTX Narrow<M> sqrtOf(Narrow<M> a) { return Narrow<M>(math::sqrt(a.v)); }
ISTX float sqrtOf(float a) { return math::sqrt(a); }
ISTX double sqrtOf(double a) { return math::sqrt(a); }

// The weight a multi-SGD step starts from: the master copy, or the weight in type A.
template <typename A, typename T> ISTX A weightOf(const T*, const float* w32, int64_t i) { return A(w32[i]); }
template <typename A, typename T> ISTX A weightOf(const T* weight, NoMaster, int64_t i) { return arith<A>(weight[i]); }

// No momentum state (multi_sgd_update): MXNet's kernel starts from mom = 0 and stores nothing.
struct NoMom {};
template <typename A> ISTX A momOf(NoMom, int64_t) { return A(0.0f); }
template <typename A, typename S> ISTX A momOf(const S* mom, int64_t i) { return arith<A>(mom[i]); }
template <typename A> ISTX void storeMom(NoMom, int64_t, A) {}
template <typename A, typename S> ISTX void storeMom(S* mom, int64_t i, A m) { mom[i] = S(valueOf(m)); }

// One weight's learning rate and weight decay. multi_*: the tuple values in type A, so lr*wd is
// computed (and rounded) in A; preloaded_*: float32 array elements, so lr*wd is a float product,
// either read once on the host (HostRate) or by the device kernel (ArrayRate, element k).
// TupleRate carries the float values and converts them in the kernel: GCC 12's SLP vectorizer (-O2)
// turned the host's double(float(x)) of two adjacent tuple values into x itself, so the float64
// kernels got the unrounded doubles. The AdamW and LAMB kernels take their tuple values as floats
// for the same reason.
template <typename A> struct TupleRate { float lr, wd; };  // MXNet's Tuple<float> values
template <typename A> ISTX A rateLr(TupleRate<A> r) { return A(r.lr); }
template <typename A> ISTX A rateLrWd(TupleRate<A> r) { return A(r.lr) * A(r.wd); }
struct HostRate { float lr, wd; };
ISTX float rateLr(HostRate r) { return r.lr; }
ISTX float rateLrWd(HostRate r) { return r.lr * r.wd; }
struct ArrayRate { const float* lrs; const float* wds; int64_t k; };
ISTX float rateLr(ArrayRate r) { return r.lrs[r.k]; }
ISTX float rateLrWd(ArrayRate r) { return r.lrs[r.k] * r.wds[r.k]; }

// multi_sgd_update, multi_sgd_mom_update, their mp_ and preloaded_ forms, for one weight (MXNet's
// MultiSGDKernel): mom = momentum*mom - lr*wd*w - lr*clip(rescale*g) when clip_gradient >= 0, else
// momentum*mom - lr*wd*w - (lr*rescale)*g; w += mom. Without a momentum state mom starts at 0.
struct MultiSgdMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename MS, typename W, typename RT, typename A, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, MS mom, W w32, RT rate, A momentum,
                       A rescale, A clip, R req) {
    const A w = weightOf<A>(weight, w32, i);
    const A g = arith<A>(grad[i]);
    const A decayed = momentum * momOf<A>(mom, i) - rateLrWd(rate) * w;
    const A m = valueOf(clip) >= 0 ? decayed - rateLr(rate) * clipTo(rescale * g, clip)
                                   : decayed - (rateLr(rate) * rescale) * g;
    storeMom(mom, i, m);
    storeWeight(out, w32, i, valueOf(w + m), req);
  }
};

// ftml_update (Zheng & Kwok 2017, "Follow the Moving Leader") as MXNet computes it, in the weight's
// type: g' = clip(rescale*g + wd*w) (clipped when clip_grad >= 0); v = beta2*v + (1-beta2)*g'^2;
// d_t = corr1 / lr * (sqrt(v / corr2) + epsilon) with corr1 = 1 - beta1^t, corr2 = 1 - beta2^t (computed
// once by the caller); z = beta1*z + (1-beta1)*g' - (d_t - beta1*d)*w; d = d_t; w = -z / d_t.
struct FtmlMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename A, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, T* d, T* v, T* z, A lr, A beta1,
                       A beta2, A eps, A wd, A rescale, A clip, A corr1, A corr2, R req) {
    const A w = arith<A>(weight[i]);
    A g = rescale * arith<A>(grad[i]) + wd * w;
    if (valueOf(clip) >= 0) g = clipTo(g, clip);
    const A vv = beta2 * arith<A>(v[i]) + (A(1.0f) - beta2) * (g * g);
    const A dt = corr1 / lr * (sqrtOf(vv / corr2) + eps);
    const A zz = beta1 * arith<A>(z[i]) + (A(1.0f) - beta1) * g - (dt - beta1 * arith<A>(d[i])) * w;
    v[i] = T(valueOf(vv));
    z[i] = T(valueOf(zz));
    d[i] = T(valueOf(dt));
    putOut(out, i, valueOf(-zz / dt), req);
  }
};

// _multi_adamw_update / _multi_mp_adamw_update's rescale_grad: read once on the host and known finite
// and nonzero (CheckedRescale), or read by the device kernel from its one-element array (of the
// weights' dtype, or float32 for the mp_ form); a value that is 0, NaN or infinite skips the step.
template <typename S> ISTX float rescaleValue(const S* r) { return static_cast<float>(ld(r[0])); }
ISTX float rescaleValue(CheckedRescale r) { return r.v; }
template <typename S> ISTX bool skipRescale(float r, const S*) { return !(r - r == 0.0f) || r == 0.0f; }
ISTX bool skipRescale(float, CheckedRescale) { return false; }

// _multi_adamw_update and _multi_mp_adamw_update, one weight (MXNet's MultiMPAdamWKernel, in type A):
// g = clip(rescale*grad); mean = beta1*(mean - g) + g; var = beta2*(var - g^2) + g^2;
// w -= eta * (lr * mean / (sqrt(var) + epsilon) + wd * w). A skipped step leaves the states alone
// and writes the weight unchanged.
struct MultiAdamWMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename S, typename W, typename RS, typename A, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const T* grad, S* mean, S* var, W w32, RS rs, float lrF,
                       float wdF, float etaF, A beta1, A beta2, A eps, A clip, R req) {
    const A lr(lrF), wd(wdF), eta(etaF);  // the tuple values in type A (see TupleRate)
    const float r = rescaleValue(rs);
    if (skipRescale(r, rs)) {
      putOut(out, i, ld(weight[i]), req);
      return;
    }
    const A w = weightOf<A>(weight, w32, i);
    A g = A(r) * arith<A>(grad[i]);
    if (valueOf(clip) >= 0) g = clipTo(g, clip);
    const A m = beta1 * (arith<A>(mean[i]) - g) + g;
    const A adj = g * g;
    const A v = beta2 * (arith<A>(var[i]) - adj) + adj;
    mean[i] = S(valueOf(m));
    var[i] = S(valueOf(v));
    storeWeight(out, w32, i, valueOf(w - eta * (lr * m / (sqrtOf(v) + eps) + wd * w)), req);
  }
};

// multi_lars (float32): each weight's learning rate scaled by its LARS trust ratio,
// lr * eta * ||w|| / (||g|| * rescale_grad + wd * ||w|| + eps) from the sums of squares, or lr
// itself when either norm is 0.
struct MultiLarsMap {
  static constexpr bool kSameIndex = true;
  template <typename R>
  ISTX static void Map(int64_t i, float* out, const float* lrs, const float* weightsSumSq, const float* gradsSumSq,
                       const float* wds, float eta, float eps, float rescale, R req) {
    const float wNorm = math::sqrt(weightsSumSq[i]);
    const bool valid = wNorm > 0.0f && gradsSumSq[i] > 0.0f;
    putOut(out, i, valid ? lrs[i] * eta * wNorm / (math::sqrt(gradsSumSq[i]) * rescale + wds[i] * wNorm + eps) : lrs[i],
           req);
  }
};

// _multi_lamb_update / _multi_mp_lamb_update, first pass over one weight (MXNet's
// MultiLAMBKernelStep1, in type A): g = clip(grad*rescale); mean = beta1*mean + (1-beta1)*g;
// var = beta2*var + (1-beta2)*g*g; the direction dir = mean^ / (sqrt(var^) + epsilon) + wd*w (float32,
// into scratch), with mean^ = mean / corr1 and var^ = var / corr2 (1 - beta^t, or 1 without bias
// correction: then the division is skipped, as MXNet does).
struct MultiLambDirMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename S, typename W, typename A>
  ISTX static void Map(int64_t i, float* dir, const T* weight, const T* grad, S* mean, S* var, W w32, float rescale,
                       A beta1, A beta2, A eps, float wdF, A clip, bool biasCorrection, A corr1, A corr2) {
    const A wd(wdF);
    const A w = weightOf<A>(weight, w32, i);
    A g = arith<A>(grad[i]) * rescale;
    if (valueOf(clip) >= 0) g = clipTo(g, clip);
    const A m = beta1 * arith<A>(mean[i]) + (A(1.0f) - beta1) * g;
    const A v = beta2 * arith<A>(var[i]) + (A(1.0f) - beta2) * g * g;
    mean[i] = S(valueOf(m));
    var[i] = S(valueOf(v));
    const A mh = biasCorrection ? m / corr1 : m;
    const A vh = biasCorrection ? v / corr2 : v;
    dir[i] = static_cast<float>(valueOf(mh / (sqrtOf(vh) + eps) + wd * w));
  }
};

// The second pass (MultiLAMBKernelStep2): r1 = sqrt(sum of the weight's squares), clamped to
// [lower_bound, upper_bound] where those are >= 0; r2 = sqrt(sum of dir's squares); ratio r1/r2, or 1
// when either is 0; w -= (lr * ratio) * dir.
struct MultiLambStepMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename W, typename R>
  ISTX static void Map(int64_t i, T* out, const T* weight, const float* dir, W w32, const float* sumSqW,
                       const float* sumSqDir, float lrF, float lower, float upper, R req) {
    using A = ArithOf<std::conditional_t<std::is_same_v<W, NoMaster>, T, float>>;  // float with a master copy
    const A lr(lrF);
    const A w = weightOf<A>(weight, w32, i);
    float r1 = math::sqrt(sumSqW[0]);
    const float r2 = math::sqrt(sumSqDir[0]);
    if (lower >= 0.0f) r1 = r1 < lower ? lower : r1;
    if (upper >= 0.0f) r1 = r1 > upper ? upper : r1;
    const A ratio = (r1 == 0.0f || r2 == 0.0f) ? A(1.0f) : A(r1 / r2);
    storeWeight(out, w32, i, valueOf(w - (lr * ratio) * dir[i]), req);
  }
};

}  // namespace optim
}  // namespace ist
