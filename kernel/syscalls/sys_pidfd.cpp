// pidfd_open, pidfd_send_signal and pidfd_getfd (Linux 6.1's kernel/pid.c, kernel/signal.c),
// and the calls that act on another process's memory through a pidfd: process_madvise
// (mm/madvise.c) and process_mrelease (mm/oom_kill.c). Each checks its arguments in the
// order Linux does, so that a call with several faults fails as it would there.
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/advice.h"
#include "kernel/mm/iovec.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/process.h"
#include "kernel/proc/remote_access.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/syscalls/sys_mm.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

// The process behind a pidfd (pidfd_pid()): EBADF for a closed fd or any other file.
// `hold` keeps the file, and with it the process record, for the length of the call.
Result<Process*> pidfd_process(SyscallContext& ctx, u64 fd_arg, std::shared_ptr<fs::File>& hold) {
  hold = TRY(ctx.process.fds().get(static_cast<int>(fd_arg)));
  proc::PidFd* pidfd = proc::as_pidfd(*hold);
  if (!pidfd) return Errno::kEBADF;
  return &pidfd->process();
}

// pidfd_get_task(): the process, while its pid still names it (not yet reaped).
Result<Process*> pidfd_task(SyscallContext& ctx, u64 fd_arg, std::shared_ptr<fs::File>& hold) {
  Process* p = TRY(pidfd_process(ctx, fd_arg, hold));
  if (p->state() == ProcessState::Reaped) return Errno::kESRCH;
  return p;
}

// process_madvise_behavior_valid().
bool remote_advice_valid(int advice) {
  const mm::AdviceInfo* info = mm::find_advice(advice);
  return info && info->process_madvise;
}

}  // namespace

Result<i64> sys_pidfd_open(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  const u32 flags = static_cast<u32>(args.a[1]);
  if (flags & ~static_cast<u32>(abi::kO_NONBLOCK)) return Errno::kEINVAL;
  if (pid <= 0) return Errno::kEINVAL;
  std::shared_ptr<Process> process = ctx.kernel.find_process_ptr(pid);
  if (!process) {
    // find_get_pid() finds a thread's pid too, but it names no thread group (pidfd_prepare).
    return ctx.kernel.find_thread(pid) ? Errno::kEINVAL : Errno::kESRCH;
  }
  return TRY(ctx.process.fds().allocate(proc::make_pidfd(std::move(process), flags),
                                        fs::CloseOnExec::Yes));
}

Result<i64> sys_pidfd_send_signal(SyscallContext& ctx, const SyscallArgs& args) {
  const int sig = static_cast<int>(args.a[1]);
  const u64 info_addr = args.a[2];
  if (static_cast<u32>(args.a[3]) != 0) return Errno::kEINVAL;
  std::shared_ptr<fs::File> hold;
  Process* target = TRY(pidfd_process(ctx, args.a[0], hold));
  abi::Siginfo info;
  if (info_addr) {
    info = TRY(mm::read_user<abi::Siginfo>(ctx.process.address_space(), info_addr));
    if (info.si_signo != sig) return Errno::kEINVAL;
    // Only a process's own leader thread may send itself arbitrary siginfo.
    const bool self = ctx.thread.tid() == target->pid();
    if (!self && (info.si_code >= 0 || info.si_code == abi::kSI_TKILL)) return Errno::kEPERM;
  } else {
    info = proc::siginfo_kill(sig, abi::kSI_USER, ctx.process.pid(), ctx.process.creds().uid);
  }
  // kill_pid_info(): a reaped process is gone; group_send_sig_info() checks the signal
  // number, then (for a signal from user space) the permission, as kill() does.
  if (target->state() == ProcessState::Reaped) return Errno::kESRCH;
  if (sig < 0 || sig > abi::kNumSignals) return Errno::kEINVAL;
  const bool from_user = !info_addr || info.si_code <= 0;
  if (from_user && target != &ctx.process && !may_signal(ctx.process.creds(), target->creds()) &&
      !(sig == abi::kSIGCONT && target->sid() == ctx.process.sid()))
    return Errno::kEPERM;
  // A zombie takes the signal and ignores it.
  if (sig && target->alive()) ctx.kernel.signal_process(*target, info);
  return 0;
}

