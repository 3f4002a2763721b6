// strace's decoders for the process and thread calls: clone and clone3, futex, wait4's
// status and options, poll's arrays, execve's argv and envp, and the "--- SIG {...} ---" and
// "+++ exited with N +++" lines. Each copies what strace 6.1 prints.
#include <cinttypes>
#include <cstring>
#include <string>

#include "kernel/abi/linux.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/syscalls/strace.h"
#include "kernel/syscalls/strace_text.h"

namespace kernel::syscalls {

namespace strace_text {

namespace {

// clone's flags in strace's table order (value order); CSIGNAL is the exit signal.
constexpr Name kCloneFlags[] = {
    {abi::kCLONE_VM, "CLONE_VM"},
    {abi::kCLONE_FS, "CLONE_FS"},
    {abi::kCLONE_FILES, "CLONE_FILES"},
    {abi::kCLONE_SIGHAND, "CLONE_SIGHAND"},
    {abi::kCLONE_PIDFD, "CLONE_PIDFD"},
    {abi::kCLONE_PTRACE, "CLONE_PTRACE"},
    {abi::kCLONE_VFORK, "CLONE_VFORK"},
    {abi::kCLONE_PARENT, "CLONE_PARENT"},
    {abi::kCLONE_THREAD, "CLONE_THREAD"},
    {abi::kCLONE_NEWNS, "CLONE_NEWNS"},
    {abi::kCLONE_SYSVSEM, "CLONE_SYSVSEM"},
    {abi::kCLONE_SETTLS, "CLONE_SETTLS"},
    {abi::kCLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"},
    {abi::kCLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"},
    {abi::kCLONE_UNTRACED, "CLONE_UNTRACED"},
    {abi::kCLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"},
    {abi::kCLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
    {abi::kCLONE_NEWUTS, "CLONE_NEWUTS"},
    {abi::kCLONE_NEWIPC, "CLONE_NEWIPC"},
    {abi::kCLONE_NEWUSER, "CLONE_NEWUSER"},
    {abi::kCLONE_NEWPID, "CLONE_NEWPID"},
    {abi::kCLONE_NEWNET, "CLONE_NEWNET"},
    {abi::kCLONE_IO, "CLONE_IO"},
    // clone3 only (strace's clone3_flags, after clone_flags).
    {abi::kCLONE_CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND"},
    {abi::kCLONE_INTO_CGROUP, "CLONE_INTO_CGROUP"},
};

constexpr u32 kFutexPrivate = 128, kFutexClockRealtime = 256;
enum FutexCmd : u32 {
  kFutexWait = 0,
  kFutexWake = 1,
  kFutexFd = 2,
  kFutexRequeue = 3,
  kFutexCmpRequeue = 4,
  kFutexWakeOp = 5,
  kFutexLockPi = 6,
  kFutexUnlockPi = 7,
  kFutexTrylockPi = 8,
  kFutexWaitBitset = 9,
  kFutexWakeBitset = 10,
  kFutexWaitRequeuePi = 11,
  kFutexCmpRequeuePi = 12,
  kFutexLockPi2 = 13,
};

// strace's futexops: the commands, their _PRIVATE forms, and the waits with
// FUTEX_CLOCK_REALTIME. Any other combination prints as a number.
constexpr Name kFutexOps[] = {
    {0, "FUTEX_WAIT"},
    {1, "FUTEX_WAKE"},
    {2, "FUTEX_FD"},
    {3, "FUTEX_REQUEUE"},
    {4, "FUTEX_CMP_REQUEUE"},
    {5, "FUTEX_WAKE_OP"},
    {6, "FUTEX_LOCK_PI"},
    {7, "FUTEX_UNLOCK_PI"},
    {8, "FUTEX_TRYLOCK_PI"},
    {9, "FUTEX_WAIT_BITSET"},
    {10, "FUTEX_WAKE_BITSET"},
    {11, "FUTEX_WAIT_REQUEUE_PI"},
    {12, "FUTEX_CMP_REQUEUE_PI"},
    {13, "FUTEX_LOCK_PI2"},
    {0 | kFutexPrivate, "FUTEX_WAIT_PRIVATE"},
    {1 | kFutexPrivate, "FUTEX_WAKE_PRIVATE"},
    {2 | kFutexPrivate, "FUTEX_FD|FUTEX_PRIVATE_FLAG"},
    {3 | kFutexPrivate, "FUTEX_REQUEUE_PRIVATE"},
    {4 | kFutexPrivate, "FUTEX_CMP_REQUEUE_PRIVATE"},
    {5 | kFutexPrivate, "FUTEX_WAKE_OP_PRIVATE"},
    {6 | kFutexPrivate, "FUTEX_LOCK_PI_PRIVATE"},
    {7 | kFutexPrivate, "FUTEX_UNLOCK_PI_PRIVATE"},
    {8 | kFutexPrivate, "FUTEX_TRYLOCK_PI_PRIVATE"},
    {9 | kFutexPrivate, "FUTEX_WAIT_BITSET_PRIVATE"},
    {10 | kFutexPrivate, "FUTEX_WAKE_BITSET_PRIVATE"},
    {11 | kFutexPrivate, "FUTEX_WAIT_REQUEUE_PI_PRIVATE"},
    {12 | kFutexPrivate, "FUTEX_CMP_REQUEUE_PI_PRIVATE"},
    {13 | kFutexPrivate, "FUTEX_LOCK_PI2_PRIVATE"},
    {0 | kFutexClockRealtime, "FUTEX_WAIT|FUTEX_CLOCK_REALTIME"},
    {0 | kFutexPrivate | kFutexClockRealtime, "FUTEX_WAIT_PRIVATE|FUTEX_CLOCK_REALTIME"},
    {9 | kFutexClockRealtime, "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME"},
    {9 | kFutexPrivate | kFutexClockRealtime, "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME"},
    {11 | kFutexClockRealtime, "FUTEX_WAIT_REQUEUE_PI|FUTEX_CLOCK_REALTIME"},
    {11 | kFutexPrivate | kFutexClockRealtime,
     "FUTEX_WAIT_REQUEUE_PI_PRIVATE|FUTEX_CLOCK_REALTIME"},
};

constexpr Name kFutexWakeOps[] = {
    {0, "FUTEX_OP_SET"},  {1, "FUTEX_OP_ADD"}, {2, "FUTEX_OP_OR"},
    {3, "FUTEX_OP_ANDN"}, {4, "FUTEX_OP_XOR"},
};
constexpr Name kFutexWakeCmps[] = {
    {0, "FUTEX_OP_CMP_EQ"}, {1, "FUTEX_OP_CMP_NE"}, {2, "FUTEX_OP_CMP_LT"},
    {3, "FUTEX_OP_CMP_LE"}, {4, "FUTEX_OP_CMP_GT"}, {5, "FUTEX_OP_CMP_GE"},
};

constexpr Name kWaitOptions[] = {
    {static_cast<u32>(abi::kWNOHANG), "WNOHANG"},
    {static_cast<u32>(abi::kWEXITED), "WEXITED"},
    {0x10, "WTRAPPED"},
    {static_cast<u32>(abi::kWSTOPPED), "WSTOPPED"},
    {static_cast<u32>(abi::kWCONTINUED), "WCONTINUED"},
    {static_cast<u32>(abi::kWNOWAIT), "WNOWAIT"},
    {0x80000000u, "__WCLONE"},
    {static_cast<u32>(abi::kWALL), "__WALL"},
    {static_cast<u32>(abi::kWNOTHREAD), "__WNOTHREAD"},
};

constexpr Name kPollFlags[] = {
    {abi::kPOLLIN, "POLLIN"},
    {abi::kPOLLPRI, "POLLPRI"},
    {abi::kPOLLOUT, "POLLOUT"},
    {abi::kPOLLERR, "POLLERR"},
    {abi::kPOLLHUP, "POLLHUP"},
    {abi::kPOLLNVAL, "POLLNVAL"},
    {abi::kPOLLRDNORM, "POLLRDNORM"},
    {abi::kPOLLRDBAND, "POLLRDBAND"},
    {abi::kPOLLWRNORM, "POLLWRNORM"},
    {abi::kPOLLWRBAND, "POLLWRBAND"},
    {0x400, "POLLMSG"},
    {0x1000, "POLLREMOVE"},
    {abi::kPOLLRDHUP, "POLLRDHUP"},
};

// strace's sprintsigmask: the names without "SIG", or "~[...]" for what is missing when more
// than half the signals are in the set.
void put_sigmask(std::string& out, u64 mask) {
  const bool inverted = __builtin_popcountll(mask) > abi::kNumSignals / 2;
  if (inverted) {
    out += '~';
    mask = ~mask;
  }
  out += '[';
  bool first = true;
  for (int sig = 1; sig <= abi::kNumSignals; ++sig) {
    if (!(mask & (u64{1} << (sig - 1)))) continue;
    if (!first) out += ' ';
    first = false;
    std::string name;
    put_signal(name, sig);
    out += name.compare(0, 3, "SIG") == 0 ? name.substr(3) : name;
  }
  out += ']';
}

// printnum_int: "[42]", or the address when it cannot be read.
void put_int_pointee(std::string& out, u64 addr, const Memory& mem) {
  i32 value = 0;
  if (addr == 0 || !mem.read(addr, &value, sizeof value)) {
    put_ptr(out, addr);
    return;
  }
  append_format(out, "[%d]", value);
}

struct CloneArgs {
  u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};
constexpr u64 kCloneArgsMin = sizeof(CloneArgs);  // CLONE_ARGS_SIZE_VER0

// Whether clone3 prints a "=> {...}" part on return: only for what the call writes.
bool clone3_has_exit_part(const CloneArgs& a) {
  return (a.flags & (abi::kCLONE_PIDFD | abi::kCLONE_PARENT_SETTID)) != 0;
}

bool read_clone_args(const SyscallArgs& args, CloneArgs& a, const Memory& mem) {
  return args.a[1] >= kCloneArgsMin && mem.read(args.a[0], &a, sizeof a);
}

// FUTEX_WAKE_OP's encoded operation: FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1.
void put_wake_op(std::string& out, u32 v) {
  constexpr u32 kOpArgShift = 8;
  if ((v >> 28) & kOpArgShift) out += "FUTEX_OP_OPARG_SHIFT<<28|";
  if (const char* name = find_name((v >> 28) & 7, kFutexWakeOps)) {
    out += name;
    out += "<<28";
  } else {
    append_format(out, "%#x<<28 /* FUTEX_OP_??? */", (v >> 28) & 7);
  }
  out += '|';
  put_hex_or_zero(out, (v >> 12) & 0xfff);
  out += "<<12|";
  if (const char* name = find_name((v >> 24) & 0xf, kFutexWakeCmps)) {
    out += name;
    out += "<<24";
  } else {
    append_format(out, "%#x<<24 /* FUTEX_OP_CMP_??? */", (v >> 24) & 0xf);
  }
  out += '|';
  put_hex_or_zero(out, v & 0xfff);
}

struct PollFd {
  i32 fd;
  u16 events;
  u16 revents;
};

// printstr: a NUL-terminated string cut at -s bytes.
void put_string(std::string& out, u64 addr, const Memory& mem) {
  u8 bytes[kMaxStringLen + 1];
  u64 len = 0;
  // Byte by byte up to a page boundary would be slow; strings are short: peek the most that
  // is readable, shrinking at the page end.
  while (len < sizeof bytes) {
    u64 chunk = std::min<u64>(sizeof bytes - len, kPageSize - ((addr + len) & kPageMask));
    if (!mem.read(addr + len, bytes + len, chunk)) {
      if (len == 0) {
        put_hex(out, addr);
        return;
      }
      break;
    }
    if (const void* nul = std::memchr(bytes + len, 0, chunk)) {
      len = static_cast<const u8*>(nul) - bytes;
      append_quoted(out, bytes, len, false);
      return;
    }
    len += chunk;
  }
  append_quoted(out, bytes, std::min<u64>(len, kMaxStringLen), true);
}

}  // namespace

// clone on x86-64: flags, stack, parent_tid, child_tid, tls. The flags print with the exit
// signal or'ed in; the pointers only when a flag uses them, once the call has returned.
void put_clone_entry(std::string& out, const SyscallArgs& args) {
  const u64 flags = args.a[0] & ~abi::kCSIGNAL;
  const int sig = static_cast<int>(args.a[0] & abi::kCSIGNAL);
  out += "child_stack=";
  put_ptr(out, args.a[1]);
  out += ", flags=";
  if (flags) {
    put_flags(out, flags, kCloneFlags, "0", "CLONE_???");
    if (sig) {
      out += '|';
      put_signal(out, sig);
    }
  } else {
    put_signal(out, sig);
  }
}

void put_clone_exit(std::string& out, const SyscallArgs& args, const Memory& mem) {
  const u64 flags = args.a[0];
  if (flags & (abi::kCLONE_PARENT_SETTID | abi::kCLONE_PIDFD)) {
    out += ", parent_tid=";
    put_int_pointee(out, args.a[2], mem);
  }
  if (flags & abi::kCLONE_SETTLS) {
    out += ", tls=";
    put_ptr(out, args.a[4]);
  }
  if (flags & (abi::kCLONE_CHILD_SETTID | abi::kCLONE_CHILD_CLEARTID)) {
    out += ", child_tidptr=";
    put_ptr(out, args.a[3]);
  }
}

void put_clone3_entry(std::string& out, const SyscallArgs& args, const Memory& mem) {
  CloneArgs a{};
  if (!read_clone_args(args, a, mem)) {
    put_ptr(out, args.a[0]);
    append_format(out, ", %" PRIu64, args.a[1]);
    return;
  }
  out += "{flags=";
  put_flags(out, a.flags, kCloneFlags, "0", "CLONE_???");
  if (a.flags & abi::kCLONE_PIDFD) {
    out += ", pidfd=";
    put_ptr(out, a.pidfd);
  }
  if (a.flags & (abi::kCLONE_CHILD_SETTID | abi::kCLONE_CHILD_CLEARTID)) {
    out += ", child_tid=";
    put_ptr(out, a.child_tid);
  }
  if (a.flags & abi::kCLONE_PARENT_SETTID) {
    out += ", parent_tid=";
    put_ptr(out, a.parent_tid);
  }
  out += ", exit_signal=";
  if (a.exit_signal < 0x7fffffff)
    put_signal(out, static_cast<int>(a.exit_signal));
  else
    append_format(out, "%" PRIu64, a.exit_signal);
  out += ", stack=";
  put_ptr(out, a.stack);
  out += ", stack_size=";
  put_hex_or_zero(out, a.stack_size);
  if (a.flags & abi::kCLONE_SETTLS) {
    out += ", tls=";
    put_ptr(out, a.tls);
  }
  out += '}';
  if (!clone3_has_exit_part(a)) append_format(out, ", %" PRIu64, args.a[1]);
}

void put_clone3_exit(std::string& out, const SyscallArgs& args, bool succeeded, const Memory& mem) {
  CloneArgs a{};
  if (!read_clone_args(args, a, mem) || !clone3_has_exit_part(a)) return;
  if (succeeded) {
    out += " => {";
    if (a.flags & abi::kCLONE_PIDFD) {
      out += "pidfd=";
      put_int_pointee(out, a.pidfd, mem);
    }
    if (a.flags & abi::kCLONE_PARENT_SETTID) {
      if (a.flags & abi::kCLONE_PIDFD) out += ", ";
      out += "parent_tid=";
      put_int_pointee(out, a.parent_tid, mem);
    }
    out += '}';
  }
  append_format(out, ", %" PRIu64, args.a[1]);
}

// futex(uaddr, op, ...): what follows the operation depends on it, as in strace's futex.c.
void put_futex(std::string& out, const SyscallArgs& args, const Memory& mem) {
  const u32 op = static_cast<u32>(args.a[1]);
  const u32 val = static_cast<u32>(args.a[2]);
  const u64 timeout = args.a[3];
  const u32 val2 = static_cast<u32>(args.a[3]);
  const u64 uaddr2 = args.a[4];
  const u32 val3 = static_cast<u32>(args.a[5]);
  put_ptr(out, args.a[0]);
  out += ", ";
  put_enum(out, op, kFutexOps, "FUTEX_???");
  auto put_u = [&out](u32 v) { append_format(out, ", %u", v); };
  auto put_timeout = [&out, &mem, timeout] {
    out += ", ";
    put_timespec(out, timeout, mem);
  };
  auto put_addr2 = [&out, uaddr2] {
    out += ", ";
    put_ptr(out, uaddr2);
  };
  auto put_bitset = [&out, val3] {
    out += ", ";
    if (val3 == 0xffffffffu)
      out += "FUTEX_BITSET_MATCH_ANY";
    else
      put_hex_or_zero(out, val3);
  };
  switch (op & 127) {
    case kFutexWait:
      put_u(val);
      put_timeout();
      break;
    case kFutexLockPi:
    case kFutexLockPi2:
      put_timeout();
      break;
    case kFutexWaitBitset:
      put_u(val);
      put_timeout();
      put_bitset();
      break;
    case kFutexWakeBitset:
      put_u(val);
      put_bitset();
      break;
    case kFutexRequeue:
      put_u(val);
      put_u(val2);
      put_addr2();
      break;
    case kFutexCmpRequeue:
    case kFutexCmpRequeuePi:
      put_u(val);
      put_u(val2);
      put_addr2();
      put_u(val3);
      break;
    case kFutexWakeOp:
      put_u(val);
      put_u(val2);
      put_addr2();
      out += ", ";
      put_wake_op(out, val3);
      break;
    case kFutexWaitRequeuePi:
      put_u(val);
      put_timeout();
      put_addr2();
      break;
    case kFutexFd:
    case kFutexWake:
      put_u(val);
      break;
    case kFutexUnlockPi:
    case kFutexTrylockPi:
      break;
    default:
      put_u(val);
      out += ", ";
      put_ptr(out, timeout);
      put_addr2();
      out += ", ";
      put_hex_or_zero(out, val3);
      break;
  }
}

// print_timespec: {tv_sec=1, tv_nsec=500}, NULL, or the address when unreadable.
void put_timespec(std::string& out, u64 addr, const Memory& mem) {
  abi::Timespec ts{};
  if (addr == 0 || !mem.read(addr, &ts, sizeof ts)) {
    put_ptr(out, addr);
    return;
  }
  append_format(out, "{tv_sec=%" PRId64 ", tv_nsec=%" PRId64 "}", ts.tv_sec, ts.tv_nsec);
}

// printrusage, abbreviated: the two times, then "...".
void put_rusage(std::string& out, u64 addr, const Memory& mem) {
  struct {
    i64 utime_sec, utime_usec, stime_sec, stime_usec;
  } times{};
  if (addr == 0 || !mem.read(addr, &times, sizeof times)) {
    put_ptr(out, addr);
    return;
  }
  append_format(out, "{ru_utime={tv_sec=%" PRId64 ", tv_usec=%" PRId64 "}, ", times.utime_sec,
                times.utime_usec);
  append_format(out, "ru_stime={tv_sec=%" PRId64 ", tv_usec=%" PRId64 "}, ...}", times.stime_sec,
                times.stime_usec);
}

// print_sigset_addr_len: a sigset of the size the call passes (8 on x86-64).
void put_sigset(std::string& out, u64 addr, u64 size, const Memory& mem) {
  u64 mask = 0;
  if (addr == 0 || size != sizeof mask || !mem.read(addr, &mask, sizeof mask)) {
    put_ptr(out, addr);
    return;
  }
  put_sigmask(out, mask);
}

// print_array of struct pollfd, as the call was given it.
void put_pollfds(std::string& out, u64 addr, u32 count, const Memory& mem) {
  if (addr == 0) {
    out += "NULL";
    return;
  }
  if (count == 0) {
    out += "[]";
    return;
  }
  for (u32 i = 0; i < count; ++i) {
    const u64 element = addr + u64{i} * sizeof(PollFd);
    if (i > 0) out += ", ";
    if (i == kMaxArrayLen) {
      out += "...";
      break;
    }
    PollFd pfd{};
    if (!mem.read(element, &pfd, sizeof pfd)) {
      if (i == 0) {
        put_hex(out, addr);
        return;
      }
      out += "... /* ";
      put_hex(out, element);
      out += " */";
      break;
    }
    if (i == 0) out += '[';
    append_format(out, "{fd=%d", pfd.fd);
    if (pfd.fd >= 0) {
      out += ", events=";
      put_flags(out, pfd.events, kPollFlags, "0", "POLL???");
    }
    out += '}';
  }
  out += ']';
}

// decode_poll_exiting: the descriptors with events, "[{fd=3, revents=POLLIN}]".
void put_poll_revents(std::string& out, u64 addr, u32 count, const Memory& mem) {
  if (addr == 0 || count == 0) return;
  u32 printed = 0;
  for (u32 i = 0; i < count; ++i) {
    const u64 element = addr + u64{i} * sizeof(PollFd);
    PollFd pfd{};
    if (!mem.read(element, &pfd, sizeof pfd)) {
      out += out.empty() ? "[" : ", ";
      put_hex(out, element);
      break;
    }
    if (pfd.revents == 0) continue;
    out += out.empty() ? "[" : ", ";
    if (printed == kMaxArrayLen) {
      out += "...";
      break;
    }
    append_format(out, "{fd=%d, revents=", pfd.fd);
    append_bits(out, pfd.revents, kPollFlags, false);
    out += '}';
    ++printed;
  }
  if (!out.empty()) out += ']';
}

// printargv: ["x", "a"], each string cut at -s, at most 32 of them.
void put_string_array(std::string& out, u64 addr, const Memory& mem) {
  if (addr == 0) {
    out += "NULL";
    return;
  }
  for (u64 n = 0;; ++n) {
    const u64 slot = addr + n * 8;
    u64 word = 0;
    if (slot < addr || !mem.read(slot, &word, sizeof word)) {
      if (n == 0) {
        put_hex(out, addr);
        return;
      }
      out += ", ... /* ";
      put_hex(out, slot);
      out += " */";
      break;
    }
    if (n == 0) out += '[';
    if (word == 0) break;
    if (n != 0) out += ", ";
    if (n == kMaxArrayLen) {
      out += "...";
      break;
    }
    put_string(out, word, mem);
  }
  out += ']';
}

// printargc: the address, then how many strings it holds, as a comment.
void put_env_count(std::string& out, u64 addr, const Memory& mem) {
  put_ptr(out, addr);
  if (addr == 0) return;
  u64 n = 0;
  u64 prev = 0;
  bool unterminated = false;
  for (u64 slot = addr; slot > prev; prev = slot, slot += 8, ++n) {
    u64 word = 0;
    if (!mem.read(slot, &word, sizeof word)) {
      if (n == 0) return;
      unterminated = true;
      break;
    }
    if (word == 0) break;
    if (n > 4096) {
      unterminated = true;
      break;
    }
  }
  append_format(out, " /* %" PRIu64 " var%s%s */", n, n == 1 ? "" : "s",
                unterminated ? ", unterminated" : "");
}

void put_wait_options(std::string& out, u32 options) {
  put_flags(out, options, kWaitOptions, "0", "W???");
}

}  // namespace strace_text

using namespace strace_text;

std::string format_wait_status(int status) {
  std::string out;
  const int low = status & 0x7f;
  if ((status & 0xff) == 0x7f) {  // WIFSTOPPED
    const int sig = (status >> 8) & 0xff;
    out += "[{WIFSTOPPED(s) && WSTOPSIG(s) == ";
    put_signal(out, sig & 0x7f);
    if (sig & 0x80) out += " | 0x80";
    out += '}';
    status &= ~((sig << 8) | 0x7f);
  } else if (low != 0 && low != 0x7f) {  // WIFSIGNALED
    out += "[{WIFSIGNALED(s) && WTERMSIG(s) == ";
    put_signal(out, low);
    if (status & 0x80) out += " && WCOREDUMP(s)";
    out += '}';
    status &= ~(low | 0x80);
  } else if (low == 0) {  // WIFEXITED
    append_format(out, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}", (status >> 8) & 0xff);
    status &= ~0xff00;
  } else {
    append_format(out, "[%#x]", static_cast<u32>(status));
    return out;
  }
  if (status) {
    const u32 event = static_cast<u32>(status) >> 16;
    if (event) {
      append_format(out, " | %#x << 16", event);
      status &= 0xffff;
    }
    if (status) append_format(out, " | %#x", static_cast<u32>(status));
  }
  out += ']';
  return out;
}

std::string format_clone_flags(u64 flags) {
  std::string out;
  const u64 named = flags & ~abi::kCSIGNAL;
  const int sig = static_cast<int>(flags & abi::kCSIGNAL);
  if (named) {
    put_flags(out, named, kCloneFlags, "0", "CLONE_???");
    if (sig) out += '|';
  }
  if (sig || !named) put_signal(out, sig);
  return out;
}

std::string format_signal_name(int sig) {
  std::string out;
  put_signal(out, sig);
  return out;
}

std::string format_siginfo_line(const abi::Siginfo& info) {
  const std::string sig = format_signal_name(info.si_signo);
  std::string line = "--- " + sig + " {si_signo=" + sig + ", si_code=";
  const int code = info.si_code;
  const char* code_name = abi::si_code_name(info.si_signo, code);
  if (code_name)
    line += code_name;
  else
    append_format(line, "%d", code);
  const bool fault = code > 0 && code < abi::kSI_KERNEL &&
                     (info.si_signo == abi::kSIGSEGV || info.si_signo == abi::kSIGBUS ||
                      info.si_signo == abi::kSIGILL || info.si_signo == abi::kSIGFPE ||
                      info.si_signo == abi::kSIGTRAP);
  if (fault || code == abi::kSI_KERNEL) {
    line += ", si_addr=";
    put_ptr(line, info.fields.fault.addr);
  } else if (info.si_signo == abi::kSIGCHLD && code > 0) {
    const auto& c = info.fields.child;
    append_format(line, ", si_pid=%d, si_uid=%u, si_status=", c.pid, c.uid);
    if (code == abi::kCLD_EXITED)
      append_format(line, "%d", c.status);
    else
      put_signal(line, c.status);
    append_format(line, ", si_utime=%" PRId64 ", si_stime=%" PRId64, c.utime, c.stime);
  } else if (code == abi::kSI_TIMER) {
    append_format(line, ", si_timerid=%d, si_overrun=%u", info.fields.rt.pid_or_tid,
                  info.fields.rt.uid_or_overrun);
  } else {
    append_format(line, ", si_pid=%d, si_uid=%u", info.fields.kill.pid, info.fields.kill.uid);
  }
  if (code == abi::kSI_TIMER || code == abi::kSI_QUEUE)
    append_format(line, ", si_value={int=%d, ptr=%#llx}", static_cast<int>(info.fields.rt.value),
                  static_cast<unsigned long long>(info.fields.rt.value));
  line += "} ---";
  return line;
}

std::string format_exit_line(int wait_status) {
  const int sig = wait_status & 0x7f;
  std::string out;
  if (sig == 0) {
    append_format(out, "+++ exited with %d +++", (wait_status >> 8) & 0xff);
    return out;
  }
  out = "+++ killed by ";
  put_signal(out, sig);
  if (wait_status & 0x80) out += " (core dumped)";
  out += " +++";
  return out;
}

}  // namespace kernel::syscalls
