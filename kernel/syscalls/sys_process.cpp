// Process identity, limits, exit and the x86-64 thread-pointer calls.
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/swap.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;
using hal::Reg;

namespace {
mm::AddressSpace& as_of(SyscallContext& ctx) {
  return ctx.process.address_space();
}

}  // namespace

Result<i64> sys_uname(SyscallContext& ctx, const SyscallArgs& args) {
  abi::Utsname u{};
  auto put = [](char* field, const char* text) { std::strncpy(field, text, 64); };
  put(u.sysname, "Linux");
  put(u.nodename, ctx.kernel.tunables().sys.hostname.c_str());
  put(u.release, ctx.kernel.options().release.c_str());
  put(u.version, "#1 SMP PREEMPT_DYNAMIC emu");
  put(u.machine, "x86_64");
  put(u.domainname, ctx.kernel.tunables().sys.domainname.c_str());
  TRY(mm::write_user(as_of(ctx), args.a[0], u));
  return 0;
}

Result<i64> sys_arch_prctl(SyscallContext& ctx, const SyscallArgs& args) {
  const int code = static_cast<int>(args.a[0]);
  const u64 addr = args.a[1];
  switch (code) {
    case abi::kARCH_SET_FS:
    case abi::kARCH_SET_GS:
      if (addr >= mm::kTaskSize) return Errno::kEPERM;
      ctx.cpu.set_reg(code == abi::kARCH_SET_FS ? Reg::FsBase : Reg::GsBase, addr);
      return 0;
    case abi::kARCH_GET_FS:
    case abi::kARCH_GET_GS: {
      const u64 base = ctx.cpu.reg(code == abi::kARCH_GET_FS ? Reg::FsBase : Reg::GsBase);
      TRY(mm::write_user(as_of(ctx), addr, base));
      return 0;
    }
    case abi::kARCH_GET_CPUID:
      return 1;  // CPUID is not faulting
    case abi::kARCH_SET_CPUID:
      return Errno::kENODEV;  // CPUID faulting is not available on this CPU
    default:
      return Errno::kEINVAL;
  }
}

Result<i64> sys_prctl(SyscallContext& ctx, const SyscallArgs& args) {
  constexpr int kPrSetPdeathsig = 1, kPrGetPdeathsig = 2, kPrGetDumpable = 3, kPrSetDumpable = 4,
                kPrSetName = 15, kPrGetName = 16, kPrSetNoNewPrivs = 38, kPrGetNoNewPrivs = 39,
                kPrSetChildSubreaper = 36, kPrGetChildSubreaper = 37, kPrMceKill = 33,
                kPrMceKillGet = 34;
  const int option = static_cast<int>(args.a[0]);
  if (is_capability_prctl(option))
    return capability_prctl(ctx.process.creds(), option, args.a[1], args.a[2], args.a[3],
                            args.a[4]);
  auto& as = as_of(ctx);
  auto& state = ctx.process.prctl_state();
  switch (option) {
    case kPrSetPdeathsig: {
      const int sig = static_cast<int>(args.a[1]);
      if (sig < 0 || sig > abi::kNumSignals) return Errno::kEINVAL;
      state.pdeath_signal = sig;
      return 0;
    }
    case kPrGetPdeathsig:
      TRY(mm::write_user(as, args.a[1], static_cast<i32>(state.pdeath_signal)));
      return 0;
    case kPrGetDumpable:
      return state.dumpable;
    case kPrSetDumpable:
      if (args.a[1] > 1) return Errno::kEINVAL;
      state.dumpable = static_cast<int>(args.a[1]);
      return 0;
    case kPrSetName: {
      char name[16] = {};
      // Linux copies 16 bytes and terminates; a short readable name is enough.
      auto text = mm::copy_string_from_user(as, args.a[1], 4096);
      if (!text.ok() && text.error() != Errno::kENAMETOOLONG) return text.error();
      if (text.ok()) std::strncpy(name, text.value().c_str(), 15);
      ctx.process.comm() = name;
      return 0;
    }
    case kPrGetName: {
      char name[16] = {};
      std::strncpy(name, ctx.process.comm().c_str(), 15);
      TRY(mm::copy_to_user(as, args.a[1], name, sizeof name));
      return 0;
    }
    case kPrSetChildSubreaper:
      // Any nonzero value sets it; Linux checks nothing else.
      state.child_subreaper = args.a[1] != 0;
      return 0;
    case kPrGetChildSubreaper:
      TRY(mm::write_user(as, args.a[1], static_cast<i32>(state.child_subreaper)));
      return 0;
    case kPrSetNoNewPrivs:
      if (args.a[1] != 1 || args.a[2] || args.a[3] || args.a[4]) return Errno::kEINVAL;
      state.no_new_privs = true;
      return 0;
    case kPrGetNoNewPrivs:
      if (args.a[1] || args.a[2] || args.a[3] || args.a[4]) return Errno::kEINVAL;
      return state.no_new_privs ? 1 : 0;
    case kPrMceKill: {
      // Per thread, as Linux's PF_MCE_PROCESS / PF_MCE_EARLY task flags.
      constexpr u64 kClear = 0, kSet = 1, kLate = 0, kEarly = 1, kDefault = 2;
      if (args.a[3] | args.a[4]) return Errno::kEINVAL;
      auto& mce = ctx.thread.mce_kill();
      if (args.a[1] == kClear) {
        if (args.a[2] != 0) return Errno::kEINVAL;
        mce.process = false;
        return 0;
      }
      if (args.a[1] != kSet) return Errno::kEINVAL;
      if (args.a[2] == kEarly)
        mce = {true, true};
      else if (args.a[2] == kLate)
        mce = {true, false};
      else if (args.a[2] == kDefault)
        mce = {false, false};
      else
        return Errno::kEINVAL;
      return 0;
    }
    case kPrMceKillGet: {
      if (args.a[1] | args.a[2] | args.a[3] | args.a[4]) return Errno::kEINVAL;
      const auto& mce = ctx.thread.mce_kill();
      constexpr int kLate = 0, kEarly = 1, kDefault = 2;
      return mce.process ? (mce.early ? kEarly : kLate) : kDefault;
    }
    default:
      return Errno::kEINVAL;
  }
}

