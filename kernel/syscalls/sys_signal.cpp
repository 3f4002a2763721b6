// Signal syscalls. Actions and masks are kept per process. Delivery to a guest handler
// comes with signal frames; until then a signal whose action is not "ignore" ends the
// process the way its default action would.
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
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

Result<i64> send_to_self(SyscallContext& ctx, int sig) {
  if (sig < 0 || sig > abi::kNumSignals) return Errno::kEINVAL;
  if (sig != 0) ctx.kernel.send_signal(sig, abi::kSI_TKILL);
  return 0;
}

}  // namespace

Result<i64> sys_rt_sigaction(SyscallContext& ctx, const SyscallArgs& args) {
  const int sig = static_cast<int>(args.a[0]);
  if (args.a[3] != kSigsetSize) return Errno::kEINVAL;
  if (sig < 1 || sig > abi::kNumSignals) return Errno::kEINVAL;
  auto& as = ctx.process.address_space();
  SignalAction& action = ctx.process.signal_actions()[sig];
  GuestSigaction fresh{};
  if (args.a[1]) {
    if (sig == abi::kSIGKILL || sig == abi::kSIGSTOP) return Errno::kEINVAL;
    fresh = TRY(mm::read_user<GuestSigaction>(as, args.a[1]));
  }
  if (args.a[2]) {
    const GuestSigaction old{action.handler, action.flags, action.restorer, action.mask};
    TRY(mm::write_user(as, args.a[2], old));
  }
  if (args.a[1]) action = {fresh.handler, fresh.flags, fresh.restorer, fresh.mask & ~kUnblockable};
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
    mask &= ~kUnblockable;
    ctx.kernel.deliver_pending_signals();
  }
  return 0;
}

Result<i64> sys_sigaltstack(SyscallContext& ctx, const SyscallArgs& args) {
  struct GuestStack {
    u64 sp;
    i32 flags;
    i32 pad;
    u64 size;
  };
  constexpr i32 kSsDisable = 2, kSsAutodisarm = i32(1u << 31);
  constexpr u64 kMinSigStackSize = 2048;
  auto& as = ctx.process.address_space();
  auto& current = ctx.process.alt_stack();
  GuestStack fresh{};
  if (args.a[0]) {
    fresh = TRY(mm::read_user<GuestStack>(as, args.a[0]));
    const i32 mode = fresh.flags & ~kSsAutodisarm;
    if (mode != 0 && mode != kSsDisable) return Errno::kEINVAL;
    if (mode == 0 && fresh.size < kMinSigStackSize) return Errno::kENOMEM;
  }
  if (args.a[1])
    TRY(mm::write_user(as, args.a[1], GuestStack{current.sp, current.flags, 0, current.size}));
  if (args.a[0]) {
    if ((fresh.flags & ~kSsAutodisarm) == kSsDisable)
      current = {0, kSsDisable, 0};
    else
      current = {fresh.sp, fresh.flags, fresh.size};
  }
  return 0;
}

Result<i64> sys_kill(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  const int sig = static_cast<int>(args.a[1]);
  if (pid != ctx.process.pid() && pid != 0 && pid != -1) return Errno::kESRCH;
  return send_to_self(ctx, sig);
}

Result<i64> sys_tkill(SyscallContext& ctx, const SyscallArgs& args) {
  const int tid = static_cast<int>(args.a[0]);
  if (tid <= 0) return Errno::kEINVAL;
  if (tid != ctx.process.tid()) return Errno::kESRCH;
  return send_to_self(ctx, static_cast<int>(args.a[1]));
}

Result<i64> sys_tgkill(SyscallContext& ctx, const SyscallArgs& args) {
  const int tgid = static_cast<int>(args.a[0]), tid = static_cast<int>(args.a[1]);
  if (tgid <= 0 || tid <= 0) return Errno::kEINVAL;
  if (tgid != ctx.process.pid() || tid != ctx.process.tid()) return Errno::kESRCH;
  return send_to_self(ctx, static_cast<int>(args.a[2]));
}

}  // namespace kernel::syscalls
