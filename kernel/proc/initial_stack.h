// The initial user stack of a new program, laid out byte for byte as Linux 6.1's execve()
// (copy_strings) and create_elf_tables() leave it. Pure: the result is a byte image that the
// loader copies to [sp, stack_top) of the new address space.
//
//   stack_top ->  8 zero bytes
//                 execfn string            <- AT_EXECFN
//                 envp strings             (env_start .. env_end)
//                 argv strings             (arg_start .. arg_end)
//                 (down to 16-byte alignment)
//                 platform string          <- AT_PLATFORM
//                 16 random bytes          <- AT_RANDOM
//                 padding                  (so that sp ends 16-byte aligned)
//                 auxv pairs, AT_NULL
//                 NULL, envp[envc-1] .. envp[0]
//                 NULL, argv[argc-1] .. argv[0]
//   sp         -> argc
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/base/result.h"
#include "kernel/base/types.h"

namespace kernel::proc {

// MAX_ARG_STRLEN: one argument or environment string, its NUL included.
inline constexpr u64 kMaxArgStrlen = 32 * kPageSize;
// ARG_MAX: the floor of the strings limit, whatever the stack rlimit.
inline constexpr u64 kArgMax = 32 * kPageSize;
// _STK_LIM: the default stack rlimit (8 MiB).
inline constexpr u64 kDefaultStackRlimit = u64{8} << 20;

// The limit Linux puts on argv + envp strings (and their pointers) for a stack rlimit:
// a quarter of it, at most 3/4 of _STK_LIM, at least ARG_MAX. 2 MiB for the default 8 MiB.
u64 arg_strings_limit(u64 stack_rlimit);

struct AuxEntry {
  u64 type = 0;
  u64 value = 0;
  constexpr bool operator==(const AuxEntry&) const = default;
};

struct InitialStackParams {
  u64 stack_top = 0;  // end of the stack VMA (Linux: page-aligned)
  std::span<const std::string> argv;
  std::span<const std::string> envp;
  std::string_view execfn;    // the path as given to execve, for AT_EXECFN
  std::string_view platform;  // "x86_64"; empty means no string and no AT_PLATFORM
  std::array<u8, 16> random_bytes{};
  // Every aux entry except AT_RANDOM, AT_EXECFN, AT_PLATFORM and AT_NULL, in Linux's order
  // (AT_SYSINFO_EHDR, AT_MINSIGSTKSZ, AT_HWCAP, AT_PAGESZ, ..., AT_SECURE, AT_HWCAP2).
  // AT_RANDOM goes right after AT_SECURE (or last), then AT_EXECFN, AT_PLATFORM, AT_NULL.
  std::span<const AuxEntry> aux;
  u64 strings_limit = arg_strings_limit(kDefaultStackRlimit);
};

struct InitialStack {
  std::vector<u8> image;  // the bytes of [sp, stack_top)
  u64 sp = 0;             // 16-byte aligned, points at argc
  u64 argc = 0;           // argv.size(), or 1 when argv was empty (argv[0] = "")
  u64 envc = 0;
  // For /proc/PID/cmdline and /proc/PID/environ (mm->arg_start and friends).
  u64 arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
  u64 execfn_addr = 0, platform_addr = 0, random_addr = 0;
  // The vector as written, AT_NULL included: what /proc/PID/auxv shows.
  std::vector<AuxEntry> auxv;
};

// E2BIG when a string is longer than kMaxArgStrlen or all of them exceed strings_limit;
// EINVAL when a string holds a NUL byte, `aux` names an entry the builder owns, or the
// image would not fit below stack_top.
Result<InitialStack> build_initial_stack(const InitialStackParams& params);

}  // namespace kernel::proc
