// futex(2) as Linux 6.1's kernel/futex/ answers it: wait and wake (with bitsets), requeue,
// wake-op, private and shared keys, relative and absolute timeouts. PI futexes are not
// offered (ENOSYS), as on a kernel without CONFIG_FUTEX_PI.
#include <time.h>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr int kFutexWait = 0, kFutexWake = 1, kFutexFd = 2, kFutexRequeue = 3, kFutexCmpRequeue = 4,
              kFutexWakeOp = 5, kFutexLockPi = 6, kFutexUnlockPi = 7, kFutexTrylockPi = 8,
              kFutexWaitBitset = 9, kFutexWakeBitset = 10, kFutexWaitRequeuePi = 11,
              kFutexCmpRequeuePi = 12, kFutexLockPi2 = 13;
constexpr int kFutexPrivateFlag = 128, kFutexClockRealtime = 256;
constexpr u32 kBitsetMatchAny = 0xffffffff;

u64 realtime_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<u64>(now.tv_sec) * 1'000'000'000 + static_cast<u64>(now.tv_nsec);
}

// The deadline on CLOCK_MONOTONIC for a futex timeout: relative for FUTEX_WAIT, absolute
// (on the chosen clock) for the others. 0: none.
Result<u64> deadline_of(SyscallContext& ctx, u64 uaddr_timeout, int cmd, bool realtime) {
  if (!uaddr_timeout) return u64{0};
  const auto ts = TRY(mm::read_user<abi::Timespec>(ctx.process.address_space(), uaddr_timeout));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return Errno::kEINVAL;
  const u64 ns = static_cast<u64>(ts.tv_sec) * 1'000'000'000 + static_cast<u64>(ts.tv_nsec);
  const u64 now = Kernel::monotonic_ns();
  if (cmd == kFutexWait) return now + ns ? now + ns : 1;
  if (realtime) {
    const u64 real = realtime_ns();
    return ns <= real ? 1 : now + (ns - real);
  }
  return ns ? ns : 1;
}

Result<u32> read_word(SyscallContext& ctx, u64 uaddr) {
  return mm::read_user<u32>(ctx.process.address_space(), uaddr);
}

Result<i64> futex_wait(SyscallContext& ctx, u64 uaddr, bool is_private, u32 val, u64 timeout,
                       int cmd, bool realtime, u32 bitset) {
  if (!bitset) return Errno::kEINVAL;
  auto& as = ctx.process.address_space();
  FutexTable& table = ctx.kernel.futexes();
  BlockedCall& call = ctx.thread.call();
  u64 deadline = 0;
  if (ctx.resuming()) {
    const FutexKey key = TRY(FutexTable::key(as, uaddr, is_private));
    if (call.futex_woken) {
      call.futex_woken = false;
      return 0;
    }
    table.trim(key);
    if (ctx.wake_reason() == WakeReason::Timeout) return Errno::kETIMEDOUT;
    if (ctx.wake_reason() == WakeReason::Signal) return abi::kERESTARTSYS;
    deadline = call.deadline_ns;  // a spurious wake: look at the word again
  } else {
    deadline = TRY(deadline_of(ctx, timeout, cmd, realtime));
  }
  const FutexKey key = TRY(FutexTable::key(as, uaddr, is_private));
  const u32 now = TRY(read_word(ctx, uaddr));
  if (now != val) return Errno::kEAGAIN;
  if (deadline && deadline <= Kernel::monotonic_ns()) return Errno::kETIMEDOUT;
  call.futex_bitset = bitset;
  call.futex_woken = false;
  return ctx.block({&table.queue(key)}, deadline, abi::kERESTARTSYS);
}

// FUTEX_WAKE_OP's operation on the word at uaddr2; returns the old value.
Result<u32> wake_op_update(SyscallContext& ctx, u64 uaddr2, u32 encoded) {
  const u32 op = (encoded >> 28) & 0xf;
  const u32 cmp_unused = (encoded >> 24) & 0xf;
  (void)cmp_unused;
  i32 oparg = static_cast<i32>(encoded << 8) >> 20;
  if (op & 8) {  // FUTEX_OP_OPARG_SHIFT
    if (oparg < 0 || oparg > 31) oparg &= 31;
    oparg = static_cast<i32>(1u << oparg);
  }
  auto& as = ctx.process.address_space();
  const u32 old = TRY(mm::read_user<u32>(as, uaddr2));
  u32 value;
  switch (op & 7) {
    case 0:
      value = static_cast<u32>(oparg);
      break;  // SET
    case 1:
      value = old + static_cast<u32>(oparg);
      break;  // ADD
    case 2:
      value = old | static_cast<u32>(oparg);
      break;  // OR
    case 3:
      value = old & ~static_cast<u32>(oparg);
      break;  // ANDN
    case 4:
      value = old ^ static_cast<u32>(oparg);
      break;  // XOR
    default:
      return Errno::kENOSYS;
  }
  TRY(mm::write_user(as, uaddr2, value));
  return old;
}