Result<i64> sys_rseq(SyscallContext&, const SyscallArgs&) {
  // Restartable sequences need preemption and CPU migration to mean anything; emu reports
  // them unsupported, as a kernel built without CONFIG_RSEQ does, and glibc carries on.
  return Errno::kENOSYS;
}

Result<i64> sys_umask(SyscallContext& ctx, const SyscallArgs& args) {
  const u32 old = ctx.process.umask();
  ctx.process.umask() = static_cast<u32>(args.a[0]) & 0777;
  return old;
}

namespace {

Result<i64> do_prlimit(SyscallContext& ctx, int resource, u64 new_ptr, u64 old_ptr) {
  if (resource < 0 || resource >= Process::kRlimitCount) return Errno::kEINVAL;
  abi::Rlimit& limit = ctx.process.rlimits()[resource];
  abi::Rlimit fresh{};
  if (new_ptr) {
    fresh = TRY(mm::read_user<abi::Rlimit>(as_of(ctx), new_ptr));
    if (fresh.cur > fresh.max) return Errno::kEINVAL;
    if (fresh.max > limit.max && !capable(ctx.process.creds(), cap::kSysResource))
      return Errno::kEPERM;
    constexpr u64 kNrOpen = 1024 * 1024;  // fs.nr_open: no descriptor table grows past it
    if (resource == abi::kRLIMIT_NOFILE && fresh.max > kNrOpen) return Errno::kEPERM;
  }
  if (old_ptr) TRY(mm::write_user(as_of(ctx), old_ptr, limit));
  if (new_ptr) {
    limit = fresh;
    // New descriptors are allocated below the soft limit (EMFILE past it).
    if (resource == abi::kRLIMIT_NOFILE) ctx.process.fds().set_limit(fresh.cur);
  }
  return 0;
}

}  // namespace

Result<i64> sys_prlimit64(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  // The pid is a thread id, as for every sched_* call: any thread of any process.
  if (pid < 0 || (pid != 0 && !ctx.kernel.find_thread(pid))) return Errno::kESRCH;
  return do_prlimit(ctx, static_cast<int>(args.a[1]), args.a[2], args.a[3]);
}

Result<i64> sys_getrlimit(SyscallContext& ctx, const SyscallArgs& args) {
  return do_prlimit(ctx, static_cast<int>(args.a[0]), 0, args.a[1]);
}

