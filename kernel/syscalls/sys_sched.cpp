// Scheduling policy and priority syscalls (kernel/sched/core.c, syscalls.c, sys.c's
// getpriority/setpriority) and sched_setaffinity. The attributes are checked as Linux
// checks them, stored per thread, inherited by clone and reported back; the one emulated
// CPU runs every thread from one round-robin queue whatever they say.
#include <algorithm>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr int kMaxRtPrio = 100;              // MAX_RT_PRIO
constexpr u64 kRrTimesliceNs = 100'000'000;  // RR_TIMESLICE
constexpr u64 kFairSliceNs = 5'000'000;      // the machine's time quantum

bool rt_policy(int policy) {
  return policy == abi::kSCHED_FIFO || policy == abi::kSCHED_RR;
}

bool valid_policy(int policy) {
  return policy == abi::kSCHED_OTHER || policy == abi::kSCHED_FIFO || policy == abi::kSCHED_RR ||
         policy == abi::kSCHED_BATCH || policy == abi::kSCHED_IDLE ||
         policy == abi::kSCHED_DEADLINE;
}

// find_process_by_pid: 0 is the caller; any thread id names that thread.
Thread* find_task(SyscallContext& ctx, int pid) {
  return pid == 0 ? &ctx.thread : ctx.kernel.find_thread(pid);
}

// check_same_owner: the caller's euid is the target's uid or euid.
bool same_owner(SyscallContext& ctx, Thread& target) {
  const Credentials& me = ctx.process.creds();
  const Credentials& them = target.process().creds();
  return me.euid == them.uid || me.euid == them.euid;
}

// can_nice: the nice value is within RLIMIT_NICE (as 20 - nice), or CAP_SYS_NICE.
bool can_nice(SyscallContext& ctx, Thread& target, int nice) {
  const u64 limit = target.process().rlimits()[abi::kRLIMIT_NICE].cur;
  return static_cast<u64>(20 - nice) <= limit || capable(ctx.process.creds(), cap::kSysNice);
}

struct SchedParam {
  i32 sched_priority;
};

// __sched_setscheduler for a policy (-1: keep it) and a priority, in Linux's order.
Result<i64> set_scheduler(SyscallContext& ctx, int pid, int policy_arg, u64 param_ptr) {
  if (!param_ptr || pid < 0) return Errno::kEINVAL;
  const auto param = TRY(mm::read_user<SchedParam>(ctx.process.address_space(), param_ptr));
  Thread* t = find_task(ctx, pid);
  if (!t) return Errno::kESRCH;
  Thread::SchedAttr& attr = t->sched();
  bool reset_on_fork = attr.reset_on_fork;
  int policy = policy_arg;
  if (policy < 0) {
    policy = attr.policy;  // sched_setparam
  } else {
    reset_on_fork = policy & abi::kSCHED_RESET_ON_FORK;
    policy &= ~abi::kSCHED_RESET_ON_FORK;
    if (!valid_policy(policy)) return Errno::kEINVAL;
  }
  // The priority: 1..99 for a real-time policy, 0 for the others. SCHED_DEADLINE needs
  // sched_setattr's runtime and deadline, which sched_param cannot give.
  const u32 prio = static_cast<u32>(param.sched_priority);
  if (prio > kMaxRtPrio - 1) return Errno::kEINVAL;
  if (policy == abi::kSCHED_DEADLINE) return Errno::kEINVAL;
  if (rt_policy(policy) != (prio != 0)) return Errno::kEINVAL;
  if (!capable(ctx.process.creds(), cap::kSysNice)) {
    if (rt_policy(policy)) {
      const u64 rlim_rtprio = t->process().rlimits()[abi::kRLIMIT_RTPRIO].cur;
      if (policy != attr.policy && !rlim_rtprio) return Errno::kEPERM;
      if (static_cast<int>(prio) > attr.rt_priority && prio > rlim_rtprio) return Errno::kEPERM;
    }
    // Leaving SCHED_IDLE needs the right to the current nice value.
    if (attr.policy == abi::kSCHED_IDLE && policy != abi::kSCHED_IDLE &&
        !can_nice(ctx, *t, attr.nice))
      return Errno::kEPERM;
    if (!same_owner(ctx, *t)) return Errno::kEPERM;
    if (attr.reset_on_fork && !reset_on_fork) return Errno::kEPERM;
  }
  attr.policy = policy;
  attr.rt_priority = static_cast<int>(prio);
  attr.reset_on_fork = reset_on_fork;
  return 0;
}

}  // namespace

Result<i64> sys_sched_setscheduler(SyscallContext& ctx, const SyscallArgs& args) {
  const int policy = static_cast<int>(args.a[1]);
  if (policy < 0) return Errno::kEINVAL;
  return set_scheduler(ctx, static_cast<int>(args.a[0]), policy, args.a[2]);
}

Result<i64> sys_sched_setparam(SyscallContext& ctx, const SyscallArgs& args) {
  return set_scheduler(ctx, static_cast<int>(args.a[0]), -1, args.a[1]);
}

Result<i64> sys_sched_getscheduler(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  if (pid < 0) return Errno::kEINVAL;
  Thread* t = find_task(ctx, pid);
  if (!t) return Errno::kESRCH;
  return t->sched().policy | (t->sched().reset_on_fork ? abi::kSCHED_RESET_ON_FORK : 0);
}

