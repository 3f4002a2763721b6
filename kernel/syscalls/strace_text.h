// The pieces every strace decoder prints with: symbolic names from tables in strace's order,
// flags, signals, quoted strings, and a side-effect-free view of guest memory.
// Internal to strace.cpp and strace_tasks.cpp.
#pragma once

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <span>
#include <string>
#include <utility>

#include "kernel/abi/linux.h"
#include "kernel/syscalls/strace.h"

namespace kernel::syscalls::strace_text {

inline constexpr u64 kMaxStringLen = 32;  // strace -s: bytes of a buffer shown
inline constexpr u64 kMaxArrayLen = 32;   // elements of an array shown (strace uses -s here too)
inline constexpr int kSigRtMin = 32, kSigRtMax = 64;

// Guest memory as the formatter reads it: never faults, false where nothing is readable.
struct Memory {
  const StraceReader& reader;
  bool read(u64 addr, void* dst, u64 len) const {
    if (len == 0) return true;
    if (reader.peek == nullptr || addr + len < addr) return false;
    return reader.peek(reader.ctx, addr, dst, len);
  }
};

struct Name {
  u64 value;
  const char* name;
};

[[gnu::format(printf, 2, 3)]] inline void append_format(std::string& out, const char* format, ...) {
  char buffer[64];
  va_list ap;
  va_start(ap, format);
  int n = std::vsnprintf(buffer, sizeof(buffer), format, ap);
  va_end(ap);
  if (n > 0) out.append(buffer, std::min<size_t>(static_cast<size_t>(n), sizeof(buffer) - 1));
}

inline void put_hex(std::string& out, u64 value) {
  append_format(out, "%#" PRIx64, value);
}

inline void put_ptr(std::string& out, u64 value) {
  if (value == 0) {
    out += "NULL";
    return;
  }
  put_hex(out, value);
}

inline const char* find_name(u64 value, std::span<const Name> names) {
  for (const Name& n : names) {
    if (n.value == value) return n.name;
  }
  return nullptr;
}

// A value strace prints from a table, or "0x1a /* MADV_??? */" when it is not there.
inline void put_enum(std::string& out, u32 value, std::span<const Name> names,
                     const char* unknown) {
  if (const char* name = find_name(value, names)) {
    out += name;
    return;
  }
  append_format(out, "%#x /* %s */", value, unknown);
}

// Appends the names of the bits set in `value` in table order, '|'-separated, then the bits no
// name covers in hex. `after_name` says whether something already printed needs a '|' first.
inline void append_bits(std::string& out, u64 value, std::span<const Name> names, bool after_name) {
  for (const Name& n : names) {
    if (n.value == 0 || (value & n.value) != n.value) continue;
    if (after_name) out += '|';
    out += n.name;
    after_name = true;
    value &= ~n.value;
  }
  if (value == 0) return;
  if (after_name) out += '|';
  put_hex(out, value);
}

// strace's printflags: `zero` for no bits, and "0x10 /* PROT_??? */" when no name matches.
inline void put_flags(std::string& out, u64 value, std::span<const Name> names, const char* zero,
                      const char* unknown) {
  if (value == 0) {
    out += zero;
    return;
  }
  bool any_named = std::any_of(names.begin(), names.end(), [value](const Name& n) {
    return n.value != 0 && (value & n.value) == n.value;
  });
  if (!any_named) {
    append_format(out, "%#" PRIx64 " /* %s */", value, unknown);
    return;
  }
  append_bits(out, value, names, false);
}

inline void put_signal(std::string& out, int sig) {
  if (const char* name = abi::signal_name(sig)) {
    out += name;
  } else if (sig == kSigRtMin) {
    out += "SIGRTMIN";
  } else if (sig > kSigRtMin && sig <= kSigRtMax) {
    append_format(out, "SIGRT_%d", sig - kSigRtMin);
  } else {
    append_format(out, "%d", sig);
  }
}

// The bytes strace writes as C escapes; other bytes outside ' '..'~' go out in octal.
inline constexpr std::pair<char, const char*> kEscapes[] = {
    {'"', "\\\""}, {'\\', "\\\\"}, {'\f', "\\f"}, {'\n', "\\n"},
    {'\r', "\\r"}, {'\t', "\\t"},  {'\v', "\\v"},
};

inline const char* c_escape(u8 c) {
  for (const auto& [ch, escape] : kEscapes) {
    if (static_cast<u8>(ch) == c) return escape;
  }
  return nullptr;
}

// strace's string_quote. Octal escapes are as short as possible, and get all three digits only
// where the next byte is an octal digit that would otherwise join the escape.
inline void append_quoted(std::string& out, const u8* bytes, u64 len, bool truncated) {
  out += '"';
  for (u64 i = 0; i < len; ++i) {
    u8 c = bytes[i];
    if (const char* escape = c_escape(c)) {
      out += escape;
      continue;
    }
    if (c >= ' ' && c <= '~') {
      out += static_cast<char>(c);
      continue;
    }
    bool next_is_octal = i + 1 < len && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
    out += '\\';
    if (next_is_octal || c >= 0100) out += static_cast<char>('0' + (c >> 6));
    if (next_is_octal || c >= 010) out += static_cast<char>('0' + ((c >> 3) & 7));
    out += static_cast<char>('0' + (c & 7));
  }
  out += '"';
  if (truncated) out += "...";
}

// PRINT_VAL_X: 0, or 0x...
inline void put_hex_or_zero(std::string& out, u64 v) {
  if (v == 0)
    out += '0';
  else
    put_hex(out, v);
}

// --- Decoders of process and thread calls (strace_tasks.cpp) ---

// clone on x86-64 (flags, stack, parent_tid, child_tid, tls): what strace prints when the
// call starts (child_stack=..., flags=...) and the pointers it prints once it returns.
void put_clone_entry(std::string& out, const SyscallArgs& args);
void put_clone_exit(std::string& out, const SyscallArgs& args, const Memory& mem);
// clone3's struct clone_args, and the " => {parent_tid=[N]}" it wrote (then the size).
void put_clone3_entry(std::string& out, const SyscallArgs& args, const Memory& mem);
void put_clone3_exit(std::string& out, const SyscallArgs& args, bool succeeded, const Memory& mem);
// futex(uaddr, op, ...): the arguments each operation takes.
void put_futex(std::string& out, const SyscallArgs& args, const Memory& mem);
void put_wait_options(std::string& out, u32 options);
void put_timespec(std::string& out, u64 addr, const Memory& mem);
void put_rusage(std::string& out, u64 addr, const Memory& mem);
void put_sigset(std::string& out, u64 addr, u64 size, const Memory& mem);
// poll's struct pollfd array as given, and the ready ones ("[{fd=3, revents=POLLIN}]", or
// nothing when none is).
void put_pollfds(std::string& out, u64 addr, u32 count, const Memory& mem);
void put_poll_revents(std::string& out, u64 addr, u32 count, const Memory& mem);
// execve's argv (["x", "a"]) and envp (0x7ffe... /* 12 vars */).
void put_string_array(std::string& out, u64 addr, const Memory& mem);
void put_env_count(std::string& out, u64 addr, const Memory& mem);

}  // namespace kernel::syscalls::strace_text
