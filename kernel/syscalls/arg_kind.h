// How strace shows each syscall argument (and the return value). The syscall list gives
// every implemented call its argument kinds; the formatter reads guest memory through them.
#pragma once

#include "kernel/base/types.h"

namespace kernel::syscalls {

enum class Arg : u8 {
  None,        // no argument in this slot
  Int,         // signed decimal
  UInt,        // unsigned decimal
  Offset,      // signed 64-bit decimal (file offsets)
  Hex,         // 0x... (0 prints as 0)
  Ptr,         // NULL or 0x...
  Fd,          // decimal; AT_FDCWD only for DirFd
  DirFd,       // AT_FDCWD or decimal
  Path,        // NUL-terminated guest string, printed quoted
  InBuf,       // guest buffer read by the call; its length is the next argument
  OutBuf,      // guest buffer filled by the call; its length is the return value
  OutPath,     // NUL-terminated string written by the call (getcwd), shown after success
  Iovec,       // struct iovec array read by the call; its count is the next argument
  OutIovec,    // struct iovec array filled by the call; its count is the next argument
  AddrIovec,   // struct iovec array of address ranges (process_madvise); count next
  OpenFlags,   // O_RDONLY|O_CLOEXEC
  Mode,        // octal, 0644
  Prot,        // PROT_READ|PROT_WRITE
  MapFlags,    // MAP_PRIVATE|MAP_ANONYMOUS
  Madvise,     // MADV_DONTNEED
  Whence,      // SEEK_SET
  Signal,      // SIGSEGV
  ClockId,     // CLOCK_MONOTONIC
  ArchPrctl,   // ARCH_SET_FS
  AtFlags,     // AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH
  StatBuf,     // struct stat filled by the call
  CloneFlags,  // CLONE_VM|CLONE_FS|...|SIGCHLD
  FutexOp,     // FUTEX_WAIT_PRIVATE
  Ret,         // return value: decimal, or -1 ERRNO (message)
  RetHex,      // return value as an address (mmap, brk)
};

}  // namespace kernel::syscalls
