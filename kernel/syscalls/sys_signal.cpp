// Signal syscalls: actions, masks, the alternate stack, sending a signal to oneself, and
// rt_sigreturn. Signals are queued per process and acted on when the syscall returns to
// user mode (Kernel::send_signal); the frames a handler runs on are in proc/signal_frame.
#include <unistd.h>

#include <limits>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/proc/thread.h"
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
    if (proc::handler_ignores(action, sig)) {
      ctx.process.shared_pending().discard(sigbit(sig));
      for (Thread* t : ctx.process.threads()) t->pending().discard(sigbit(sig));
    }
  }
  // The new action stands even when the old one cannot be written back.
  if (args.a[2]) TRY(mm::write_user(as, args.a[2], old));
  return 0;
}

Result<i64> sys_rt_sigprocmask(SyscallContext& ctx, const SyscallArgs& args) {
  const int how = static_cast<int>(args.a[0]);
  if (args.a[3] != kSigsetSize) return Errno::kEINVAL;
  auto& as = ctx.process.address_space();
  u64& mask = ctx.thread.signal_mask();
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
  const u64 set =
      (ctx.thread.pending().set() | ctx.process.shared_pending().set()) & ctx.thread.signal_mask();
  TRY(mm::copy_to_user(ctx.process.address_space(), args.a[0], &set, args.a[1]));
  return 0;
}

Result<i64> sys_rt_sigsuspend(SyscallContext& ctx, const SyscallArgs& args) {
  Thread& t = ctx.thread;
  if (ctx.resuming()) {
    // Only a signal ends the wait; its handler sees EINTR, or with none the call restarts.
    if (ctx.wake_reason() == WakeReason::Signal) return abi::kERESTARTNOHAND;
    return ctx.block({}, 0, abi::kERESTARTNOHAND);
  }
  if (args.a[1] != kSigsetSize) return Errno::kEINVAL;
  const u64 set = TRY(mm::read_user<u64>(ctx.process.address_space(), args.a[0]));
  t.saved_sigmask() = t.signal_mask();
  t.signal_mask() = set & ~kUnblockable;
  if (ctx.kernel.signal_pending(t)) return abi::kERESTARTNOHAND;
  return ctx.block({}, 0, abi::kERESTARTNOHAND);
}

Result<i64> sys_pause(SyscallContext& ctx, const SyscallArgs&) {
  if (ctx.resuming() && ctx.wake_reason() == WakeReason::Signal) return abi::kERESTARTNOHAND;
  if (ctx.kernel.signal_pending(ctx.thread)) return abi::kERESTARTNOHAND;
  return ctx.block({}, 0, abi::kERESTARTNOHAND);
}

Result<i64> sys_rt_sigreturn(SyscallContext& ctx, const SyscallArgs&) {
  auto restored = proc::restore_rt_frame(ctx.thread, ctx.cpu);
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
  const Thread::AltStack current = ctx.thread.alt_stack();
  // The flags report SS_ONSTACK while running on the stack, SS_DISABLE without one.
  const abi::StackT old{current.sp, current.state(sp) | (current.flags & abi::kSS_AUTODISARM), 0,
                        current.size};
  if (args.a[0]) TRY(proc::set_alt_stack(ctx.thread, fresh, sp));
  if (args.a[1]) TRY(mm::write_user(as, args.a[1], old));
  return 0;
}

namespace {

abi::Siginfo user_siginfo(SyscallContext& ctx, int sig, int code) {
  return proc::siginfo_kill(sig, code, ctx.process.pid(), ctx.process.creds().uid);
}

// check_kill_permission: the same thread group, a matching uid (kill_ok_by_cred), or
// SIGCONT within the session.
bool may_kill(SyscallContext& ctx, Process& target, int sig) {
  if (&target == &ctx.process) return true;
  if (may_signal(ctx.process.creds(), target.creds())) return true;
  return sig == abi::kSIGCONT && target.sid() == ctx.process.sid();
}

// Sends `info` to a whole process: 0 for sig 0, which only checks the target exists.
Result<i64> signal_process(SyscallContext& ctx, Process& target, const abi::Siginfo& info) {
  if (!may_kill(ctx, target, info.si_signo)) return Errno::kEPERM;
  if (!target.alive()) return 0;  // a zombie takes signals and ignores them
  if (info.si_signo) ctx.kernel.signal_process(target, info);
  return 0;
}

}  // namespace

