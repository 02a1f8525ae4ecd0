#pragma once
//! Result<T>: a value or an Error. Expected failures are values, never exceptions across modules.
//!
//! Attune builds as C++20. g++ 12 has std::expected under -std=c++2b, but clang 14 (clang-tidy
//! and libFuzzer on Debian 12) cannot parse libstdc++ 12's <expected>; this small type mirrors
//! the std::expected interface we use so a later switch is a rename (docs/architecture.md).

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace attune {

//! What kind of failure; the API maps each to an HTTP status, the CLI to an exit code.
enum class ErrorCode {
  INVALID_ARGUMENT,  //!< a value given by the caller is wrong (field, value and expectation named)
  NOT_FOUND,         //!< the named thing does not exist
  ALREADY_EXISTS,    //!< a unique thing exists already
  NOT_PERMITTED,     //!< licence, role or tenancy forbids it
  UNAUTHENTICATED,   //!< no valid credentials
  CONFLICT,          //!< the state does not allow it now
  FAILED_PRECONDITION,  //!< data are not in a state to do it (e.g. too little data)
  RATE_LIMITED,      //!< too many attempts in a while (failed sign-ins); try again later
  IO,                //!< a file or database operation failed
  INTERNAL,          //!< a fault: a bug or an invariant broken
};

//! Stable lower-case name of a code, used in JSON and logs.
const char* ErrorCodeName(ErrorCode code);

//! An expected failure: a code and a message that names the field, the value and what was expected.
struct Error {
  ErrorCode code = ErrorCode::INTERNAL;
  std::string message;
  std::string field;  //!< the offending field or JSON path, when there is one
};

//! Wraps an Error so `return Unexpected(...)` converts to any Result<T>.
struct Unexpected {
  Error error;
};

//! Builds an Unexpected from parts.
inline Unexpected Fail(ErrorCode code, std::string message, std::string field = {}) {
  return Unexpected{Error{code, std::move(message), std::move(field)}};
}

// Member names follow std::expected on purpose, so a later switch is a rename.
// NOLINTBEGIN(readability-identifier-naming)

//! A value of type T or an Error (shaped like std::expected<T, Error>).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Unexpected failure) : data_(std::in_place_index<1>, std::move(failure.error)) {}  // NOLINT
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!has_value());
    return std::get<1>(data_);
  }
  Error&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(data_));
  }

 private:
  std::variant<T, Error> data_;
};

//! Result of an operation that returns nothing on success.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected failure) : error_(std::move(failure.error)), ok_(false) {}  // NOLINT
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

// NOLINTEND(readability-identifier-naming)

//! Success value for Result<void>.
inline Result<void> Ok() { return {}; }

}  // namespace attune

// NOLINTBEGIN(bugprone-macro-parentheses): `var` names a declaration.
//! Binds `var` to the value of a Result expression, or returns its error from the enclosing
//! function (which must return a Result).
#define ATTUNE_TRY(var, expr)                          \
  auto var##_result_ = (expr);                         \
  if (!var##_result_) return var##_result_.error();    \
  auto var = std::move(*var##_result_)
// NOLINTEND(bugprone-macro-parentheses)

//! Returns the error of a Result<void> expression from the enclosing function, if any.
#define ATTUNE_CHECK(expr)                             \
  do {                                                 \
    auto check_result_ = (expr);                       \
    if (!check_result_) return check_result_.error();  \
  } while (false)
