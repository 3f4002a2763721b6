// Signal syscalls: actions, masks, the alternate stack, sending a signal to oneself, and
// rt_sigreturn. Signals are queued per process and acted on when the syscall returns to
// user mode (Kernel::send_signal); the frames a handler runs on are in proc/signal_frame.
#include <unistd.h>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr u64 kSigsetSize = 8;

struct GuestSigaction {
  u64 handler;
  u64 flags;
  u64 restorer;
  u64 mask;
};

constexpr u64 kUnblockable = (u64{1} << (abi::kSIGKILL - 1)) | (u64{1} << (abi::kSIGSTOP - 1));

Result<i64> send_to_self(SyscallContext& ctx, int sig, int si_code) {
  if (sig < 0 || sig > abi::kNumSignals) return Errno::kEINVAL;
  if (sig != 0) ctx.kernel.send_signal(sig, si_code);
  return 0;
}

}  // namespace

Result<i64> sys_rt_sigaction(SyscallContext& ctx, const SyscallArgs& args) {
  const int sig = static_cast<int>(args.a[0]);
  if (args.a[3] != kSigsetSize) return Errno::kEINVAL;
  auto& as = ctx.process.address_space();
  GuestSigaction fresh{};
  if (args.a[1]) fresh = TRY(mm::read_user<GuestSigaction>(as, args.a[1]));
  if (sig < 1 || sig > abi::kNumSignals) return Errno::kEINVAL;
  if (args.a[1] && (sig == abi::kSIGKILL || sig == abi::kSIGSTOP)) return Errno::kEINVAL;
  SignalAction& action = ctx.process.signal_actions()[sig];
  // Flags Linux does not know read back as 0, so a program can probe for them.
  const GuestSigaction old{action.handler, action.flags & abi::kSA_UAPI_FLAGS, action.restorer,
                           action.mask};
  if (args.a[1]) {
    action = {fresh.handler, fresh.flags & abi::kSA_UAPI_FLAGS, fresh.restorer,
              fresh.mask & ~kUnblockable};
    // POSIX: setting a pending signal's action to "ignore" discards it.
    if (proc::handler_ignores(action, sig)) ctx.process.pending_signals() &= ~(u64{1} << (sig - 1));
  }
  // The new action stands even when the old one cannot be written back.
  if (args.a[2]) TRY(mm::write_user(as, args.a[2], old));
  return 0;
}

Result<i64> sys_rt_sigprocmask(SyscallContext& ctx, const SyscallArgs& args) {
  const int how = static_cast<int>(args.a[0]);
  if (args.a[3] != kSigsetSize) return Errno::kEINVAL;
  auto& as = ctx.process.address_space();
  u64& mask = ctx.process.signal_mask();
  u64 set = 0;
  if (args.a[1]) {
    set = TRY(mm::read_user<u64>(as, args.a[1]));
    if (how != abi::kSIG_BLOCK && how != abi::kSIG_UNBLOCK && how != abi::kSIG_SETMASK)
      return Errno::kEINVAL;
  }
  if (args.a[2]) TRY(mm::write_user(as, args.a[2], mask));
  if (args.a[1]) {
    switch (how) {
      case abi::kSIG_BLOCK:
        mask |= set;
        break;
      case abi::kSIG_UNBLOCK:
        mask &= ~set;
        break;
      default:
        mask = set;
        break;
    }
    // Pending signals this unblocks are acted on as the syscall returns.
    mask &= ~kUnblockable;
  }
  return 0;
}

Result<i64> sys_rt_sigpending(SyscallContext& ctx, const SyscallArgs& args) {
  if (args.a[1] > kSigsetSize) return Errno::kEINVAL;
  const u64 set = ctx.process.pending_signals() & ctx.process.signal_mask();
  TRY(mm::copy_to_user(ctx.process.address_space(), args.a[0], &set, args.a[1]));
  return 0;
}

Result<i64> sys_rt_sigsuspend(SyscallContext& ctx, const SyscallArgs& args) {
  if (args.a[1] != kSigsetSize) return Errno::kEINVAL;
  const u64 set = TRY(mm::read_user<u64>(ctx.process.address_space(), args.a[0]));
  Process& p = ctx.process;
  p.saved_sigmask() = p.signal_mask();
  p.signal_mask() = set & ~kUnblockable;
  if (!(p.pending_signals() & ~p.signal_mask())) {
    // One thread and no timers: nothing can ever send a signal now. Linux would sleep until
    // the process is killed from outside; emu sleeps until it is killed itself.
    if (ctx.kernel.sink())
      ctx.kernel.sink()->warning("rt_sigsuspend with no signal pending: sleeping forever");
    for (;;) pause();
  }
  // The pending signal's handler sees EINTR; with no handler, the call starts again.
  return abi::kERESTARTNOHAND;
}

Result<i64> sys_rt_sigreturn(SyscallContext& ctx, const SyscallArgs&) {
  auto restored = proc::restore_rt_frame(ctx.process, ctx.cpu);
  if (!restored.ok()) {
    ctx.kernel.force_signal(abi::kSIGSEGV);  // signal_fault()
    return 0;
  }
  // The interrupted %rax: the syscall's return value when the handler ran on its way out.
  return static_cast<i64>(restored.value());
}

Result<i64> sys_sigaltstack(SyscallContext& ctx, const SyscallArgs& args) {
  auto& as = ctx.process.address_space();
  const u64 sp = ctx.cpu.reg(hal::Reg::Rsp);
  abi::StackT fresh{};
  if (args.a[0]) fresh = TRY(mm::read_user<abi::StackT>(as, args.a[0]));
  const Process::AltStack current = ctx.process.alt_stack();
  // The flags report SS_ONSTACK while running on the stack, SS_DISABLE without one.
  const abi::StackT old{current.sp, current.state(sp) | (current.flags & abi::kSS_AUTODISARM), 0,
                        current.size};
  if (args.a[0]) TRY(proc::set_alt_stack(ctx.process, fresh, sp));
  if (args.a[1]) TRY(mm::write_user(as, args.a[1], old));
  return 0;
}

Result<i64> sys_kill(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  const int sig = static_cast<int>(args.a[1]);
  // -1 means every process but the caller and init: in emu's world, none.
  if (pid != ctx.process.pid() && pid != 0) return Errno::kESRCH;
  return send_to_self(ctx, sig, abi::kSI_USER);
}

Result<i64> sys_tkill(SyscallContext& ctx, const SyscallArgs& args) {
  const int tid = static_cast<int>(args.a[0]);
  if (tid <= 0) return Errno::kEINVAL;
  if (tid != ctx.process.tid()) return Errno::kESRCH;
  return send_to_self(ctx, static_cast<int>(args.a[1]), abi::kSI_TKILL);
}

Result<i64> sys_tgkill(SyscallContext& ctx, const SyscallArgs& args) {
  const int tgid = static_cast<int>(args.a[0]), tid = static_cast<int>(args.a[1]);
  if (tgid <= 0 || tid <= 0) return Errno::kEINVAL;
  if (tgid != ctx.process.pid() || tid != ctx.process.tid()) return Errno::kESRCH;
  return send_to_self(ctx, static_cast<int>(args.a[2]), abi::kSI_TKILL);
}

}  // namespace kernel::syscalls
