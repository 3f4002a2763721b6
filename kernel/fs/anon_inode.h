// The one inode behind every anonymous file (Linux's anon_inodefs): eventfd, timerfd,
// signalfd, epoll and pidfd descriptors all fstat as this.
#pragma once

#include "kernel/abi/linux.h"

namespace kernel::fs {

inline void anon_inode_stat(abi::Stat& out) {
  out = {};
  out.st_dev = 0xe;  // anon_inodefs
  out.st_ino = 1;
  out.st_nlink = 1;
  out.st_mode = 0600;
  out.st_blksize = 4096;
}

}  // namespace kernel::fs