Result<i64> sys_kill(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  const int sig = static_cast<int>(args.a[1]);
  if (sig < 0 || sig > abi::kNumSignals) return Errno::kEINVAL;
  const abi::Siginfo info = user_siginfo(ctx, sig, abi::kSI_USER);
  if (pid > 0) {
    // A thread's id names its whole process here.
    Process* target = ctx.kernel.find_process(pid);
    if (!target) {
      Thread* t = ctx.kernel.find_thread(pid);
      if (!t) return Errno::kESRCH;
      target = &t->process();
    }
    return signal_process(ctx, *target, info);
  }
  if (pid == std::numeric_limits<int>::min()) return Errno::kESRCH;
  // kill(-1): every process but init and the caller; kill(0) / kill(-pgrp): a group.
  const int pgrp = pid == 0 ? ctx.process.pgid() : -pid;
  // Success when any process took it; else the last refusal, or ESRCH for nobody.
  bool delivered = false;
  Errno refused = Errno::kESRCH;
  for (Process* p : ctx.kernel.processes()) {
    if (!p->alive()) continue;
    if (pid == -1) {
      if (p == ctx.kernel.init_process() || p == &ctx.process) continue;
    } else if (p->pgid() != pgrp) {
      continue;
    }
    if (auto r = signal_process(ctx, *p, info); r.ok())
      delivered = true;
    else
      refused = r.error();
  }
  return delivered ? Result<i64>(0) : Result<i64>(refused);
}

namespace {

Result<i64> signal_thread(SyscallContext& ctx, int tgid, int tid, int sig) {
  if (sig < 0 || sig > abi::kNumSignals) return Errno::kEINVAL;
  Thread* t = ctx.kernel.find_thread(tid);
  if (!t || (tgid > 0 && t->process().pid() != tgid)) return Errno::kESRCH;
  if (!may_kill(ctx, t->process(), sig)) return Errno::kEPERM;
  if (sig) ctx.kernel.signal_thread(*t, user_siginfo(ctx, sig, abi::kSI_TKILL));
  return 0;
}

}  // namespace

Result<i64> sys_tkill(SyscallContext& ctx, const SyscallArgs& args) {
  const int tid = static_cast<int>(args.a[0]);
  if (tid <= 0) return Errno::kEINVAL;
  return signal_thread(ctx, 0, tid, static_cast<int>(args.a[1]));
}

Result<i64> sys_tgkill(SyscallContext& ctx, const SyscallArgs& args) {
  const int tgid = static_cast<int>(args.a[0]), tid = static_cast<int>(args.a[1]);
  if (tgid <= 0 || tid <= 0) return Errno::kEINVAL;
  return signal_thread(ctx, tgid, tid, static_cast<int>(args.a[2]));
}

// --- Waiting for signals and queueing them with a value ---

