// Memory syscalls: X(number, name, return kind, argument kinds...). Handlers: sys_mm.cpp.
#pragma once

#define EMU_SYSCALLS_MM(X)                               \
  X(9, mmap, RetHex, Ptr, UInt, Prot, MapFlags, Fd, Hex) \
  X(10, mprotect, Ret, Ptr, UInt, Prot)                  \
  X(11, munmap, Ret, Ptr, UInt)                          \
  X(12, brk, RetHex, Ptr)                                \
  X(25, mremap, RetHex, Ptr, UInt, UInt, Hex, Ptr)       \
  X(26, msync, Ret, Ptr, UInt, Hex)                      \
  X(27, mincore, Ret, Ptr, UInt, Ptr)                    \
  X(28, madvise, Ret, Ptr, UInt, Madvise)                \
  X(149, mlock, Ret, Ptr, UInt)                          \
  X(150, munlock, Ret, Ptr, UInt)                        \
  X(151, mlockall, Ret, Hex)                             \
  X(152, munlockall, Ret)                                \
  X(237, mbind, Ret, Ptr, UInt, Int, Ptr, UInt, Hex)     \
  X(238, set_mempolicy, Ret, Int, Ptr, UInt)             \
  X(239, get_mempolicy, Ret, Ptr, Ptr, UInt, Ptr, Hex)   \
  X(325, mlock2, Ret, Ptr, UInt, Hex)
