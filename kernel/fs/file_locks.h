// POSIX record locks and open-file-description locks (fs/locks.c): byte ranges of a file
// locked for reading (shared) or writing (exclusive). A POSIX lock belongs to a file table
// (Linux's fl_owner = current->files: a process and its threads) and goes when that owner
// closes any descriptor of the file, or exits; an OFD lock belongs to one open file
// description and goes with its last descriptor. Locks of one owner never conflict; a
// request over an owner's own locks replaces, splits and merges them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "kernel/fs/file.h"
#include "kernel/proc/wait_queue.h"

namespace kernel::fs {

inline constexpr int kF_GETLK = 5, kF_SETLK = 6, kF_SETLKW = 7;
inline constexpr int kF_OFD_GETLK = 36, kF_OFD_SETLK = 37, kF_OFD_SETLKW = 38;
inline constexpr std::int16_t kF_RDLCK = 0, kF_WRLCK = 1, kF_UNLCK = 2;
inline constexpr u64 kOffsetMax = 0x7fff'ffff'ffff'ffff;  // OFFSET_MAX: "to the end"

struct Flock {
  std::int16_t l_type;
  std::int16_t l_whence;
  i32 pad0;
  i64 l_start;
  i64 l_len;
  i32 l_pid;
  i32 pad1;
};
static_assert(sizeof(Flock) == 32);

struct FileLock {
  const void* file;   // the lock's file (its inode, or the description for anonymous files)
  const void* owner;  // a file table (POSIX) or an open file description (OFD)
  bool ofd;
  int pid;  // what F_GETLK reports: the owner's pid, -1 for OFD locks
  std::int16_t type;
  u64 start;
  u64 end;                          // inclusive; kOffsetMax: to the end of the file
  std::weak_ptr<File> description;  // OFD locks: gone with their description
};

class FileLocks {
 public:
  // The first lock of another owner that conflicts with taking `type` over [start, end].
  std::optional<FileLock> conflict(const void* file, const void* owner, std::int16_t type,
                                   u64 start, u64 end);
  // Sets (F_RDLCK, F_WRLCK) or clears (F_UNLCK) `owner`'s lock over [start, end]; the
  // caller has checked conflicts.
  void apply(const FileLock& request);
  // Drops `owner`'s locks on `file` (every file when null): a POSIX owner closed a
  // descriptor of it, or ended.
  void release(const void* owner, const void* file = nullptr);

  // posix_locks_deadlock(): would `owner` waiting for `blocker` close a cycle of waiters?
  bool would_deadlock(const void* owner, const void* blocker) const;
  // Who a blocked F_SETLKW owner waits for (deadlock detection), while it waits.
  void set_waiting(const void* owner, const void* blocker) { m_waiting[owner] = blocker; }
  void clear_waiting(const void* owner) { m_waiting.erase(owner); }

  // Woken whenever a lock goes or shrinks.
  WaitQueue& waiters() { return m_waiters; }
  const std::vector<FileLock>& locks() {
    prune();
    return m_locks;
  }

 private:
  // Forgets OFD locks whose description is gone.
  void prune();

  std::vector<FileLock> m_locks;
  std::map<const void*, const void*> m_waiting;
  WaitQueue m_waiters;
};

// flock_to_posix_lock(): the inclusive range an flock names, given the description's
// position and the file's size; EINVAL / EOVERFLOW as Linux.
Result<std::pair<u64, u64>> flock_range(const Flock& fl, u64 position, u64 size);

}  // namespace kernel::fs
