// An open file description, as the kernel's syscalls and the fault path see it.
// Each kind of file overrides what it supports; the defaults give Linux's errno for
// an operation the kind does not support.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/base/result.h"

namespace kernel {
class WaitQueue;
}

namespace kernel::mm {
class MemoryManager;
class MemoryObject;
}  // namespace kernel::mm

namespace kernel::fs {

class Inode;

class File {
 public:
  virtual ~File() = default;

  virtual Result<u64> read(std::span<u8> buf) {
    (void)buf;
    return abi::Errno::kEINVAL;
  }
  virtual Result<u64> write(std::span<const u8> buf) {
    (void)buf;
    return abi::Errno::kEBADF;
  }
  virtual Result<u64> pread(std::span<u8> buf, u64 offset) {
    (void)buf, (void)offset;
    return abi::Errno::kESPIPE;
  }
  virtual Result<u64> pwrite(std::span<const u8> buf, u64 offset) {
    (void)buf, (void)offset;
    return abi::Errno::kESPIPE;
  }
  virtual Result<u64> seek(i64 offset, int whence) {
    (void)offset, (void)whence;
    return abi::Errno::kESPIPE;
  }
  virtual Result<void> stat(abi::Stat& out) = 0;
  // Fills buf with struct linux_dirent64 records; 0 at the end of the directory.
  virtual Result<u64> getdents64(std::span<u8> buf) {
    (void)buf;
    return abi::Errno::kENOTDIR;
  }
  // poll(): the events ready now (POLLIN, POLLOUT, POLLHUP ...). A regular file is always
  // ready.
  virtual u32 poll_ready() {
    return abi::kPOLLIN | abi::kPOLLOUT | abi::kPOLLRDNORM | abi::kPOLLWRNORM;
  }
  // The queue woken whenever poll_ready() may have changed; null when it never changes.
  // A read or write that would wait gives EAGAIN under O_NONBLOCK, else abi::kEWAIT: the
  // syscall then waits on this queue and tries again.
  virtual WaitQueue* poll_queue() { return nullptr; }
  // Every queue a poller must wait on to hear of a change: poll_queue(), or for an epoll
  // the queues of what it watches. Appends to `out`.
  virtual void poll_queues(std::vector<WaitQueue*>& out) {
    if (WaitQueue* q = poll_queue()) out.push_back(q);
  }
  // Whether poll means anything for this file (Linux's file_can_poll): epoll refuses
  // files that cannot (regular files, directories) with EPERM.
  virtual bool pollable() { return poll_queue() != nullptr; }
  // When poll_ready() changes by itself with time (a timerfd's expiry): the CLOCK_MONOTONIC
  // time a poller must wake at to look again; 0: never.
  virtual u64 poll_deadline_ns() { return 0; }
  // The host fd whose readiness poll_ready() reflects (the inherited stdio): a poller
  // that waits on it is woken by the scheduler's host poll; -1: none.
  virtual int poll_host_fd() const { return -1; }
  // A terminal answers TCGETS / TIOCGWINSZ; other files give ENOTTY.
  virtual bool is_terminal() const { return false; }
  // Whether mmap may map this file (regular files can; pipes and terminals cannot).
  virtual bool mappable() const { return false; }
  // The memory object mmap maps for this file: the page cache of a host file, the pages
  // of a tmpfs file or memfd. ENODEV for files that cannot be mapped.
  virtual Result<std::shared_ptr<mm::MemoryObject>> memory_object(mm::MemoryManager& mm) {
    (void)mm;
    return abi::Errno::kENODEV;
  }
  // Whether mmap may map the file shared and writable (a memfd sealed against writes
  // refuses with EPERM).
  virtual Result<void> check_shared_writable_map() { return {}; }
  // The guest-visible path, for /proc/self/maps and strace (may be empty).
  virtual std::string path() const { return {}; }
  // Lines of /proc/PID/fdinfo/N after the common ones (show_fdinfo), each ending in '\n'.
  virtual std::string fdinfo() const { return {}; }
  // The inode behind the file, for files that live in a filesystem (fchmod, ftruncate,
  // fstatfs, linkat(AT_EMPTY_PATH), reopening through /proc/self/fd); null for pipes,
  // the inherited stdio and other anonymous files.
  virtual std::shared_ptr<Inode> inode() const { return nullptr; }

  // Whether the description was opened for reading / writing (an O_PATH one is neither).
  bool readable() const {
    const u64 mode = status_flags & abi::kO_ACCMODE;
    return !(status_flags & abi::kO_PATH) && (mode == abi::kO_RDONLY || mode == abi::kO_RDWR);
  }
  bool writable() const {
    const u64 mode = status_flags & abi::kO_ACCMODE;
    return !(status_flags & abi::kO_PATH) && (mode == abi::kO_WRONLY || mode == abi::kO_RDWR);
  }

  // O_ACCMODE bits and status flags (O_APPEND, O_NONBLOCK ...) as fcntl(F_GETFL) reports.
  u64 status_flags = abi::kO_RDONLY;
  // The write errors of the file's page cache this description has reported (f_wb_err):
  // fsync says EIO once for each new one (errseq_check_and_advance).
  u64 wb_errors_seen = 0;
  // F_SETOWN / F_SETOWN_EX / F_SETSIG: who gets SIGIO (the type is F_OWNER_TID, _PID or
  // _PGRP) and which signal. Kept and reported; the guest has no asynchronous I/O to raise
  // SIGIO for.
  struct Owner {
    i32 type = 1;  // F_OWNER_PID
    i32 pid = 0;
    i32 signal = 0;
  } owner;
};

}  // namespace kernel::fs
