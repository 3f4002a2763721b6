// wait4 and waitid (Linux's do_wait): a child that has ended, stopped or continued, chosen
// by pid, process group or pidfd, reported once (or left, with WNOWAIT).
#include <limits>
#include <optional>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

enum class Which : u8 { All, Pid, Pgid };

struct WaitRequest {
  Which which = Which::All;
  int id = 0;
  int options = 0;
};

struct Report {
  int pid = 0;
  int code = 0;         // CLD_*
  int status = 0;       // the exit code or the signal (waitid's si_status)
  int wait_status = 0;  // wait4's encoding
};

bool eligible(const WaitRequest& w, Process& child) {
  if (w.which == Which::Pid && child.pid() != w.id) return false;
  if (w.which == Which::Pgid && child.pgid() != w.id) return false;
  if (w.options & abi::kWALL) return true;
  // A "clone" child is one that signals its parent with anything but SIGCHLD.
  const bool clone_child = child.exit_signal() != abi::kSIGCHLD;
  return clone_child == ((w.options & abi::kWCLONE) != 0);
}

// What the child has to say, if anything; takes it unless WNOWAIT.
std::optional<Report> take_report(Kernel& kernel, const WaitRequest& w, Process& child) {
  const bool keep = w.options & abi::kWNOWAIT;
  if (child.state() == ProcessState::Zombie && (w.options & abi::kWEXITED)) {
    const int st = child.exit_status();
    Report r{child.pid(), 0, 0, st};
    if (st & 0x7f) {
      r.code = (st & 0x80) ? abi::kCLD_DUMPED : abi::kCLD_KILLED;
      r.status = st & 0x7f;
    } else {
      r.code = abi::kCLD_EXITED;
      r.status = (st >> 8) & 0xff;
    }
    if (!keep) kernel.reap(child);
    return r;
  }
  if (child.alive() && child.stopped() && child.stop_report() && (w.options & abi::kWSTOPPED)) {
    const int sig = child.stop_report();
    if (!keep) child.stop_report() = 0;
    return Report{child.pid(), abi::kCLD_STOPPED, sig, (sig << 8) | 0x7f};
  }
  if (child.alive() && child.continue_report() && (w.options & abi::kWCONTINUED)) {
    if (!keep) child.continue_report() = false;
    return Report{child.pid(), abi::kCLD_CONTINUED, abi::kSIGCONT, 0xffff};
  }
  return std::nullopt;
}

// One look at the children: a report, ECHILD when none is eligible, or nothing yet.
Result<std::optional<Report>> look(SyscallContext& ctx, const WaitRequest& w) {
  bool any = false;
  // Reaping edits the list: look at a copy.
  const std::vector<Process*> children = ctx.process.children();
  for (Process* child : children) {
    if (!eligible(w, *child)) continue;
    any = true;
    if (auto r = take_report(ctx.kernel, w, *child)) return std::optional<Report>(*r);
  }
  if (!any) return Errno::kECHILD;
  return std::optional<Report>();
}

Result<void> write_rusage(SyscallContext& ctx, u64 addr) {
  if (!addr) return {};
  u8 zero[144] = {};
  return mm::copy_to_user(ctx.process.address_space(), addr, zero, sizeof zero);
}

}  // namespace

Result<i64> sys_wait4(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  const int options = static_cast<int>(args.a[2]);
  if (options & ~(abi::kWNOHANG | abi::kWUNTRACED | abi::kWCONTINUED | abi::kWNOTHREAD |
                  abi::kWCLONE | abi::kWALL))
    return Errno::kEINVAL;
  // kernel_wait4: INT_MIN cannot be negated into a group.
  if (pid == std::numeric_limits<int>::min()) return Errno::kESRCH;
  WaitRequest w;
  w.options = options | abi::kWEXITED;
  if (pid == -1) {
    w.which = Which::All;
  } else if (pid < 0) {
    w.which = Which::Pgid;
    w.id = -pid;
  } else if (pid == 0) {
    w.which = Which::Pgid;
    w.id = ctx.process.pgid();
  } else {
    w.which = Which::Pid;
    w.id = pid;
  }
  const auto found = TRY(look(ctx, w));
  if (!found) {
    if (options & abi::kWNOHANG) return 0;
    return ctx.block({&ctx.process.child_wait()});
  }
  if (args.a[1])
    TRY(mm::write_user(ctx.process.address_space(), args.a[1], i32{found->wait_status}));
  TRY(write_rusage(ctx, args.a[3]));
  return found->pid;
}

Result<i64> sys_waitid(SyscallContext& ctx, const SyscallArgs& args) {
  const int idtype = static_cast<int>(args.a[0]);
  const int id = static_cast<int>(args.a[1]);
  const u64 infop = args.a[2];
  int options = static_cast<int>(args.a[3]);
  if (options & ~(abi::kWNOHANG | abi::kWNOWAIT | abi::kWEXITED | abi::kWSTOPPED |
                  abi::kWCONTINUED | abi::kWNOTHREAD | abi::kWCLONE | abi::kWALL))
    return Errno::kEINVAL;
  if (!(options & (abi::kWEXITED | abi::kWSTOPPED | abi::kWCONTINUED))) return Errno::kEINVAL;
  WaitRequest w;
  bool nonblocking_pidfd = false;
  switch (idtype) {
    case abi::kP_ALL:
      w.which = Which::All;
      break;
    case abi::kP_PID:
      if (id <= 0) return Errno::kEINVAL;
      w.which = Which::Pid;
      w.id = id;
      break;
    case abi::kP_PGID:
      if (id < 0) return Errno::kEINVAL;
      w.which = Which::Pgid;
      w.id = id ? id : ctx.process.pgid();
      break;
    case abi::kP_PIDFD: {
      if (id < 0) return Errno::kEINVAL;
      auto file = TRY(ctx.process.fds().get(id));
      proc::PidFd* pidfd = proc::as_pidfd(*file);
      if (!pidfd) return Errno::kEBADF;
      w.which = Which::Pid;
      w.id = pidfd->process().pid();
      nonblocking_pidfd = file->status_flags & abi::kO_NONBLOCK;
      if (nonblocking_pidfd) options |= abi::kWNOHANG;
      break;
    }
    default:
      return Errno::kEINVAL;
  }
  w.options = options;
  const auto found = TRY(look(ctx, w));
  if (!found && !(options & abi::kWNOHANG)) return ctx.block({&ctx.process.child_wait()});
  if (infop) {
    // Only these fields are written, as Linux's waitid does; nothing found writes zeros.
    const Report r = found.value_or(Report{});
    const i32 fields[] = {found ? abi::kSIGCHLD : 0, 0, r.code, 0, r.pid, 0, r.status};
    auto& as = ctx.process.address_space();
    TRY(mm::write_user(as, infop + 0, fields[0]));
    TRY(mm::write_user(as, infop + 4, fields[1]));
    TRY(mm::write_user(as, infop + 8, fields[2]));
    TRY(mm::write_user(as, infop + 0x10, fields[4]));
    TRY(mm::write_user(as, infop + 0x14, fields[5]));
    TRY(mm::write_user(as, infop + 0x18, fields[6]));
  }
  if (found) TRY(write_rusage(ctx, args.a[4]));
  // A PIDFD_NONBLOCK pidfd whose process has not ended: EAGAIN rather than 0.
  if (!found && nonblocking_pidfd && !(static_cast<int>(args.a[3]) & abi::kWNOHANG))
    return Errno::kEAGAIN;
  return 0;
}

}  // namespace kernel::syscalls