Result<i64> sys_sched_getparam(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  if (!args.a[1] || pid < 0) return Errno::kEINVAL;
  Thread* t = find_task(ctx, pid);
  if (!t) return Errno::kESRCH;
  const SchedParam param{rt_policy(t->sched().policy) ? t->sched().rt_priority : 0};
  TRY(mm::write_user(ctx.process.address_space(), args.a[1], param));
  return 0;
}

Result<i64> sys_sched_get_priority_max(SyscallContext&, const SyscallArgs& args) {
  const int policy = static_cast<int>(args.a[0]);
  if (rt_policy(policy)) return kMaxRtPrio - 1;
  if (valid_policy(policy)) return 0;
  return Errno::kEINVAL;
}

Result<i64> sys_sched_get_priority_min(SyscallContext&, const SyscallArgs& args) {
  const int policy = static_cast<int>(args.a[0]);
  if (rt_policy(policy)) return 1;
  if (valid_policy(policy)) return 0;
  return Errno::kEINVAL;
}

Result<i64> sys_sched_rr_get_interval(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  if (pid < 0) return Errno::kEINVAL;
  Thread* t = find_task(ctx, pid);
  if (!t) return Errno::kESRCH;
  // SCHED_RR's time slice; none for FIFO; the others run for the machine's quantum.
  const int policy = t->sched().policy;
  const u64 ns = policy == abi::kSCHED_RR     ? kRrTimesliceNs
                 : policy == abi::kSCHED_FIFO ? 0
                                              : kFairSliceNs;
  const abi::Timespec ts{static_cast<i64>(ns / 1'000'000'000),
                         static_cast<i64>(ns % 1'000'000'000)};
  TRY(mm::write_user(ctx.process.address_space(), args.a[1], ts));
  return 0;
}

Result<i64> sys_sched_setaffinity(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  const u64 len = args.a[1];
  // get_user_cpu_mask: a short mask is zero-extended, a long one cut to the kernel's size.
  u64 mask = 0;
  TRY(mm::copy_from_user(ctx.process.address_space(), &mask, args.a[2],
                         std::min<u64>(len, sizeof mask)));
  Thread* t = find_task(ctx, pid);
  if (!t) return Errno::kESRCH;
  if (!same_owner(ctx, *t) && !capable(ctx.process.creds(), cap::kSysNice)) return Errno::kEPERM;
  // The machine has CPU 0 only: a mask without it allows no CPU at all.
  if (!(mask & 1)) return Errno::kEINVAL;
  return 0;
}

// --- Nice values ---

namespace {

constexpr int kMinNice = -20, kMaxNice = 19;

// The threads `which`/`who` names (PRIO_PROCESS: one thread; PRIO_PGRP: every thread of a
// process group; PRIO_USER: every thread of a real uid), given to `fn`; false for a bad
// `which`.
template <typename Fn>
bool for_each_target(SyscallContext& ctx, int which, int who, Fn fn) {
  switch (which) {
    case abi::kPRIO_PROCESS:
      if (Thread* t = find_task(ctx, who)) fn(*t);
      return true;
    case abi::kPRIO_PGRP: {
      const int pgrp = who ? who : ctx.process.pgid();
      for (Process* p : ctx.kernel.processes())
        if (p->alive() && p->pgid() == pgrp)
          for (Thread* t : p->threads()) fn(*t);
      return true;
    }
    case abi::kPRIO_USER: {
      const u32 uid = who ? static_cast<u32>(who) : ctx.process.creds().uid;
      for (Process* p : ctx.kernel.processes())
        if (p->alive() && p->creds().uid == uid)
          for (Thread* t : p->threads()) fn(*t);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

Result<i64> sys_getpriority(SyscallContext& ctx, const SyscallArgs& args) {
  const int which = static_cast<int>(args.a[0]), who = static_cast<int>(args.a[1]);
  // The raw call returns 20 - nice (1..40), the highest of the targets; libc turns it back.
  i64 best = -1;
  const bool ok = for_each_target(
      ctx, which, who, [&best](Thread& t) { best = std::max<i64>(best, 20 - t.sched().nice); });
  if (!ok) return Errno::kEINVAL;
  if (best < 0) return Errno::kESRCH;
  return best;
}

Result<i64> sys_setpriority(SyscallContext& ctx, const SyscallArgs& args) {
  const int which = static_cast<int>(args.a[0]), who = static_cast<int>(args.a[1]);
  const int nice = std::clamp(static_cast<int>(args.a[2]), kMinNice, kMaxNice);
  // set_one_prio: ESRCH until a target is found; then the last refusal, or 0.
  Errno error = Errno::kESRCH;
  const bool ok = for_each_target(ctx, which, who, [&](Thread& t) {
    const Credentials& me = ctx.process.creds();
    const Credentials& them = t.process().creds();
    if (error == Errno::kESRCH) error = Errno::None;
    if (them.uid != me.euid && them.euid != me.euid && !capable(me, cap::kSysNice)) {
      error = Errno::kEPERM;
      return;
    }
    if (nice < t.sched().nice && !can_nice(ctx, t, nice)) {
      error = Errno::kEACCES;
      return;
    }
    t.sched().nice = nice;
  });
  if (!ok) return Errno::kEINVAL;
  if (error != Errno::None) return error;
  return 0;
}

}  // namespace kernel::syscalls
