// kpi/error.hpp — errors as values.
//
// Every fallible operation of the core library returns an `Expected<T>` (a value
// or an `Error`) instead of throwing. An `Error` carries what the CLI needs to
// print a precise diagnostic: where (file, 1-based line and column), what
// (the message, e.g. "column 'timestamp': expected an ISO 8601 date-time or
// epoch, got \"2025-13-40\""), and the offending source line for the caret.
// `Error::render()` produces the exact text the CLI prints after "kpi: error: ".
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace kpi {

/// Where an error was found. `line`/`column` are 1-based; 0 means unknown.
struct Location {
  std::string file;        ///< display name; "<stdin>" for standard input
  std::size_t line = 0;    ///< record's physical line
  std::size_t column = 0;  ///< 1-based character column of the offending field
  std::string source_line; ///< the offending line's text (no newline), may be empty
};

class Error {
 public:
  Error() = default;
  explicit Error(std::string message) : message_(std::move(message)) {}
  Error(Location where, std::string message)
      : where_(std::move(where)), message_(std::move(message)) {}

  const std::string& message() const noexcept { return message_; }
  const Location& where() const noexcept { return where_; }
  Location& where() noexcept { return where_; }

  /// "file:line:col: message" plus, when the source line is known, the line and a
  /// caret under `column`. No "kpi: error: " prefix and no trailing newline.
  std::string render() const;

 private:
  Location where_;
  std::string message_;
};

/// A value of type T, or the Error that prevented it.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Expected(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // REQUIRES: has_value()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !has_value()
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

/// Success, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  static Status ok() { return {}; }

  bool is_ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  // REQUIRES: !is_ok()
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace kpi
