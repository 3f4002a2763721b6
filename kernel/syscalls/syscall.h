// What every syscall handler receives, and the table entry that describes a syscall.
#pragma once

#include "kernel/base/result.h"
#include "kernel/hal.h"
#include "kernel/syscalls/arg_kind.h"

namespace kernel {
class Kernel;
class Process;
}  // namespace kernel

namespace kernel::syscalls {

struct SyscallArgs {
  u64 nr = 0;
  u64 a[6] = {};
};

struct SyscallContext {
  Kernel& kernel;
  Process& process;
  hal::Cpu& cpu;
};

// A handler returns the call's non-negative result or a guest errno; only the
// dispatcher turns the errno into -errno for the guest.
using Handler = Result<i64> (*)(SyscallContext& ctx, const SyscallArgs& args);

struct SyscallInfo {
  u64 nr;
  const char* name;
  Handler handler;
  Arg ret;
  Arg args[6];
  int arg_count;
};

// The entry for a syscall number, or nullptr for one emu does not implement.
const SyscallInfo* lookup_syscall(u64 nr);
// The Linux name of any x86-64 syscall number ("process_madvise"), or nullptr.
const char* syscall_name(u64 nr);

}  // namespace kernel::syscalls