Result<i64> sys_setrlimit(SyscallContext& ctx, const SyscallArgs& args) {
  return do_prlimit(ctx, static_cast<int>(args.a[0]), args.a[1], 0);
}

Result<i64> sys_getrusage(SyscallContext& ctx, const SyscallArgs& args) {
  const int who = static_cast<int>(args.a[0]);
  constexpr int kSelf = 0, kChildren = -1, kThread = 1;
  if (who != kSelf && who != kChildren && who != kThread) return Errno::kEINVAL;
  struct GuestRusage {
    abi::Timespec utime_tv, stime_tv;  // struct timeval: two longs, same layout as timespec
    i64 maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv,
        nsignals, nvcsw, nivcsw;
  } ru{};
  static_assert(sizeof(GuestRusage) == 144);
  if (who != kChildren) {
    // CPU time is the emulator's own: the guest's instructions run on its host thread.
    rusage host{};
    getrusage(RUSAGE_SELF, &host);
    ru.utime_tv = {host.ru_utime.tv_sec, host.ru_utime.tv_usec};
    ru.stime_tv = {host.ru_stime.tv_sec, host.ru_stime.tv_usec};
    const auto& counters = ctx.process.address_space().fault_counters();
    ru.minflt = static_cast<i64>(counters.minor);
    ru.majflt = static_cast<i64>(counters.major);
    ru.maxrss = static_cast<i64>(
        (ctx.kernel.frames().total_frames() - ctx.kernel.frames().free_frames()) * 4);
  }
  TRY(mm::write_user(as_of(ctx), args.a[1], ru));
  return 0;
}

Result<i64> sys_sysinfo(SyscallContext& ctx, const SyscallArgs& args) {
  struct GuestSysinfo {
    i64 uptime;
    u64 loads[3];
    u64 totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    u16 procs, pad;
    u32 pad2;
    u64 totalhigh, freehigh;
    u32 mem_unit;
    char reserved[4];
  } info{};
  static_assert(sizeof(GuestSysinfo) == 112);
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  info.uptime = now.tv_sec;
  info.totalram = ctx.kernel.frames().total_frames() * kPageSize;
  info.freeram = ctx.kernel.frames().free_frames() * kPageSize;
  const mm::SwapDevice& swap = ctx.kernel.memory().swap();
  info.totalswap = swap.total_slots() * kPageSize;
  info.freeswap = swap.free_slots() * kPageSize;
  info.procs = 1;
  info.mem_unit = 1;
  TRY(mm::write_user(as_of(ctx), args.a[0], info));
  return 0;
}

Result<i64> sys_sched_getaffinity(SyscallContext& ctx, const SyscallArgs& args) {
  const int pid = static_cast<int>(args.a[0]);
  const u64 len = args.a[1];
  // The machine has one CPU. Linux wants room for its whole cpumask (8 bytes here).
  if (len < sizeof(u64) || (len & (sizeof(u64) - 1))) return Errno::kEINVAL;
  // The pid is a thread id, as for every sched_* call: any thread of any process.
  if (pid < 0 || (pid != 0 && !ctx.kernel.find_thread(pid))) return Errno::kESRCH;
  const u64 mask = 1;
  TRY(mm::write_user(as_of(ctx), args.a[2], mask));
  return static_cast<i64>(sizeof(u64));
}

Result<i64> sys_getrandom(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 buf = args.a[0], flags = args.a[2];
  u64 len = args.a[1];
  if (flags & ~(abi::kGRND_NONBLOCK | abi::kGRND_RANDOM | abi::kGRND_INSECURE))
    return Errno::kEINVAL;
  if ((flags & abi::kGRND_INSECURE) && (flags & abi::kGRND_RANDOM)) return Errno::kEINVAL;
  len = std::min<u64>(len, 0x7fff'ffff);
  u8 chunk[256];
  u64 done = 0;
  while (done < len) {
    const u64 n = std::min<u64>(sizeof(chunk), len - done);
    if (getrandom(chunk, n, 0) != static_cast<ssize_t>(n)) return Errno::kEIO;
    if (auto r = mm::copy_to_user(as_of(ctx), buf + done, chunk, n); !r.ok())
      return done ? Result<i64>(static_cast<i64>(done)) : Result<i64>(r.error());
    done += n;
  }
  return static_cast<i64>(done);
}

}  // namespace kernel::syscalls
