// A process's file descriptor table: small integers naming open file descriptions. Slots
// hold shared_ptr<File>, so dup'd descriptors (and a fork's copy of the table) share one
// description, its offset and its status flags; close-on-exec belongs to the slot.
#pragma once

#include <memory>
#include <vector>

#include "kernel/fs/file.h"

namespace kernel::fs {

// RLIMIT_NOFILE's default soft limit on Linux: descriptors are 0 .. kDefaultMaxFds - 1.
inline constexpr int kDefaultMaxFds = 1024;

enum class CloseOnExec : u8 { No, Yes };

class FdTable {
 public:
  // The lowest free descriptor >= `lowest`; EMFILE when none is below the limit.
  Result<int> allocate(std::shared_ptr<File> file, CloseOnExec cloexec, int lowest = 0);
  // Puts `file` at `fd`, closing what was there; EBADF when fd is outside [0, limit).
  Result<void> install_at(int fd, std::shared_ptr<File> file, CloseOnExec cloexec);
  // The guest's fds 0, 1 and 2 on the host's, for each host fd that is open.
  void install_stdio();

  // The open file at fd; EBADF when fd does not name one.
  Result<std::shared_ptr<File>> get(int fd) const;
  Result<void> close(int fd);

  // dup(): the lowest free descriptor, close-on-exec clear.
  Result<int> dup(int oldfd);
  // fcntl(F_DUPFD / F_DUPFD_CLOEXEC): the lowest free descriptor >= lowest; EINVAL when
  // lowest is not below the limit.
  Result<int> dup_from(int oldfd, u64 lowest, CloseOnExec cloexec);
  // dup2(): newfd == oldfd just checks oldfd; otherwise as dup3(oldfd, newfd, 0).
  Result<int> dup2(int oldfd, int newfd);
  // dup3(): EINVAL for newfd == oldfd or flags other than O_CLOEXEC; EBADF for a bad oldfd
  // or a newfd outside [0, limit).
  Result<int> dup3(int oldfd, int newfd, u64 flags);

  Result<bool> close_on_exec(int fd) const;
  Result<void> set_close_on_exec(int fd, CloseOnExec cloexec);
  // execve(): closes every descriptor marked close-on-exec.
  void close_marked_on_exec();

  // RLIMIT_NOFILE. Lowering it leaves higher descriptors open, as on Linux.
  u64 limit() const { return m_limit; }
  void set_limit(u64 limit) { m_limit = limit; }
  // How many descriptors are open.
  int open_count() const;
  // The open descriptors, ascending (for /proc/<pid>/fd).
  std::vector<int> open_fds() const;

 private:
  struct Slot {
    std::shared_ptr<File> file;
    bool close_on_exec = false;
  };

  bool in_use(int fd) const;

  std::vector<Slot> m_slots;
  u64 m_limit = kDefaultMaxFds;
};

}  // namespace kernel::fs
