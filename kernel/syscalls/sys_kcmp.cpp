// kcmp(2) (Linux 6.1's kernel/kcmp.c): whether two threads share a resource — an open file,
// the address space, the fd table, the filesystem context, the signal handlers — answered
// 0 (the same), 1 or 2 (an order that is stable within a run but reveals no address).
#include <sys/random.h>

#include <array>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/process.h"
#include "kernel/proc/remote_access.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

enum KcmpType : int {
  kKcmpFile = 0,
  kKcmpVm,
  kKcmpFiles,
  kKcmpFs,
  kKcmpSighand,
  kKcmpIo,
  kKcmpSysvsem,
  kKcmpEpollTfd,
  kKcmpTypes,
};

// kptr_obfuscate: each kind of object is ordered by its address mixed with a secret of
// its own, drawn once.
u64 obfuscate(const void* p, int type) {
  static const std::array<std::array<u64, 2>, kKcmpTypes> cookies = [] {
    std::array<std::array<u64, 2>, kKcmpTypes> c{};
    if (getrandom(c.data(), sizeof c, 0) != static_cast<ssize_t>(sizeof c)) c = {};
    for (auto& pair : c) pair[1] |= 1;  // an odd multiplier keeps the mapping one to one
    return c;
  }();
  const auto& [xor_cookie, mul_cookie] = cookies[type];
  return (reinterpret_cast<u64>(p) ^ xor_cookie) * mul_cookie;
}

i64 kcmp_ptr(const void* a, const void* b, int type) {
  const u64 t1 = obfuscate(a, type), t2 = obfuscate(b, type);
  return static_cast<i64>(t1 < t2) | (static_cast<i64>(t1 > t2) << 1);
}

}  // namespace

Result<i64> sys_kcmp(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid1 = static_cast<int>(args.a[0]), pid2 = static_cast<int>(args.a[1]);
  const int type = static_cast<int>(args.a[2]);
  Thread* t1 = ctx.kernel.find_thread(pid1);
  Thread* t2 = ctx.kernel.find_thread(pid2);
  if (!t1 || !t2) return Errno::kESRCH;
  Process& p1 = t1->process();
  Process& p2 = t2->process();
  if (!proc::may_access_process(ctx.process, p1, kPtraceModeReadRealcreds) ||
      !proc::may_access_process(ctx.process, p2, kPtraceModeReadRealcreds))
    return Errno::kEPERM;
  switch (type) {
    case kKcmpFile: {
      auto f1 = p1.fds().get(static_cast<int>(args.a[3]));
      auto f2 = p2.fds().get(static_cast<int>(args.a[4]));
      if (!f1.ok() || !f2.ok()) return Errno::kEBADF;
      return kcmp_ptr(f1.value().get(), f2.value().get(), type);
    }
    case kKcmpVm:
      return kcmp_ptr(&p1.address_space(), &p2.address_space(), type);
    case kKcmpFiles:
      return kcmp_ptr(&p1.fds(), &p2.fds(), type);
    case kKcmpFs:
      return kcmp_ptr(&p1.fs(), &p2.fs(), type);
    case kKcmpSighand:
      return kcmp_ptr(&p1.signal_actions(), &p2.signal_actions(), type);
    case kKcmpIo:
    case kKcmpSysvsem:
      // No thread has an I/O context or a SysV semaphore undo list here: both are null,
      // and equal, as for any two Linux tasks that never used them.
      return 0;
    case kKcmpEpollTfd:
      // Asking which file an epoll instance watches is a checkpoint/restore feature;
      // Linux without CONFIG_CHECKPOINT_RESTORE answers EOPNOTSUPP.
      return Errno::kEOPNOTSUPP;
    default:
      return Errno::kEINVAL;
  }
}

}  // namespace kernel::syscalls
