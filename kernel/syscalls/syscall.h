// What every syscall handler receives, and the table entry that describes a syscall.
#pragma once

#include <initializer_list>

#include "kernel/base/result.h"
#include "kernel/hal.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/arg_kind.h"

namespace kernel {
class Kernel;
class Process;
class WaitQueue;
}  // namespace kernel

namespace kernel::syscalls {

struct SyscallArgs {
  u64 nr = 0;
  u64 a[6] = {};
};

struct SyscallContext {
  Kernel& kernel;
  Process& process;
  Thread& thread;
  hal::Cpu& cpu;

  // The calling thread must wait: on `queues` (woken by any of them), until `deadline_ns`
  // (CLOCK_MONOTONIC; 0: no deadline). A handler returns what this returns; the kernel
  // calls it again, resuming() true, once the thread wakes. A signal to be handled ends
  // the wait with `on_signal`, unless the handler, called with wake_reason() Signal,
  // answers for itself.
  abi::Errno block(std::initializer_list<WaitQueue*> queues, u64 deadline_ns = 0,
                   abi::Errno on_signal = abi::kERESTARTSYS);
  // The same, on a list of queues built at run time (poll).
  abi::Errno block_on_list(WaitQueue* const* queues, u64 count, u64 deadline_ns,
                           abi::Errno on_signal);
  bool resuming() const { return thread.call().resuming; }
  WakeReason wake_reason() const { return thread.call().reason; }
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
