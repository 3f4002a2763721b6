// Processes and threads: clone in its forms, exit, wait, ids, sessions and process groups.
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

mm::AddressSpace& as_of(SyscallContext& ctx) {
  return ctx.process.address_space();
}

// The call that made a vfork child waits until the child execs or exits (killably only:
// other signals wait until it is done).
Result<i64> finish_clone(SyscallContext& ctx, const CloneRequest& request) {
  if (ctx.resuming()) {
    const int child = static_cast<int>(ctx.thread.call().scratch[0]);
    Process* p = ctx.kernel.find_process(child);
    if (!p || p->vfork_done()) return child;
    return ctx.block({&p->vfork_wait()}, 0, Errno::None);
  }
  const i64 child = TRY(ctx.kernel.clone(request));
  if (!(request.flags & abi::kCLONE_VFORK)) return child;
  Process* p = ctx.kernel.find_process(static_cast<int>(child));
  if (!p || p->vfork_done()) return child;
  ctx.thread.call().scratch[0] = static_cast<u64>(child);
  return ctx.block({&p->vfork_wait()}, 0, Errno::None);
}

bool valid_exit_signal(u64 sig) {
  return sig <= static_cast<u64>(abi::kNumSignals);
}

}  // namespace

Result<i64> sys_clone(SyscallContext& ctx, const SyscallArgs& args) {
  // x86-64 order: flags, newsp, parent_tid, child_tid, tls.
  CloneRequest r;
  r.flags = args.a[0] & ~abi::kCSIGNAL;
  r.exit_signal = static_cast<int>(args.a[0] & abi::kCSIGNAL);
  r.stack = args.a[1];
  r.parent_tid = args.a[2];
  r.child_tid = args.a[3];
  r.tls = args.a[4];
  // Legacy clone returns the pidfd through parent_tid, so it cannot also take the tid.
  if ((r.flags & abi::kCLONE_PIDFD) && (r.flags & abi::kCLONE_PARENT_SETTID)) return Errno::kEINVAL;
  r.pidfd = args.a[2];
  // Only clone3 knows the flags above 32 bits.
  r.flags &= 0xffffffffu;
  return finish_clone(ctx, r);
}

Result<i64> sys_clone3(SyscallContext& ctx, const SyscallArgs& args) {
  struct CloneArgs {
    u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
  };
  constexpr u64 kVer0 = 64, kVer2 = 88;
  const u64 size = args.a[1];
  if (!ctx.resuming()) {
    // copy_clone_args_from_user: sizes from VER0 to a page; unknown trailing bytes must
    // be zero (E2BIG).
    if (size > kPageSize) return Errno::kE2BIG;
    if (size < kVer0) return Errno::kEINVAL;
  }
  CloneArgs a{};
  TRY(mm::copy_from_user(as_of(ctx), &a, args.a[0], std::min<u64>(size, sizeof a)));
  if (!ctx.resuming() && size > sizeof a) {
    u8 rest[64];
    for (u64 off = sizeof a; off < size;) {
      const u64 n = std::min<u64>(sizeof rest, size - off);
      TRY(mm::copy_from_user(as_of(ctx), rest, args.a[0] + off, n));
      for (u64 i = 0; i < n; ++i)
        if (rest[i]) return Errno::kE2BIG;
      off += n;
    }
  }
  if (a.set_tid_size > 32 || (!a.set_tid && a.set_tid_size)) return Errno::kEINVAL;
  if (a.set_tid && !a.set_tid_size) return Errno::kEINVAL;
  // set_tid picks pids in pid namespaces, which needs CAP_SYS_ADMIN over them; one
  // namespace here, and choosing a pid is not offered.
  if (a.set_tid_size) return Errno::kEINVAL;
  if ((a.exit_signal & ~abi::kCSIGNAL) || !valid_exit_signal(a.exit_signal)) return Errno::kEINVAL;
  if ((a.flags & abi::kCLONE_INTO_CGROUP) && (a.cgroup > 0x7fffffff || size < kVer2))
    return Errno::kEINVAL;
  // clone3_args_valid: only known flags; no CSIGNAL bits or CLONE_DETACHED in flags; stack
  // and size together, within user space (access_ok).
  if (a.flags & ~(u64{0xffffffff} | abi::kCLONE_CLEAR_SIGHAND | abi::kCLONE_INTO_CGROUP))
    return Errno::kEINVAL;
  if (a.flags & (abi::kCSIGNAL | abi::kCLONE_DETACHED)) return Errno::kEINVAL;
  if ((a.flags & (abi::kCLONE_SIGHAND | abi::kCLONE_CLEAR_SIGHAND)) ==
      (abi::kCLONE_SIGHAND | abi::kCLONE_CLEAR_SIGHAND))
    return Errno::kEINVAL;
  if ((a.flags & (abi::kCLONE_THREAD | abi::kCLONE_PARENT)) && a.exit_signal) return Errno::kEINVAL;
  if (!a.stack && a.stack_size) return Errno::kEINVAL;
  if (a.stack && !a.stack_size) return Errno::kEINVAL;
  if (a.stack && (a.stack_size > mm::kTaskSize || a.stack > mm::kTaskSize - a.stack_size))
    return Errno::kEINVAL;
  if (a.flags & abi::kCLONE_INTO_CGROUP) return Errno::kEINVAL;  // one cgroup
  CloneRequest r;
  r.flags = a.flags;
  r.exit_signal = static_cast<int>(a.exit_signal);
  r.stack = a.stack ? a.stack + a.stack_size : 0;
  r.tls = a.tls;
  r.parent_tid = a.parent_tid;
  r.child_tid = a.child_tid;
  r.pidfd = a.pidfd;
  return finish_clone(ctx, r);
}

