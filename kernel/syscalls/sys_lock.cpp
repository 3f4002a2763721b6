// fcntl's record locks (fs/locks.c: fcntl_getlk, fcntl_setlk), over the kernel's
// FileLocks: POSIX locks owned by the caller's file table, OFD locks by the description.
#include "kernel/fs/file_locks.h"
#include "kernel/syscalls/fs_args.h"
#include "kernel/syscalls/sys_fs.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

// Locks of one file meet whatever description they were taken through: they key on the
// inode, or on the description itself for files without one (pipes, sockets).
const void* lock_key(fs::File& file) {
  if (auto inode = file.inode()) return inode.get();
  return &file;
}

Result<std::pair<u64, u64>> range_of(fs::File& file, const fs::Flock& fl) {
  u64 position = 0, size = 0;
  if (fl.l_whence == abi::kSEEK_CUR) position = TRY(file.seek(0, abi::kSEEK_CUR));
  if (fl.l_whence == abi::kSEEK_END) {
    abi::Stat st{};
    TRY(file.stat(st));
    size = static_cast<u64>(st.st_size);
  }
  return fs::flock_range(fl, position, size);
}

}  // namespace

Result<i64> fcntl_lock(SyscallContext& ctx, const std::shared_ptr<fs::File>& file, int cmd,
                       u64 arg) {
  fs::FileLocks& locks = ctx.kernel.file_locks();
  fs::Flock fl = TRY(mm::read_user<fs::Flock>(memory(ctx), arg));
  const bool ofd = cmd == fs::kF_OFD_GETLK || cmd == fs::kF_OFD_SETLK || cmd == fs::kF_OFD_SETLKW;
  const void* owner = ofd ? static_cast<const void*>(file.get()) : &ctx.process.fds();
  const void* key = lock_key(*file);
  if (cmd == fs::kF_GETLK || cmd == fs::kF_OFD_GETLK) {
    if (fl.l_type != fs::kF_RDLCK && fl.l_type != fs::kF_WRLCK) return Errno::kEINVAL;
    if (ofd && fl.l_pid != 0) return Errno::kEINVAL;
    const auto [start, end] = TRY(range_of(*file, fl));
    const auto held = locks.conflict(key, owner, fl.l_type, start, end);
    if (!held) {
      fl.l_type = fs::kF_UNLCK;
    } else {
      fl.l_type = held->type;
      fl.l_whence = abi::kSEEK_SET;
      fl.l_start = static_cast<i64>(held->start);
      fl.l_len = held->end == fs::kOffsetMax ? 0 : static_cast<i64>(held->end - held->start + 1);
      fl.l_pid = held->pid;
    }
    TRY(mm::write_user(memory(ctx), arg, fl));
    return 0;
  }
  // F_SETLK, F_SETLKW and their OFD forms.
  const auto [start, end] = TRY(range_of(*file, fl));
  if (fl.l_type != fs::kF_RDLCK && fl.l_type != fs::kF_WRLCK && fl.l_type != fs::kF_UNLCK)
    return Errno::kEINVAL;
  if (fl.l_type == fs::kF_RDLCK && !file->readable()) return Errno::kEBADF;
  if (fl.l_type == fs::kF_WRLCK && !file->writable()) return Errno::kEBADF;
  if (ofd && fl.l_pid != 0) return Errno::kEINVAL;
  const bool wait = cmd == fs::kF_SETLKW || cmd == fs::kF_OFD_SETLKW;
  if (ctx.resuming() && ctx.wake_reason() == WakeReason::Signal) {
    locks.clear_waiting(owner);
    return abi::kERESTARTSYS;
  }
  if (fl.l_type != fs::kF_UNLCK) {
    if (auto held = locks.conflict(key, owner, fl.l_type, start, end)) {
      if (!wait) return Errno::kEAGAIN;
      if (!ofd && !held->ofd && locks.would_deadlock(owner, held->owner)) {
        locks.clear_waiting(owner);
        return Errno::kEDEADLK;
      }
      locks.set_waiting(owner, held->owner);
      // OFD locks go when their description does, which no queue announces: look again
      // now and then.
      const u64 recheck = held->ofd ? Kernel::monotonic_ns() + 50'000'000 : 0;
      return ctx.block({&locks.waiters()}, recheck, abi::kERESTARTSYS);
    }
  }
  locks.clear_waiting(owner);
  fs::FileLock request{key, owner, ofd, ofd ? -1 : ctx.process.pid(), fl.l_type, start, end, {}};
  if (ofd) request.description = file;
  locks.apply(request);
  return 0;
}

void locks_closed(SyscallContext& ctx, const std::shared_ptr<fs::File>& file) {
  fs::FileLocks& locks = ctx.kernel.file_locks();
  locks.release(&ctx.process.fds(), lock_key(*file));
  // The last descriptor: `file` is the only reference left.
  if (file.use_count() == 1) locks.release(file.get());
}

}  // namespace kernel::syscalls