Result<bool> wake_op_compare(u32 encoded, u32 old) {
  const u32 cmp = (encoded >> 24) & 0xf;
  const i32 cmparg = static_cast<i32>(encoded << 20) >> 20;
  const i32 o = static_cast<i32>(old);
  switch (cmp) {
    case 0:
      return o == cmparg;
    case 1:
      return o != cmparg;
    case 2:
      return o < cmparg;
    case 3:
      return o <= cmparg;
    case 4:
      return o > cmparg;
    case 5:
      return o >= cmparg;
    default:
      return Errno::kENOSYS;
  }
}

}  // namespace

Result<i64> sys_futex(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 uaddr = args.a[0];
  const int op = static_cast<int>(args.a[1]);
  const u32 val = static_cast<u32>(args.a[2]);
  const u64 timeout = args.a[3];
  const u64 uaddr2 = args.a[4];
  const u32 val3 = static_cast<u32>(args.a[5]);
  const int cmd = op & ~(kFutexPrivateFlag | kFutexClockRealtime);
  const bool is_private = op & kFutexPrivateFlag;
  const bool realtime = op & kFutexClockRealtime;
  if (realtime && cmd != kFutexWaitBitset && cmd != kFutexWaitRequeuePi && cmd != kFutexLockPi2)
    return Errno::kENOSYS;
  auto& as = ctx.process.address_space();
  FutexTable& table = ctx.kernel.futexes();
  // futex_wake wakes one waiter even when asked for none, as 6.1 does.
  auto wake_count = [](u32 n) { return static_cast<int>(n) <= 0 ? 1 : static_cast<int>(n); };
  switch (cmd) {
    case kFutexWait:
      return futex_wait(ctx, uaddr, is_private, val, timeout, cmd, realtime, kBitsetMatchAny);
    case kFutexWaitBitset:
      return futex_wait(ctx, uaddr, is_private, val, timeout, cmd, realtime, val3);
    case kFutexWake:
    case kFutexWakeBitset: {
      const u32 bitset = cmd == kFutexWake ? kBitsetMatchAny : val3;
      if (!bitset) return Errno::kEINVAL;
      const FutexKey key = TRY(FutexTable::key(as, uaddr, is_private));
      return table.wake(key, wake_count(val), bitset);
    }
    case kFutexRequeue:
    case kFutexCmpRequeue: {
      const int nr_wake = static_cast<int>(val);
      const int nr_requeue = static_cast<int>(timeout);
      if (nr_wake < 0 || nr_requeue < 0) return Errno::kEINVAL;
      const FutexKey from = TRY(FutexTable::key(as, uaddr, is_private));
      const FutexKey to = TRY(FutexTable::key(as, uaddr2, is_private));
      if (cmd == kFutexCmpRequeue) {
        const u32 now = TRY(read_word(ctx, uaddr));
        if (now != val3) return Errno::kEAGAIN;
      }
      const int woken = nr_wake ? table.wake(from, nr_wake, kBitsetMatchAny) : 0;
      const int moved = table.requeue(from, to, nr_requeue);
      return woken + moved;
    }
    case kFutexWakeOp: {
      const FutexKey key1 = TRY(FutexTable::key(as, uaddr, is_private));
      const FutexKey key2 = TRY(FutexTable::key(as, uaddr2, is_private));
      const u32 old = TRY(wake_op_update(ctx, uaddr2, val3));
      // An unknown comparison fails the call after the update, before anyone wakes.
      const bool wake_second = TRY(wake_op_compare(val3, old));
      int woken = table.wake(key1, wake_count(val), kBitsetMatchAny);
      if (wake_second)
        woken += table.wake(key2, wake_count(static_cast<u32>(timeout)), kBitsetMatchAny);
      return woken;
    }
    case kFutexFd:
    case kFutexLockPi:
    case kFutexUnlockPi:
    case kFutexTrylockPi:
    case kFutexWaitRequeuePi:
    case kFutexCmpRequeuePi:
    case kFutexLockPi2:
      return Errno::kENOSYS;
    default:
      return Errno::kENOSYS;
  }
}

}  // namespace kernel::syscalls
