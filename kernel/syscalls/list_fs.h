// File syscalls: X(number, name, return kind, argument kinds...). Handlers: sys_fs.cpp.
#pragma once

#define EMU_SYSCALLS_FS(X)                               \
  X(0, read, Ret, Fd, OutBuf, UInt)                      \
  X(1, write, Ret, Fd, InBuf, UInt)                      \
  X(2, open, Ret, Path, OpenFlags, Mode)                 \
  X(3, close, Ret, Fd)                                   \
  X(4, stat, Ret, Path, StatBuf)                         \
  X(5, fstat, Ret, Fd, StatBuf)                          \
  X(6, lstat, Ret, Path, StatBuf)                        \
  X(8, lseek, Ret, Fd, Offset, Whence)                   \
  X(16, ioctl, Ret, Fd, Hex, Hex)                        \
  X(17, pread64, Ret, Fd, OutBuf, UInt, Offset)          \
  X(18, pwrite64, Ret, Fd, InBuf, UInt, Offset)          \
  X(19, readv, Ret, Fd, OutIovec, UInt)                  \
  X(20, writev, Ret, Fd, Iovec, UInt)                    \
  X(21, access, Ret, Path, Int)                          \
  X(32, dup, Ret, Fd)                                    \
  X(33, dup2, Ret, Fd, Fd)                               \
  X(72, fcntl, Ret, Fd, Int, Hex)                        \
  X(79, getcwd, Ret, OutPath, UInt)                      \
  X(80, chdir, Ret, Path)                                \
  X(81, fchdir, Ret, Fd)                                 \
  X(89, readlink, Ret, Path, OutBuf, UInt)               \
  X(217, getdents64, Ret, Fd, Ptr, UInt)                 \
  X(257, openat, Ret, DirFd, Path, OpenFlags, Mode)      \
  X(262, newfstatat, Ret, DirFd, Path, StatBuf, AtFlags) \
  X(267, readlinkat, Ret, DirFd, Path, OutBuf, UInt)     \
  X(269, faccessat, Ret, DirFd, Path, Int)               \
  X(292, dup3, Ret, Fd, Fd, OpenFlags)                   \
  X(332, statx, Ret, DirFd, Path, AtFlags, Hex, Ptr)     \
  X(439, faccessat2, Ret, DirFd, Path, Int, AtFlags)     \
  X(22, pipe, Ret, Ptr)                                  \
  X(293, pipe2, Ret, Ptr, OpenFlags)                     \
  X(40, sendfile, Ret, Fd, Fd, Ptr, UInt)
