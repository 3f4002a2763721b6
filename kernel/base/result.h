// Errors as values: a Result<T> holds a T or a guest errno. No exceptions in the kernel.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <variant>

#include "kernel/abi/errno.h"
#include "kernel/base/types.h"

namespace kernel {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_value(std::move(value)) {}  // NOLINT: implicit by design
  Result(abi::Errno err) : m_value(err) {}        // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(m_value); }
  explicit operator bool() const { return ok(); }
  abi::Errno error() const { return std::get<abi::Errno>(m_value); }
  T& value() & { return std::get<T>(m_value); }
  const T& value() const& { return std::get<T>(m_value); }
  T&& value() && { return std::get<T>(std::move(m_value)); }
  T release_value() { return std::get<T>(std::move(m_value)); }

 private:
  std::variant<T, abi::Errno> m_value;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(abi::Errno err) : m_error(err) {}  // NOLINT: implicit by design
  bool ok() const { return m_error == abi::Errno::None; }
  explicit operator bool() const { return ok(); }
  abi::Errno error() const { return m_error; }
  void release_value() {}

 private:
  abi::Errno m_error = abi::Errno::None;
};

using ErrorOr = Result<void>;

[[noreturn]] inline void verify_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "emu: kernel invariant failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace kernel

// Evaluates a Result expression; on error returns the errno from the enclosing function.
#define TRY(expr)                                      \
  ({                                                   \
    auto _try_result = (expr);                         \
    if (!_try_result.ok()) return _try_result.error(); \
    _try_result.release_value();                       \
  })

#define VERIFY(expr) ((expr) ? (void)0 : ::kernel::verify_failed(#expr, __FILE__, __LINE__))
