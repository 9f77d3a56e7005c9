// The one error policy: an expected failure is a value, not an exception.
//
// A function that can fail for reasons a user can act on (bad input, a server that is
// down, a port in use) returns Result<T>. The Error carries one message written for
// the user: what went wrong and what to do about it. Exceptions are reserved for
// programming errors and are caught once, in main.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace wpfleet {

struct Error {
  std::string message;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace wpfleet

// Propagate a failure to the caller: TRY(step()); for Result<void>,
// TRY_ASSIGN(auto x, step()); for Result<T>.
#define WPF_CONCAT_INNER(a, b) a##b
#define WPF_CONCAT(a, b) WPF_CONCAT_INNER(a, b)

#define TRY(expr)                                                   \
  do {                                                              \
    auto&& wpf_try_result = (expr);                                 \
    if (!wpf_try_result.ok()) return std::move(wpf_try_result).error(); \
  } while (0)

#define TRY_ASSIGN(decl, expr) TRY_ASSIGN_IMPL(WPF_CONCAT(wpf_try_, __LINE__), decl, expr)
#define TRY_ASSIGN_IMPL(tmp, decl, expr)          \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).error();   \
  decl = std::move(tmp).value()
