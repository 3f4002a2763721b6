// The --strace line formatter. Every rule copies what strace 6.1 prints by default (-s 32,
// abbreviated structures, symbolic names in strace's own table order), so that an emu trace
// and a host strace of the same program can be diffed line by line.
#include "kernel/syscalls/strace.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <utility>

#include "kernel/abi/errno.h"
#include "kernel/abi/linux.h"
#include "kernel/mm/advice.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/syscalls/strace_text.h"

namespace kernel::syscalls {

namespace {

using namespace strace_text;

constexpr u64 kMaxPathLen = 4095;  // PATH_MAX - 1: paths are not cut at -s
constexpr i64 kMaxErrno = 4095;
constexpr u64 kUnlimited = ~u64{0};

// Syscalls whose flag argument strace decodes with its own table.
constexpr u64 kNrStatx = 332, kNrFaccessat2 = 439;

// Guest bits that linux.h has no name for, as strace names them.
constexpr u64 kOSyncBit = 04000000;      // __O_SYNC: O_SYNC is __O_SYNC|O_DSYNC
constexpr u64 kOTmpfileBit = 020000000;  // __O_TMPFILE: O_TMPFILE is __O_TMPFILE|O_DIRECTORY
constexpr u64 kProtSem = 0x8;
constexpr u32 kMapHugeShift = 26;
constexpr u32 kAtEaccess = 0x200, kAtRecursive = 0x8000;
constexpr u32 kAtStatxForceSync = 0x2000, kAtStatxDontSync = 0x4000;
constexpr u32 kSIsuid = 04000, kSIsgid = 02000, kSIsvtx = 01000;

// Flag and value tables, each in the order strace's xlat lists them: that order decides
// how a combination prints (O_SYNC before O_DSYNC, MAP_FIXED before MAP_ANONYMOUS).
constexpr Name kOpenFlags[] = {
    {abi::kO_CREAT, "O_CREAT"},
    {abi::kO_EXCL, "O_EXCL"},
    {abi::kO_NOCTTY, "O_NOCTTY"},
    {abi::kO_TRUNC, "O_TRUNC"},
    {abi::kO_APPEND, "O_APPEND"},
    {abi::kO_NONBLOCK, "O_NONBLOCK"},
    {kOSyncBit | abi::kO_DSYNC, "O_SYNC"},
    {abi::kO_DSYNC, "O_DSYNC"},
    {kOSyncBit, "__O_SYNC"},
    {abi::kO_DIRECT, "O_DIRECT"},
    {abi::kO_LARGEFILE, "O_LARGEFILE"},
    {abi::kO_NOFOLLOW, "O_NOFOLLOW"},
    {abi::kO_NOATIME, "O_NOATIME"},
    {abi::kO_CLOEXEC, "O_CLOEXEC"},
    {abi::kO_PATH, "O_PATH"},
    {abi::kO_TMPFILE, "O_TMPFILE"},
    {kOTmpfileBit, "__O_TMPFILE"},
    {abi::kO_DIRECTORY, "O_DIRECTORY"},
    {abi::kO_ASYNC, "FASYNC"},
};

constexpr Name kProtFlags[] = {
    {abi::kPROT_READ, "PROT_READ"},           {abi::kPROT_WRITE, "PROT_WRITE"},
    {abi::kPROT_EXEC, "PROT_EXEC"},           {kProtSem, "PROT_SEM"},
    {abi::kPROT_GROWSDOWN, "PROT_GROWSDOWN"}, {abi::kPROT_GROWSUP, "PROT_GROWSUP"},
};

constexpr Name kMapTypes[] = {
    {0, "MAP_FILE"},
    {abi::kMAP_SHARED, "MAP_SHARED"},
    {abi::kMAP_PRIVATE, "MAP_PRIVATE"},
    {abi::kMAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE"},
};

constexpr Name kMapFlags[] = {
    {abi::kMAP_FIXED, "MAP_FIXED"},
    {abi::kMAP_ANONYMOUS, "MAP_ANONYMOUS"},
    {abi::kMAP_32BIT, "MAP_32BIT"},
    {abi::kMAP_NORESERVE, "MAP_NORESERVE"},
    {abi::kMAP_POPULATE, "MAP_POPULATE"},
    {abi::kMAP_NONBLOCK, "MAP_NONBLOCK"},
    {abi::kMAP_GROWSDOWN, "MAP_GROWSDOWN"},
    {abi::kMAP_DENYWRITE, "MAP_DENYWRITE"},
    {abi::kMAP_EXECUTABLE, "MAP_EXECUTABLE"},
    {abi::kMAP_LOCKED, "MAP_LOCKED"},
    {abi::kMAP_STACK, "MAP_STACK"},
    {abi::kMAP_HUGETLB, "MAP_HUGETLB"},
    {abi::kMAP_SYNC, "MAP_SYNC"},
    {abi::kMAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
};

constexpr Name kAtFlags[] = {
    {abi::kAT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
    {abi::kAT_REMOVEDIR, "AT_REMOVEDIR"},
    {abi::kAT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"},
    {abi::kAT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
    {abi::kAT_EMPTY_PATH, "AT_EMPTY_PATH"},
    {kAtRecursive, "AT_RECURSIVE"},
};

constexpr Name kFaccessatFlags[] = {
    {abi::kAT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
    {kAtEaccess, "AT_EACCESS"},
    {abi::kAT_EMPTY_PATH, "AT_EMPTY_PATH"},
};

constexpr Name kStatxSyncTypes[] = {
    {kAtStatxForceSync, "AT_STATX_FORCE_SYNC"},
    {kAtStatxDontSync, "AT_STATX_DONT_SYNC"},
};

constexpr Name kWhence[] = {
    {abi::kSEEK_SET, "SEEK_SET"},
    {abi::kSEEK_CUR, "SEEK_CUR"},
    {abi::kSEEK_END, "SEEK_END"},
    {3, "SEEK_DATA"},
    {4, "SEEK_HOLE"},
};

constexpr Name kClocks[] = {
    {abi::kCLOCK_REALTIME, "CLOCK_REALTIME"},
    {abi::kCLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
    {abi::kCLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
    {abi::kCLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
    {abi::kCLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
    {abi::kCLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
    {abi::kCLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"},
    {abi::kCLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
    {8, "CLOCK_REALTIME_ALARM"},
    {9, "CLOCK_BOOTTIME_ALARM"},
    {10, "CLOCK_SGI_CYCLE"},
    {11, "CLOCK_TAI"},
};

constexpr Name kArchPrctlCodes[] = {
    {abi::kARCH_SET_GS, "ARCH_SET_GS"},
    {abi::kARCH_SET_FS, "ARCH_SET_FS"},
    {abi::kARCH_GET_FS, "ARCH_GET_FS"},
    {abi::kARCH_GET_GS, "ARCH_GET_GS"},
    {abi::kARCH_GET_CPUID, "ARCH_GET_CPUID"},
    {abi::kARCH_SET_CPUID, "ARCH_SET_CPUID"},
    {0x1021, "ARCH_GET_XCOMP_SUPP"},
    {0x1022, "ARCH_GET_XCOMP_PERM"},
    {0x1023, "ARCH_REQ_XCOMP_PERM"},
    {0x1024, "ARCH_GET_XCOMP_GUEST_PERM"},
    {0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"},
    {0x2001, "ARCH_MAP_VDSO_X32"},
    {0x2002, "ARCH_MAP_VDSO_32"},
    {0x2003, "ARCH_MAP_VDSO_64"},
};

constexpr Name kFileTypes[] = {
    {abi::kS_IFREG, "S_IFREG"}, {abi::kS_IFSOCK, "S_IFSOCK"}, {abi::kS_IFIFO, "S_IFIFO"},
    {abi::kS_IFLNK, "S_IFLNK"}, {abi::kS_IFDIR, "S_IFDIR"},   {abi::kS_IFBLK, "S_IFBLK"},
    {abi::kS_IFCHR, "S_IFCHR"},
};

// The kernel-internal "restart" errnos: strace prints these as "= ? NAME (...)".
struct RestartCode {
  int value;
  const char* text;
};
constexpr RestartCode kRestartCodes[] = {
    {512, "ERESTARTSYS (To be restarted if SA_RESTART is set)"},
    {513, "ERESTARTNOINTR (To be restarted)"},
    {514, "ERESTARTNOHAND (To be restarted if no handler)"},
    {516, "ERESTART_RESTARTBLOCK (Interrupted by signal)"},
};

void put_open_flags(std::string& out, u32 flags) {
  static constexpr const char* kAccessModes[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
  out += kAccessModes[flags & abi::kO_ACCMODE];
  append_bits(out, flags & ~abi::kO_ACCMODE, kOpenFlags, true);
}

void put_map_flags(std::string& out, u32 flags) {
  // Bits 26..31 carry log2 of the huge page size, not flags.
  u32 huge_shift = flags >> kMapHugeShift;
  u32 type = flags & abi::kMAP_TYPE;
  put_enum(out, type, kMapTypes, "MAP_???");
  append_bits(out, flags & ~abi::kMAP_TYPE & ((u32{1} << kMapHugeShift) - 1), kMapFlags, true);
  if (huge_shift != 0) append_format(out, "|%u<<MAP_HUGE_SHIFT", huge_shift);
}

void put_at_flags(std::string& out, u64 nr, u32 flags) {
  if (nr == kNrStatx) {
    // statx leads with its sync mode, which has a name even when it is zero.
    u32 sync = flags & abi::kAT_STATX_SYNC_TYPE;
    if (sync == 0) out += "AT_STATX_SYNC_AS_STAT";
    append_bits(out, sync, kStatxSyncTypes, false);
    append_bits(out, flags & ~abi::kAT_STATX_SYNC_TYPE, kAtFlags, true);
    return;
  }
  // faccessat2 reuses 0x200 (AT_REMOVEDIR elsewhere) as AT_EACCESS.
  std::span<const Name> names = nr == kNrFaccessat2 ? std::span<const Name>(kFaccessatFlags)
                                                    : std::span<const Name>(kAtFlags);
  put_flags(out, flags, names, "0", "AT_???");
}

// Octal with a leading zero and at least three digits: 0644, 04755, 000.
void put_mode(std::string& out, u32 mode) {
  append_format(out, "%#03o", mode);
}

void put_stat_mode(std::string& out, u32 mode) {
  u32 type = mode & abi::kS_IFMT;
  const char* type_name = type != 0 ? find_name(type, kFileTypes) : "";
  if (type_name == nullptr) {
    put_mode(out, mode);
    return;
  }
  out += type_name;
  if (type != 0) out += '|';
  if (mode & kSIsuid) out += "S_ISUID|";
  if (mode & kSIsgid) out += "S_ISGID|";
  if (mode & kSIsvtx) out += "S_ISVTX|";
  put_mode(out, mode & 0777);
}

void put_dev(std::string& out, u64 dev) {
  // glibc's major()/minor() split of a 64-bit dev_t.
  u64 major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~u64{0xfff});
  u64 minor = (dev & 0xff) | ((dev >> 12) & ~u64{0xff});
  append_format(out, "makedev(%#" PRIx64 ", %#" PRIx64 ")", major, minor);
}

bool is_error(i64 result) {
  return result < 0 && result >= -kMaxErrno;
}

void put_error(std::string& out, int err) {
  for (const RestartCode& code : kRestartCodes) {
    if (code.value == err) {
      out += "? ";
      out += code.text;
      return;
    }
  }
  const char* name = abi::errno_name(err);
  const char* message = abi::errno_message(err);
  if (name && message) {
    out += "-1 ";
    out += name;
    out += " (";
    out += message;
    out += ')';
    return;
  }
  append_format(out, "-1 ERRNO_%d (Unknown error %d)", err, err);
}

void put_result(std::string& out, Arg kind, i64 result) {
  if (is_error(result)) {
    put_error(out, static_cast<int>(-result));
  } else if (kind == Arg::RetHex) {
    put_hex(out, static_cast<u64>(result));
  } else {
    append_format(out, "%" PRId64, result);
  }
}

enum class IovecContents { Strings, Addresses };

// Whether strace prints an argument of this kind when the call returns (it is filled by the
// call); everything before the first such argument is printed when the call starts.
bool printed_on_exit(Arg kind) {
  return kind == Arg::OutBuf || kind == Arg::OutPath || kind == Arg::OutIovec ||
         kind == Arg::StatBuf || kind == Arg::WaitStatus;
}

// Formats one call in strace's two halves: what strace prints when the call starts (the
// entry: "wait4(101, ") and the rest when it returns ("[{WIFEXITED(s) ...}], 0, NULL) = 101").
// A call that has not returned (exit_group) has no result: buffers it would fill print as
// addresses, and the line ends in "= ?".
class LineFormatter {
 public:
  LineFormatter(const SyscallInfo* info, const SyscallArgs& args, std::optional<i64> result,
                const StraceReader& mem)
      : m_info(info), m_args(args), m_result(result), m_mem(mem) {}

  std::string entry() {
    if (!m_info) {
      put_raw_call();
      return std::move(m_out);
    }
    m_out += m_info->name;
    m_out += '(';
    switch (layout()) {
      case Layout::Clone:
        put_clone_entry(m_out, m_args);
        break;
      case Layout::Clone3:
        put_clone3_entry(m_out, m_args, mem());
        break;
      case Layout::Futex:
        put_futex(m_out, m_args, mem());
        break;
      case Layout::Generic: {
        const int split = exit_split();
        for (int i = 0; i < split; ++i) {
          if (is_hidden_mode(i)) continue;
          if (i > 0) m_out += ", ";
          put_arg(i);
        }
        if (split > 0 && split < arg_count() && !is_hidden_mode(split)) m_out += ", ";
        break;
      }
    }
    return std::move(m_out);
  }

  std::string exit() {
    if (m_info) {
      switch (layout()) {
        case Layout::Clone:
          put_clone_exit(m_out, m_args, mem());
          break;
        case Layout::Clone3:
          put_clone3_exit(m_out, m_args, succeeded(), mem());
          break;
        case Layout::Futex:
          break;
        case Layout::Generic: {
          const int split = exit_split();
          for (int i = split; i < arg_count(); ++i) {
            if (is_hidden_mode(i)) continue;
            if (i > split) m_out += ", ";
            put_arg(i);
          }
          break;
        }
      }
    }
    m_out += ") = ";
    if (!m_result) {
      m_out += '?';
    } else {
      put_result(m_out, m_info ? m_info->ret : Arg::Ret, *m_result);
      put_result_detail();
    }
    return std::move(m_out);
  }

 private:
  enum class Layout : u8 { Generic, Clone, Clone3, Futex };

  Layout layout() const {
    if (m_info->arg_count >= 1 && m_info->args[0] == Arg::CloneFlags) return Layout::Clone;
    if (m_info->arg_count >= 1 && m_info->args[0] == Arg::CloneArgs) return Layout::Clone3;
    if (m_info->arg_count >= 2 && m_info->args[1] == Arg::FutexOp) return Layout::Futex;
    return Layout::Generic;
  }

  int arg_count() const { return std::clamp(m_info->arg_count, 0, kMaxSyscallArgs); }

  int exit_split() const {
    for (int i = 0; i < arg_count(); ++i)
      if (printed_on_exit(m_info->args[i])) return i;
    return arg_count();
  }

  bool succeeded() const { return m_result && !is_error(*m_result); }

  // A syscall without a table entry: its name and every argument it takes, in hex.
  void put_raw_call() {
    if (const char* name = syscall_name(m_args.nr)) {
      m_out += name;
    } else {
      append_format(m_out, "syscall_%#" PRIx64, m_args.nr);
    }
    int count = std::clamp(syscall_arg_count(m_args.nr), 0, kMaxSyscallArgs);
    m_out += '(';
    for (int i = 0; i < count; ++i) {
      if (i > 0) m_out += ", ";
      put_hex(m_out, m_args.a[i]);
    }
  }

  // open and openat pass a mode only with O_CREAT or O_TMPFILE; strace leaves it out otherwise.
  bool is_hidden_mode(int i) const {
    return i < arg_count() && m_info->args[i] == Arg::Mode && i > 0 &&
           m_info->args[i - 1] == Arg::OpenFlags &&
           (m_args.a[i - 1] & (abi::kO_CREAT | kOTmpfileBit)) == 0;
  }

  u64 next_arg(int i) const { return i + 1 < kMaxSyscallArgs ? m_args.a[i + 1] : 0; }

  // What strace adds after the result: poll's ready descriptors, or "(Timeout)".
  void put_result_detail() {
    if (!succeeded() || arg_count() < 2 || m_info->args[0] != Arg::PollFds) return;
    if (*m_result == 0) {
      m_out += " (Timeout)";
      return;
    }
    std::string ready;
    put_poll_revents(ready, m_args.a[0], static_cast<u32>(m_args.a[1]), mem());
    // ppoll: the time left.
    if (m_info->args[2] == Arg::Timespec && m_args.a[2]) {
      ready += ready.empty() ? "left " : ", left ";
      put_timespec(ready, m_args.a[2], mem());
    }
    if (!ready.empty()) m_out += " (" + ready + ")";
  }

  void put_arg(int i) {
    u64 v = m_args.a[i];
    switch (m_info->args[i]) {
      case Arg::Int:
      case Arg::Fd:
        append_format(m_out, "%d", static_cast<i32>(v));
        return;
      case Arg::UInt:
        append_format(m_out, "%" PRIu64, v);
        return;
      case Arg::Offset:
        append_format(m_out, "%" PRId64, static_cast<i64>(v));
        return;
      case Arg::OutPath:
        if (succeeded()) {
          put_path(v);
        } else {
          put_ptr(m_out, v);
        }
        return;
      case Arg::Ptr:
        put_ptr(m_out, v);
        return;
      case Arg::DirFd:
        if (static_cast<i32>(v) == abi::kAT_FDCWD) {
          m_out += "AT_FDCWD";
        } else {
          append_format(m_out, "%d", static_cast<i32>(v));
        }
        return;
      case Arg::Path:
        put_path(v);
        return;
      case Arg::InBuf:
        put_buffer(v, next_arg(i));
        return;
      case Arg::OutBuf:
        if (succeeded()) {
          put_buffer(v, static_cast<u64>(*m_result));
        } else {
          put_ptr(m_out, v);
        }
        return;
      case Arg::Iovec:
        put_iovec(v, next_arg(i), IovecContents::Strings, kUnlimited);
        return;
      case Arg::AddrIovec:
        put_iovec(v, next_arg(i), IovecContents::Addresses, 0);
        return;
      case Arg::OutIovec:
        if (succeeded()) {
          put_iovec(v, next_arg(i), IovecContents::Strings, static_cast<u64>(*m_result));
        } else {
          put_iovec(v, next_arg(i), IovecContents::Addresses, 0);
        }
        return;
      case Arg::OpenFlags:
        put_open_flags(m_out, static_cast<u32>(v));
        return;
      case Arg::Mode:
        put_mode(m_out, static_cast<u16>(v));
        return;
      case Arg::Prot:
        put_flags(m_out, v, kProtFlags, "PROT_NONE", "PROT_???");
        return;
      case Arg::MapFlags:
        put_map_flags(m_out, static_cast<u32>(v));
        return;
      case Arg::Madvise:
        if (const mm::AdviceInfo* advice = mm::find_advice(static_cast<int>(v)))
          m_out += advice->name;
        else
          append_format(m_out, "%#x /* %s */", static_cast<u32>(v), "MADV_???");
        return;
      case Arg::Whence:
        put_enum(m_out, static_cast<u32>(v), kWhence, "SEEK_???");
        return;
      case Arg::Signal:
        put_signal(m_out, static_cast<i32>(v));
        return;
      case Arg::ClockId:
        put_enum(m_out, static_cast<u32>(v), kClocks, "CLOCK_???");
        return;
      case Arg::ArchPrctl:
        put_enum(m_out, static_cast<u32>(v), kArchPrctlCodes, "ARCH_???");
        return;
      case Arg::AtFlags:
        put_at_flags(m_out, m_info->nr, static_cast<u32>(v));
        return;
      case Arg::StatBuf:
        if (succeeded()) {
          put_stat(v);
        } else {
          put_ptr(m_out, v);
        }
        return;
      case Arg::WaitStatus:
        // Nothing is written when no child was reported (WNOHANG) or the call failed.
        if (succeeded() && *m_result != 0 && v != 0) {
          i32 status = 0;
          if (peek(v, &status, sizeof status)) {
            m_out += format_wait_status(status);
            return;
          }
        }
        put_ptr(m_out, v);
        return;
      case Arg::WaitOptions:
        put_wait_options(m_out, static_cast<u32>(v));
        return;
      case Arg::Rusage:
        if (succeeded() && *m_result > 0) {
          put_rusage(m_out, v, mem());
        } else {
          put_ptr(m_out, v);
        }
        return;
      case Arg::PollFds:
        put_pollfds(m_out, v, static_cast<u32>(next_arg(i)), mem());
        return;
      case Arg::Timespec:
        put_timespec(m_out, v, mem());
        return;
      case Arg::SigMask:
        put_sigset(m_out, v, next_arg(i), mem());
        return;
      case Arg::StrArray:
        put_string_array(m_out, v, mem());
        return;
      case Arg::EnvArray:
        put_env_count(m_out, v, mem());
        return;
      case Arg::CloneFlags:
      case Arg::CloneArgs:
      case Arg::FutexOp:
      case Arg::None:
      case Arg::Hex:
      case Arg::Ret:
      case Arg::RetHex:
        put_hex(m_out, v);
        return;
    }
    put_hex(m_out, v);
  }

  Memory mem() const { return {m_mem}; }

  bool peek(u64 addr, void* dst, u64 len) const {
    if (len == 0) return true;
    if (m_mem.peek == nullptr || addr + len < addr) return false;
    return m_mem.peek(m_mem.ctx, addr, dst, len);
  }

  // strace's printstrn: at most -s bytes, "..." when the buffer is longer.
  void put_buffer(u64 addr, u64 len) {
    if (addr == 0) {
      m_out += "NULL";
      return;
    }
    u8 bytes[kMaxStringLen];
    u64 shown = std::min(len, kMaxStringLen);
    if (!peek(addr, bytes, shown)) {
      put_hex(m_out, addr);
      return;
    }
    append_quoted(m_out, bytes, shown, len > shown);
  }

  // strace's printpath: the whole string up to PATH_MAX - 1 bytes. It is read a page at a time
  // so that a path ending just before an unreadable page still prints.
  void put_path(u64 addr) {
    if (addr == 0) {
      m_out += "NULL";
      return;
    }
    std::string path;
    u8 chunk[kPageSize];
    u64 cursor = addr;
    while (path.size() <= kMaxPathLen) {
      u64 len = std::min(kPageSize - (cursor & kPageMask), kMaxPathLen + 1 - path.size());
      if (!peek(cursor, chunk, len)) {
        put_hex(m_out, addr);
        return;
      }
      if (const void* nul = std::memchr(chunk, 0, len)) {
        path.append(reinterpret_cast<const char*>(chunk), static_cast<const u8*>(nul) - chunk);
        append_quoted(m_out, reinterpret_cast<const u8*>(path.data()), path.size(), false);
        return;
      }
      path.append(reinterpret_cast<const char*>(chunk), len);
      cursor += len;
    }
    append_quoted(m_out, reinterpret_cast<const u8*>(path.data()), kMaxPathLen, true);
  }
  // strace's print_array over struct iovec. `data_left` caps the bytes shown across all
  // elements: a readv that returned 6 shows 6 bytes, however large its buffers.
  void put_iovec(u64 addr, u64 count, IovecContents contents, u64 data_left) {
    if (addr == 0) {
      m_out += "NULL";
      return;
    }
    if (count == 0) {
      m_out += "[]";
      return;
    }
    constexpr u64 kSize = sizeof(abi::Iovec);
    if (count > kUnlimited / kSize || addr + count * kSize <= addr) {
      put_hex(m_out, addr);
      return;
    }
    for (u64 i = 0; i < count; ++i) {
      u64 element = addr + i * kSize;
      if (i > 0) m_out += ", ";
      if (i == kMaxArrayLen) {
        m_out += "...";
        break;
      }
      abi::Iovec iov;
      if (!peek(element, &iov, kSize)) {
        if (i == 0) {
          put_hex(m_out, addr);
          return;
        }
        m_out += "... /* ";
        put_hex(m_out, element);
        m_out += " */";
        break;
      }
      if (i == 0) m_out += '[';
      m_out += "{iov_base=";
      if (contents == IovecContents::Strings) {
        u64 len = std::min(iov.len, data_left);
        if (data_left != kUnlimited) data_left -= len;
        put_buffer(iov.base, len);
      } else {
        put_ptr(m_out, iov.base);
      }
      append_format(m_out, ", iov_len=%" PRIu64 "}", iov.len);
    }
    m_out += ']';
  }

  // strace's abbreviated struct stat: the mode, then the device for device files and the size
  // for everything else.
  void put_stat(u64 addr) {
    abi::Stat st;
    if (addr == 0 || !peek(addr, &st, sizeof(st))) {
      put_ptr(m_out, addr);
      return;
    }
    m_out += "{st_mode=";
    put_stat_mode(m_out, st.st_mode);
    u32 type = st.st_mode & abi::kS_IFMT;
    if (type == abi::kS_IFCHR || type == abi::kS_IFBLK) {
      m_out += ", st_rdev=";
      put_dev(m_out, st.st_rdev);
    } else {
      append_format(m_out, ", st_size=%" PRIu64, static_cast<u64>(st.st_size));
    }
    m_out += ", ...}";
  }

  const SyscallInfo* m_info;
  const SyscallArgs& m_args;
  std::optional<i64> m_result;
  const StraceReader& m_mem;
  std::string m_out;
};

}  // namespace

std::string format_entry(const SyscallInfo* info, const SyscallArgs& args,
                         const StraceReader& mem) {
  return LineFormatter(info, args, std::nullopt, mem).entry();
}

std::string format_exit(const SyscallInfo* info, const SyscallArgs& args, std::optional<i64> result,
                        const StraceReader& mem) {
  return LineFormatter(info, args, result, mem).exit();
}

std::string format_syscall(const SyscallInfo* info, const SyscallArgs& args, i64 result,
                           const StraceReader& mem) {
  LineFormatter line(info, args, result, mem);
  std::string out = line.entry();
  out += line.exit();
  return out;
}

std::string format_noreturn(const SyscallInfo* info, const SyscallArgs& args,
                            const StraceReader& mem) {
  LineFormatter line(info, args, std::nullopt, mem);
  std::string out = line.entry();
  out += line.exit();
  return out;
}

}  // namespace kernel::syscalls
