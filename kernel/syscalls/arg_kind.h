// How strace shows each syscall argument (and the return value). The syscall list gives
// every implemented call its argument kinds; the formatter reads guest memory through them.
#pragma once

#include "kernel/base/types.h"

namespace kernel::syscalls {

enum class Arg : u8 {
  None,         // no argument in this slot
  Int,          // signed decimal
  UInt,         // unsigned decimal
  Offset,       // signed 64-bit decimal (file offsets)
  Hex,          // 0x... (0 prints as 0)
  Ptr,          // NULL or 0x...
  Fd,           // decimal; AT_FDCWD only for DirFd
  DirFd,        // AT_FDCWD or decimal
  Path,         // NUL-terminated guest string, printed quoted
  InBuf,        // guest buffer read by the call; its length is the next argument
  OutBuf,       // guest buffer filled by the call; its length is the return value
  OutPath,      // NUL-terminated string written by the call (getcwd), shown after success
  Iovec,        // struct iovec array read by the call; its count is the next argument
  OutIovec,     // struct iovec array filled by the call; its count is the next argument
  AddrIovec,    // struct iovec array of address ranges (process_madvise); count next
  OpenFlags,    // O_RDONLY|O_CLOEXEC
  Mode,         // octal, 0644
  Prot,         // PROT_READ|PROT_WRITE
  MapFlags,     // MAP_PRIVATE|MAP_ANONYMOUS
  Madvise,      // MADV_DONTNEED
  Whence,       // SEEK_SET
  Signal,       // SIGSEGV
  ClockId,      // CLOCK_MONOTONIC
  ArchPrctl,    // ARCH_SET_FS
  AtFlags,      // AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH
  StatBuf,      // struct stat filled by the call
  CloneFlags,   // clone's flags: the whole call, as strace lays it out (child_stack=...)
  CloneArgs,    // clone3's struct clone_args: {flags=..., exit_signal=..., stack=...}
  FutexOp,      // FUTEX_WAIT_PRIVATE: the arguments after it follow the operation
  WaitStatus,   // int * filled by wait4: [{WIFEXITED(s) && WEXITSTATUS(s) == 3}]
  WaitOptions,  // WNOHANG|__WALL
  Rusage,       // struct rusage filled by the call
  PollFds,      // struct pollfd array read and filled by poll/ppoll; its count is next
  Timespec,     // struct timespec read by the call: {tv_sec=1, tv_nsec=0}
  SigMask,      // sigset_t read by the call; its size is the next argument after one
  StrArray,     // NULL-terminated array of strings (execve's argv)
  EnvArray,     // NULL-terminated array of strings shown as a count (execve's envp)
  Ret,          // return value: decimal, or -1 ERRNO (message)
  RetHex,       // return value as an address (mmap, brk)
};

}  // namespace kernel::syscalls