Result<i64> sys_fork(SyscallContext& ctx, const SyscallArgs&) {
  CloneRequest r;
  r.exit_signal = abi::kSIGCHLD;
  return finish_clone(ctx, r);
}

Result<i64> sys_vfork(SyscallContext& ctx, const SyscallArgs&) {
  CloneRequest r;
  r.flags = abi::kCLONE_VFORK | abi::kCLONE_VM;
  r.exit_signal = abi::kSIGCHLD;
  return finish_clone(ctx, r);
}

Result<i64> sys_exit(SyscallContext& ctx, const SyscallArgs& args) {
  ctx.kernel.exit_thread(static_cast<int>(args.a[0]));
  return 0;
}

Result<i64> sys_exit_group(SyscallContext& ctx, const SyscallArgs& args) {
  ctx.kernel.exit_process(static_cast<int>(args.a[0]));
  return 0;
}

Result<i64> sys_getpid(SyscallContext& ctx, const SyscallArgs&) {
  return ctx.process.pid();
}

Result<i64> sys_gettid(SyscallContext& ctx, const SyscallArgs&) {
  return ctx.thread.tid();
}

Result<i64> sys_getppid(SyscallContext& ctx, const SyscallArgs&) {
  // The first process's parent is outside the guest's pid namespace: 0, as Linux shows it.
  const Process* parent = ctx.process.parent();
  return parent ? parent->pid() : 0;
}

Result<i64> sys_set_tid_address(SyscallContext& ctx, const SyscallArgs& args) {
  ctx.thread.clear_child_tid() = args.a[0];
  return ctx.thread.tid();
}

Result<i64> sys_set_robust_list(SyscallContext& ctx, const SyscallArgs& args) {
  // struct robust_list_head is 24 bytes.
  if (args.a[1] != 24) return Errno::kEINVAL;
  ctx.thread.robust_list() = args.a[0];
  ctx.thread.robust_list_len() = args.a[1];
  return 0;
}

Result<i64> sys_get_robust_list(SyscallContext& ctx, const SyscallArgs& args) {
  const int tid = static_cast<int>(args.a[0]);
  Thread* t = tid ? ctx.kernel.find_thread(tid) : &ctx.thread;
  if (!t) return Errno::kESRCH;
  TRY(mm::write_user(as_of(ctx), args.a[1], t->robust_list()));
  TRY(mm::write_user(as_of(ctx), args.a[2], u64{24}));
  return 0;
}

Result<i64> sys_sched_yield(SyscallContext& ctx, const SyscallArgs&) {
  // The caller goes to the back of the run queue.
  ctx.kernel.yield();
  if (ctx.kernel.need_resched()) ctx.cpu.request_stop();
  return 0;
}

// --- Sessions and process groups ---

Result<i64> sys_getpgrp(SyscallContext& ctx, const SyscallArgs&) {
  return ctx.process.pgid();
}

Result<i64> sys_getpgid(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  Process* p = pid ? ctx.kernel.find_process(pid) : &ctx.process;
  if (!p) return Errno::kESRCH;
  return p->pgid();
}

Result<i64> sys_getsid(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  Process* p = pid ? ctx.kernel.find_process(pid) : &ctx.process;
  if (!p) return Errno::kESRCH;
  return p->sid();
}

Result<i64> sys_setsid(SyscallContext& ctx, const SyscallArgs&) {
  Process& self = ctx.process;
  // A process group leader cannot begin a session; nor can anyone while a group with its
  // pid exists (zombies in it count: they are in the group until reaped).
  for (Process* p : ctx.kernel.processes())
    if (p->pgid() == self.pid()) return Errno::kEPERM;
  self.sid() = self.pid();
  self.pgid() = self.pid();
  return self.pid();
}

Result<i64> sys_setpgid(SyscallContext& ctx, const SyscallArgs& args) {
  // Linux's order: 0 means oneself, a pgid of 0 the target's pid, and only then is a
  // negative group refused (so setpgid(-1, 0) is EINVAL, setpgid(-1, 5) ESRCH).
  Process& self = ctx.process;
  const int pid_arg = static_cast<int>(args.a[0]), pgid_arg = static_cast<int>(args.a[1]);
  const int pid = pid_arg ? pid_arg : self.pid();
  const int pgid = pgid_arg ? pgid_arg : pid;
  if (pgid < 0) return Errno::kEINVAL;
  Process* p = ctx.kernel.find_process(pid);
  if (!p) {
    // A thread that is not its group's leader.
    if (pid > 0 && ctx.kernel.find_thread(pid)) return Errno::kEINVAL;
    return Errno::kESRCH;
  }
  if (p->parent() == &self) {
    if (p->sid() != self.sid()) return Errno::kEPERM;
    if (!p->fork_no_exec()) return Errno::kEACCES;  // the child has exec'd
  } else if (p != &self) {
    return Errno::kESRCH;
  }
  if (p->sid() == p->pid()) return Errno::kEPERM;  // a session leader stays put
  if (pgid != p->pid()) {
    // The group must exist in the caller's session.
    bool found = false;
    for (Process* q : ctx.kernel.processes())
      if (q->pgid() == pgid && q->sid() == self.sid()) found = true;
    if (!found) return Errno::kEPERM;
  }
  p->pgid() = pgid;
  return 0;
}

}  // namespace kernel::syscalls