Result<i64> sys_rt_sigtimedwait(SyscallContext& ctx, const SyscallArgs& args) {
  Thread& t = ctx.thread;
  auto& as = ctx.process.address_space();
  BlockedCall& call = t.call();
  if (!ctx.resuming()) {
    if (args.a[3] != kSigsetSize) return Errno::kEINVAL;
    const u64 set = TRY(mm::read_user<u64>(as, args.a[0])) & ~kUnblockable;
    u64 deadline = 0;
    bool poll_only = false;
    if (args.a[2]) {
      const auto ts = TRY(mm::read_user<abi::Timespec>(as, args.a[2]));
      if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return Errno::kEINVAL;
      const u64 ns = static_cast<u64>(ts.tv_sec) * 1'000'000'000 + static_cast<u64>(ts.tv_nsec);
      poll_only = ns == 0;
      deadline = Kernel::monotonic_ns() + ns;
    }
    call.scratch[0] = set;
    call.scratch[1] = deadline;
    call.scratch[2] = poll_only;
  }
  const u64 set = call.scratch[0];
  t.sigwait_set() = 0;
  abi::Siginfo info = ctx.kernel.dequeue_signal(t, set);
  if (info.si_signo) {
    if (args.a[1]) TRY(mm::write_user(as, args.a[1], info));
    return info.si_signo;
  }
  if (call.scratch[2]) return Errno::kEAGAIN;
  if (ctx.resuming()) {
    // Woken by a signal it does not wait for (a handler runs), or the time ran out.
    if (ctx.wake_reason() == WakeReason::Signal) return Errno::kEINTR;
    if (ctx.wake_reason() == WakeReason::Timeout ||
        (call.scratch[1] && Kernel::monotonic_ns() >= call.scratch[1]))
      return Errno::kEAGAIN;
  }
  // While it waits, the signals of the set come to this thread as if unblocked.
  t.sigwait_set() = set;
  return ctx.block({}, call.scratch[1], Errno::kEINTR);
}

namespace {

// copy_siginfo_from_user for rt_[tg]sigqueueinfo: the caller's siginfo, as given, with
// si_signo made `sig`. Another process may not pose as the kernel or as kill/tkill.
Result<abi::Siginfo> queued_siginfo(SyscallContext& ctx, int sig, u64 uinfo, int target) {
  abi::Siginfo info = TRY(mm::read_user<abi::Siginfo>(ctx.process.address_space(), uinfo));
  info.si_signo = sig;
  if ((info.si_code >= 0 || info.si_code == abi::kSI_TKILL) && target != ctx.process.pid())
    return Errno::kEPERM;
  return info;
}

}  // namespace

Result<i64> sys_rt_sigqueueinfo(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  const int sig = static_cast<int>(args.a[1]);
  const abi::Siginfo info = TRY(queued_siginfo(ctx, sig, args.a[2], pid));
  // kill_proc_info: one process, named by any of its thread ids.
  Process* target = pid > 0 ? ctx.kernel.find_process(pid) : nullptr;
  if (!target && pid > 0)
    if (Thread* t = ctx.kernel.find_thread(pid)) target = &t->process();
  if (!target) return Errno::kESRCH;
  if (sig < 0 || sig > abi::kNumSignals) return Errno::kEINVAL;
  if (!may_kill(ctx, *target, sig)) return Errno::kEPERM;
  if (!sig || !target->alive()) return 0;
  const Errno err = ctx.kernel.signal_process(*target, info);
  if (err != Errno::None) return err;
  return 0;
}

Result<i64> sys_rt_tgsigqueueinfo(SyscallContext& ctx, const SyscallArgs& args) {
  const int tgid = static_cast<int>(args.a[0]), tid = static_cast<int>(args.a[1]);
  const int sig = static_cast<int>(args.a[2]);
  if (tgid <= 0 || tid <= 0) return Errno::kEINVAL;
  // The caller may pose as kill/tkill only towards itself (a thread id here).
  abi::Siginfo info = TRY(mm::read_user<abi::Siginfo>(ctx.process.address_space(), args.a[3]));
  info.si_signo = sig;
  if ((info.si_code >= 0 || info.si_code == abi::kSI_TKILL) && tid != ctx.thread.tid())
    return Errno::kEPERM;
  Thread* t = ctx.kernel.find_thread(tid);
  if (!t || t->process().pid() != tgid) return Errno::kESRCH;
  if (sig < 0 || sig > abi::kNumSignals) return Errno::kEINVAL;
  if (!may_kill(ctx, t->process(), sig)) return Errno::kEPERM;
  if (!sig) return 0;
  const Errno err = ctx.kernel.signal_thread(*t, info);
  if (err != Errno::None) return err;
  return 0;
}

}  // namespace kernel::syscalls
