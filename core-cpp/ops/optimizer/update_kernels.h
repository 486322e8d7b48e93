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

}  // namespace optim
}  // namespace ist
