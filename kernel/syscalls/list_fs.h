// File syscalls: X(number, name, return kind, argument kinds...). Handlers: sys_fs.cpp,
// sys_fs_change.cpp (the calls that change files and names), sys_pipe.cpp.
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
  X(40, sendfile, Ret, Fd, Fd, Ptr, UInt)                \
  X(74, fsync, Ret, Fd)                                  \
  X(75, fdatasync, Ret, Fd)                              \
  X(76, truncate, Ret, Path, Offset)                     \
  X(77, ftruncate, Ret, Fd, Offset)                      \
  X(82, rename, Ret, Path, Path)                         \
  X(83, mkdir, Ret, Path, Mode)                          \
  X(84, rmdir, Ret, Path)                                \
  X(86, link, Ret, Path, Path)                           \
  X(87, unlink, Ret, Path)                               \
  X(88, symlink, Ret, Path, Path)                        \
  X(90, chmod, Ret, Path, Mode)                          \
  X(91, fchmod, Ret, Fd, Mode)                           \
  X(92, chown, Ret, Path, Int, Int)                      \
  X(93, fchown, Ret, Fd, Int, Int)                       \
  X(94, lchown, Ret, Path, Int, Int)                     \
  X(133, mknod, Ret, Path, Mode, Hex)                    \
  X(137, statfs, Ret, Path, Ptr)                         \
  X(138, fstatfs, Ret, Fd, Ptr)                          \
  X(162, sync, Ret)                                      \
  X(235, utimes, Ret, Path, Ptr)                         \
  X(258, mkdirat, Ret, DirFd, Path, Mode)                \
  X(259, mknodat, Ret, DirFd, Path, Mode, Hex)           \
  X(260, fchownat, Ret, DirFd, Path, Int, Int, AtFlags)  \
  X(261, futimesat, Ret, DirFd, Path, Ptr)               \
  X(263, unlinkat, Ret, DirFd, Path, AtFlags)            \
  X(264, renameat, Ret, DirFd, Path, DirFd, Path)        \
  X(265, linkat, Ret, DirFd, Path, DirFd, Path, AtFlags) \
  X(266, symlinkat, Ret, Path, DirFd, Path)              \
  X(268, fchmodat, Ret, DirFd, Path, Mode)               \
  X(280, utimensat, Ret, DirFd, Path, Ptr, AtFlags)      \
  X(285, fallocate, Ret, Fd, Int, Offset, Offset)        \
  X(306, syncfs, Ret, Fd)                                \
  X(316, renameat2, Ret, DirFd, Path, DirFd, Path, Hex)  \
  X(319, memfd_create, Ret, Path, Hex)
