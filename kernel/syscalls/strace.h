// --strace: one line per guest syscall, in strace's own format, so that an emu trace can be
// diffed against `strace -f` of the same program on Linux.
#pragma once

#include <optional>
#include <string>

#include "kernel/base/types.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

// Reads guest memory for the formatter; returns false where the range is not readable.
// The formatter must never fault pages in: the reader is a side-effect-free peek.
using GuestPeek = bool (*)(void* ctx, u64 addr, void* dst, u64 len);

struct StraceReader {
  GuestPeek peek;
  void* ctx;
};

// One line in strace's own format, without the trailing newline, e.g.
//   write(1, "hello\n", 6) = 6
//   openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
//   mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
//   madvise(0x7f0000000000, 4096, MADV_DONTNEED) = 0
// `info` is null for a syscall emu does not implement: then the line has the name from
// syscall_name() ("syscall_0x1c8" for an unknown number, as strace does), raw hex arguments
// and the result. Unlike strace, no padding is put before " = ".
std::string format_syscall(const SyscallInfo* info, const SyscallArgs& args, i64 result,
                           const StraceReader& mem);

// For calls that do not return (exit, exit_group): "exit_group(0) = ?".
std::string format_noreturn(const SyscallInfo* info, const SyscallArgs& args,
                            const StraceReader& mem);

// The same line in the two halves strace prints: what it shows when the call starts
// ("wait4(101, ") and the rest once it returns ("[{WIFEXITED(s) ...}], 0, NULL) = 101").
// format_syscall is their concatenation. A call that waits while another thread's lines are
// printed shows as "ENTRY <unfinished ...>" and later "<... NAME resumed>EXIT".
std::string format_entry(const SyscallInfo* info, const SyscallArgs& args, const StraceReader& mem);
// A null result: the call never returned (a SIGKILL took the thread on its way out), "= ?".
std::string format_exit(const SyscallInfo* info, const SyscallArgs& args, std::optional<i64> result,
                        const StraceReader& mem);

// A wait status as strace's printstatus shows it: "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]".
std::string format_wait_status(int status);
// clone's flags with the exit signal: "CLONE_VM|CLONE_FS|SIGCHLD".
std::string format_clone_flags(u64 flags);
// "SIGSEGV", "SIGRT_2", or the number.
std::string format_signal_name(int sig);
// The line strace prints for a signal being delivered:
//   --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=101, si_uid=0, si_status=3, ...} ---
std::string format_siginfo_line(const abi::Siginfo& info);
// The line strace prints when a traced thread ends, from its wait status:
// "+++ exited with 3 +++", "+++ killed by SIGKILL +++".
std::string format_exit_line(int wait_status);

// strace shows every argument register of a syscall it does not know.
inline constexpr int kMaxSyscallArgs = 6;

// How many arguments strace shows for a syscall it does not decode: its count from the name
// table in syscall_names.cpp, or kMaxSyscallArgs for a number with no name.
int syscall_arg_count(u64 nr);

}  // namespace kernel::syscalls
