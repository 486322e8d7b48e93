// FunctionRef<R(Args...)>: a non-owning reference to a callable, for calls that do not keep it.
#pragma once
#include <memory>
#include <type_traits>
#include <utility>

namespace ist {

template <typename Sig> class FunctionRef;

// Two pointers and no allocation. Unlike std::function, taking a lambda instantiates only one small
// trampoline: parallelFor is called with hundreds of kernel lambdas per file, and wrapping each in a
// std::function made libc++'s machinery most of the compile time of the kernel files. The callable
// must outlive the FunctionRef, as a lambda argument does for the call it is passed to.
template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                                    std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f) noexcept  // NOLINT(google-explicit-constructor): lambdas convert implicitly
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* obj, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(obj))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

}  // namespace ist