Result<i64> sys_pidfd_getfd(SyscallContext& ctx, const SyscallArgs& args) {
  const int targetfd = static_cast<int>(args.a[1]);
  if (static_cast<u32>(args.a[2]) != 0) return Errno::kEINVAL;
  std::shared_ptr<fs::File> hold;
  Process* target = TRY(pidfd_task(ctx, args.a[0], hold));
  // __pidfd_fget(): the ptrace check, then PF_EXITING, then the descriptor.
  if (!proc::may_access_process(ctx.process, *target, kPtraceModeAttachRealcreds))
    return Errno::kEPERM;
  // A process only marked dying still has its threads (none is PF_EXITING yet).
  if (!target->alive() || (target->exiting() && !target->group_exit_pending()))
    return Errno::kESRCH;
  std::shared_ptr<fs::File> file = TRY(target->fds().get(targetfd));
  return TRY(ctx.process.fds().allocate(std::move(file), fs::CloseOnExec::Yes));
}

Result<i64> sys_process_madvise(SyscallContext& ctx, const SyscallArgs& args) {
  const int advice = static_cast<int>(args.a[3]);
  if (static_cast<u32>(args.a[4]) != 0) return Errno::kEINVAL;
  mm::ImportedIovec iov;
  TRY(mm::import_iovec(ctx.process.address_space(), args.a[1], args.a[2], iov));
  std::shared_ptr<fs::File> hold;
  Process* target = TRY(pidfd_task(ctx, args.a[0], hold));
  if (!remote_advice_valid(advice)) return Errno::kEINVAL;
  // mm_access(): a process that has ended has no memory left to advise.
  if (!target->alive()) return Errno::kESRCH;
  // Keeps the target's memory for the call, as mm_access's reference does.
  const std::shared_ptr<mm::AddressSpace> mm = target->address_space_ptr();
  const bool same_mm = mm.get() == &ctx.process.address_space();
  TRY(proc::process_madvise_access(ctx.process.creds(), target->creds(), same_mm,
                                   target->prctl_state().dumpable == 1));
  // Range by range, as the iov_iter walks them: the first segment always (a zero-length
  // one is still checked), later ones only when not empty (iov_iter_advance steps over
  // those), and none once the total is reached. An error stops the walk, and the call
  // answers the bytes advised before it, if any, else the error.
  u64 advised = 0;
  for (u64 i = 0; i < iov.count && advised < iov.total; ++i) {
    const mm::IoSegment& seg = iov.items[i];
    if (i > 0 && seg.len == 0) continue;
    const Result<void> r = do_madvise(*mm, seg.addr, seg.len, advice);
    if (!r.ok()) {
      if (advised) break;
      return r.error();
    }
    advised += seg.len;
  }
  return static_cast<i64>(advised);
}

Result<i64> sys_process_mrelease(SyscallContext& ctx, const SyscallArgs& args) {
  if (static_cast<u32>(args.a[1]) != 0) return Errno::kEINVAL;
  std::shared_ptr<fs::File> hold;
  Process* target = TRY(pidfd_task(ctx, args.a[0], hold));
  // find_lock_task_mm(): no thread of a process that has ended holds its memory.
  if (!target->alive() || target->threads().empty()) return Errno::kESRCH;
  // task_will_free_mem(): only memory on its way out may be taken: the process is dying
  // (a fatal signal marked it, its threads have not run to end it yet) and so is every
  // process it shares that memory with. Nothing else in emu sets MMF_OOM_SKIP on a live
  // process's memory (exit_mmap does, after find_lock_task_mm has stopped finding it), so
  // a refusal is always EINVAL.
  if (!ctx.kernel.will_free_memory(*target)) return Errno::kEINVAL;
  // __oom_reap_task_mm(), with the memory held for the call as mmgrab() holds it. Asked
  // twice, the second finds nothing left to unmap and succeeds too.
  const std::shared_ptr<mm::AddressSpace> mm = target->address_space_ptr();
  mm->oom_reap();
  return 0;
}

}  // namespace kernel::syscalls
