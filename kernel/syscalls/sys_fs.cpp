// File syscalls: decode and validate as Linux 6.1 does (in its order of checks, so the same
// bad call gets the same errno), then hand the work to the fd table and the Vfs.
#include "kernel/syscalls/sys_fs.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/stdio_file.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/fs/unix_socket.h"
#include "kernel/fs/vfs.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/iovec.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/fs_args.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

// Guest constants abi/linux.h does not carry (yet).
using mm::kMaxRwCount;
using mm::user_range_ok;
constexpr u32 kSeekMax = 4;  // SEEK_HOLE
constexpr int kAT_EACCESS = 0x200;
constexpr u32 kSTATX__RESERVED = 0x80000000;
constexpr u32 kFIONBIO = 0x5421, kFIONCLEX = 0x5450, kFIOCLEX = 0x5451;
constexpr int kF_ADD_SEALS = 1033, kF_GET_SEALS = 1034;
constexpr int kF_SETOWN = 8, kF_GETOWN = 9, kF_SETSIG = 10, kF_GETSIG = 11;
constexpr int kF_SETOWN_EX = 15, kF_GETOWN_EX = 16;
constexpr int kF_OWNER_TID = 0, kF_OWNER_PID = 1, kF_OWNER_PGRP = 2;
constexpr int kF_SETPIPE_SZ = 1031, kF_GETPIPE_SZ = 1032;
constexpr u32 kAllSeals = fs::kF_SEAL_SEAL | fs::kF_SEAL_SHRINK | fs::kF_SEAL_GROW |
                          fs::kF_SEAL_WRITE | fs::kF_SEAL_FUTURE_WRITE;
constexpr u64 kSetflMask =
    abi::kO_APPEND | abi::kO_NONBLOCK | abi::kO_ASYNC | abi::kO_DIRECT | abi::kO_NOATIME;

// The bounce buffer between a file and guest memory holds at most this much at a time.
constexpr u64 kChunk = u64{1} << 20;
constexpr u64 kDirentChunk = u64{64} << 10;

// Whether pread/pwrite apply (Linux's FMODE_PREAD): the file has a position to seek.
bool seekable(fs::File& file) {
  auto pos = file.seek(0, abi::kSEEK_CUR);
  return pos.ok() || pos.error() != Errno::kESPIPE;
}

using Segment = mm::IoSegment;

// Reads from `file` into the guest's segments through a bounce buffer. A mappable (regular)
// file never blocks, so it is read until the count is met or EOF; anything else (a pipe, a
// terminal) gets one read, and returns what was there, as on Linux.
Result<i64> read_into(SyscallContext& ctx, fs::File& file, std::span<const Segment> segs,
                      std::optional<u64> offset) {
  u64 total = 0;
  for (const Segment& s : segs) total += s.len;
  const std::span<u8> buf = ctx.kernel.bounce_buffer().first(std::min(total, kChunk));
  u64 done = 0;
  size_t seg = 0;
  u64 seg_off = 0;
  do {
    const u64 want = std::min(total - done, static_cast<u64>(buf.size()));
    const std::span<u8> chunk(buf.data(), want);
    auto got = offset ? file.pread(chunk, *offset + done) : file.read(chunk);
    if (!got.ok()) {
      if (done > 0) return static_cast<i64>(done);
      // Nothing to read yet: wait for the file to change, then read again.
      if (got.error() == abi::kEWAIT)
        return ctx.block({file.poll_queue()}, file.poll_deadline_ns());
      return got.error();
    }
    const u64 n = got.value();
    for (u64 copied = 0; copied < n;) {
      if (seg_off == segs[seg].len) {
        ++seg, seg_off = 0;
        continue;
      }
      const u64 piece = std::min(segs[seg].len - seg_off, n - copied);
      if (!mm::copy_to_user(memory(ctx), segs[seg].addr + seg_off, buf.data() + copied, piece))
        return done + copied > 0 ? Result<i64>(static_cast<i64>(done + copied)) : Errno::kEFAULT;
      copied += piece;
      seg_off += piece;
    }
    done += n;
    if (n < want || !file.mappable()) break;
  } while (done < total);
  return static_cast<i64>(done);
}

// Writes the guest's segments to `file` through a bounce buffer, stopping at a short write.
Result<i64> write_from(SyscallContext& ctx, fs::File& file, std::span<const Segment> segs,
                       std::optional<u64> offset) {
  u64 total = 0;
  for (const Segment& s : segs) total += s.len;
  const std::span<const u8> buf = ctx.kernel.bounce_buffer().first(std::min(total, kChunk));
  u64 done = 0;
  size_t seg = 0;
  u64 seg_off = 0;
  do {
    const u64 want = std::min(total - done, static_cast<u64>(buf.size()));
    u64 have = 0;
    bool faulted = false;
    while (have < want) {
      if (seg_off == segs[seg].len) {
        ++seg, seg_off = 0;
        continue;
      }
      const u64 piece = std::min(segs[seg].len - seg_off, want - have);
      if (!mm::copy_from_user(memory(ctx), const_cast<u8*>(buf.data()) + have,
                              segs[seg].addr + seg_off, piece)) {
        faulted = true;
        break;
      }
      have += piece;
      seg_off += piece;
    }
    if (faulted && have == 0)
      return done > 0 ? Result<i64>(static_cast<i64>(done)) : Errno::kEFAULT;
    const std::span<const u8> chunk = buf.first(have);
    auto put = offset ? file.pwrite(chunk, *offset + done) : file.write(chunk);
    if (!put.ok()) {
      // Writing to a pipe nobody reads raises SIGPIPE as well as EPIPE; so does a stream
      // socket, but not a datagram one.
      if (put.error() == Errno::kEPIPE) {
        auto* sock = fs::as_unix_socket(file);
        if (!sock || sock->type() == fs::kSOCK_STREAM)
          ctx.kernel.send_signal(abi::kSIGPIPE, abi::kSI_USER);
      }
      if (done > 0) return static_cast<i64>(done);
      // No room yet: wait for the reader, then write again.
      if (put.error() == abi::kEWAIT)
        return ctx.block({file.poll_queue()}, file.poll_deadline_ns());
      return put.error();
    }
    done += put.value();
    if (put.value() < have || faulted) break;
  } while (done < total);
  return static_cast<i64>(done);
}

Result<i64> do_open(SyscallContext& ctx, u64 dirfd, u64 path_addr, u64 flags_arg, u64 mode_arg) {
  const u64 flags = static_cast<u32>(flags_arg);  // `int flags`
  const std::string path = TRY(path_arg(ctx, path_addr));
  if (path.empty()) return Errno::kENOENT;
  auto dir = TRY(dir_arg(ctx, dirfd, path));
  auto file = TRY(
      ctx.kernel.vfs().open(caller_of(ctx), dir.get(), path, flags, static_cast<u32>(mode_arg)));
  const auto cloexec = (flags & abi::kO_CLOEXEC) ? fs::CloseOnExec::Yes : fs::CloseOnExec::No;
  return static_cast<i64>(TRY(ctx.process.fds().allocate(std::move(file), cloexec)));
}

// stat of `path` relative to dirfd, with AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW.
Result<abi::Stat> stat_at(SyscallContext& ctx, u64 dirfd, u64 path_addr, int flags) {
  const std::string path = TRY(path_arg(ctx, path_addr));
  const fs::Caller caller = caller_of(ctx);
  if (path.empty()) {
    if (!(flags & abi::kAT_EMPTY_PATH)) return Errno::kENOENT;
    if (fd_arg(dirfd) == abi::kAT_FDCWD)
      return ctx.kernel.vfs().stat(caller, nullptr, ".", fs::FollowSymlinks::Yes);
    auto file = TRY(file_of(ctx, dirfd, AllowPathFd::Yes));
    abi::Stat st{};
    TRY(file->stat(st));
    return st;
  }
  auto dir = TRY(dir_arg(ctx, dirfd, path));
  const auto follow =
      (flags & abi::kAT_SYMLINK_NOFOLLOW) ? fs::FollowSymlinks::No : fs::FollowSymlinks::Yes;
  return ctx.kernel.vfs().stat(caller, dir.get(), path, follow);
}

Result<i64> put_stat(SyscallContext& ctx, u64 addr, const abi::Stat& st) {
  TRY(mm::write_user(memory(ctx), addr, st));
  return 0;
}

abi::StatxTimestamp statx_time(const abi::Timespec& ts) {
  return {ts.tv_sec, static_cast<u32>(ts.tv_nsec), 0};
}

abi::Statx statx_from_stat(const abi::Stat& st) {
  // st_dev / st_rdev use glibc's makedev() encoding; statx splits them.
  auto major = [](u64 dev) {
    return static_cast<u32>(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffu));
  };
  auto minor = [](u64 dev) { return static_cast<u32>((dev & 0xff) | ((dev >> 12) & ~0xffu)); };
  abi::Statx x{};
  x.stx_mask = abi::kSTATX_BASIC_STATS;
  x.stx_blksize = static_cast<u32>(st.st_blksize);
  x.stx_nlink = static_cast<u32>(st.st_nlink);
  x.stx_uid = st.st_uid;
  x.stx_gid = st.st_gid;
  x.stx_mode = static_cast<u16>(st.st_mode);
  x.stx_ino = st.st_ino;
  x.stx_size = static_cast<u64>(st.st_size);
  x.stx_blocks = static_cast<u64>(st.st_blocks);
  x.stx_atime = statx_time(st.st_atim);
  x.stx_mtime = statx_time(st.st_mtim);
  x.stx_ctime = statx_time(st.st_ctim);
  x.stx_rdev_major = major(st.st_rdev);
  x.stx_rdev_minor = minor(st.st_rdev);
  x.stx_dev_major = major(st.st_dev);
  x.stx_dev_minor = minor(st.st_dev);
  return x;
}

Result<i64> do_readlink(SyscallContext& ctx, u64 dirfd, u64 path_addr, u64 buf, u64 size_arg) {
  const int size = static_cast<int>(size_arg);
  if (size <= 0) return Errno::kEINVAL;
  const std::string path = TRY(path_arg(ctx, path_addr));
  std::shared_ptr<fs::File> dir;
  if (path.empty()) {
    // readlinkat(fd, "") reads the symlink an O_PATH|O_NOFOLLOW fd names.
    if (fd_arg(dirfd) != abi::kAT_FDCWD) dir = TRY(file_of(ctx, dirfd, AllowPathFd::Yes));
  } else {
    dir = TRY(dir_arg(ctx, dirfd, path));
  }
  const std::string target = TRY(ctx.kernel.vfs().readlink(caller_of(ctx), dir.get(), path));
  const u64 n = std::min<u64>(target.size(), static_cast<u64>(size));
  TRY(mm::copy_to_user(memory(ctx), buf, target.data(), n));
  return static_cast<i64>(n);
}

Result<i64> do_access(SyscallContext& ctx, u64 dirfd, u64 path_addr, u64 mode_arg, int flags) {
  const int mode = static_cast<int>(mode_arg);
  if (mode & ~(fs::kR_OK | fs::kW_OK | fs::kX_OK)) return Errno::kEINVAL;
  if (flags & ~(kAT_EACCESS | abi::kAT_SYMLINK_NOFOLLOW | abi::kAT_EMPTY_PATH))
    return Errno::kEINVAL;
  const std::string path = TRY(path_arg(ctx, path_addr));
  fs::Caller caller = caller_of(ctx);
  // access() asks about the real ids unless AT_EACCESS says the effective ones.
  if (!(flags & kAT_EACCESS)) caller.cred = access_credentials(caller.cred);
  fs::Vfs& vfs = ctx.kernel.vfs();
  if (path.empty()) {
    if (!(flags & abi::kAT_EMPTY_PATH)) return Errno::kENOENT;
    if (fd_arg(dirfd) == abi::kAT_FDCWD) {
      TRY(vfs.access(caller, nullptr, ".", mode, fs::FollowSymlinks::Yes));
    } else {
      auto file = TRY(file_of(ctx, dirfd, AllowPathFd::Yes));
      TRY(vfs.access_file(caller, *file, mode));
    }
    return 0;
  }
  auto dir = TRY(dir_arg(ctx, dirfd, path));
  const auto follow =
      (flags & abi::kAT_SYMLINK_NOFOLLOW) ? fs::FollowSymlinks::No : fs::FollowSymlinks::Yes;
  TRY(vfs.access(caller, dir.get(), path, mode, follow));
  return 0;
}

}  // namespace

Result<i64> sys_read(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  if (!file->readable()) return Errno::kEBADF;
  if (!user_range_ok(args.a[1], args.a[2])) return Errno::kEFAULT;
  const Segment seg{args.a[1], std::min(args.a[2], kMaxRwCount)};
  return read_into(ctx, *file, {&seg, 1}, std::nullopt);
}

Result<i64> sys_write(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  if (!file->writable()) return Errno::kEBADF;
  if (!user_range_ok(args.a[1], args.a[2])) return Errno::kEFAULT;
  const Segment seg{args.a[1], std::min(args.a[2], kMaxRwCount)};
  return write_from(ctx, *file, {&seg, 1}, std::nullopt);
}

Result<i64> sys_pread64(SyscallContext& ctx, const SyscallArgs& args) {
  const i64 pos = static_cast<i64>(args.a[3]);
  if (pos < 0) return Errno::kEINVAL;
  auto file = TRY(file_of(ctx, args.a[0]));
  if (!seekable(*file)) return Errno::kESPIPE;
  if (!file->readable()) return Errno::kEBADF;
  if (!user_range_ok(args.a[1], args.a[2])) return Errno::kEFAULT;
  if (static_cast<i64>(static_cast<u64>(pos) + args.a[2]) < 0) return Errno::kEINVAL;
  const Segment seg{args.a[1], std::min(args.a[2], kMaxRwCount)};
  return read_into(ctx, *file, {&seg, 1}, static_cast<u64>(pos));
}

Result<i64> sys_pwrite64(SyscallContext& ctx, const SyscallArgs& args) {
  const i64 pos = static_cast<i64>(args.a[3]);
  if (pos < 0) return Errno::kEINVAL;
  auto file = TRY(file_of(ctx, args.a[0]));
  if (!seekable(*file)) return Errno::kESPIPE;
  if (!file->writable()) return Errno::kEBADF;
  if (!user_range_ok(args.a[1], args.a[2])) return Errno::kEFAULT;
  if (static_cast<i64>(static_cast<u64>(pos) + args.a[2]) < 0) return Errno::kEINVAL;
  const Segment seg{args.a[1], std::min(args.a[2], kMaxRwCount)};
  return write_from(ctx, *file, {&seg, 1}, static_cast<u64>(pos));
}

Result<i64> sys_readv(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  if (!file->readable()) return Errno::kEBADF;
  mm::ImportedIovec segs;
  TRY(mm::import_iovec(memory(ctx), args.a[1], args.a[2], segs));
  if (segs.total == 0) return 0;
  return read_into(ctx, *file, segs.span(), std::nullopt);
}

Result<i64> sys_writev(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  if (!file->writable()) return Errno::kEBADF;
  mm::ImportedIovec segs;
  TRY(mm::import_iovec(memory(ctx), args.a[1], args.a[2], segs));
  if (segs.total == 0) return 0;
  return write_from(ctx, *file, segs.span(), std::nullopt);
}

Result<i64> sys_open(SyscallContext& ctx, const SyscallArgs& args) {
  return do_open(ctx, static_cast<u64>(abi::kAT_FDCWD), args.a[0], args.a[1], args.a[2]);
}

Result<i64> sys_openat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_open(ctx, args.a[0], args.a[1], args.a[2], args.a[3]);
}

Result<i64> sys_close(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(ctx.process.fds().get(fd_arg(args.a[0])));
  TRY(ctx.process.fds().close(fd_arg(args.a[0])));
  locks_closed(ctx, file);
  return 0;
}

Result<i64> sys_lseek(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  const u32 whence = static_cast<u32>(args.a[2]);
  if (whence > kSeekMax) return Errno::kEINVAL;
  const u64 pos = TRY(file->seek(static_cast<i64>(args.a[1]), static_cast<int>(whence)));
  return static_cast<i64>(pos);
}

Result<i64> sys_fstat(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0], AllowPathFd::Yes));
  abi::Stat st{};
  TRY(file->stat(st));
  return put_stat(ctx, args.a[1], st);
}

Result<i64> sys_stat(SyscallContext& ctx, const SyscallArgs& args) {
  const abi::Stat st = TRY(stat_at(ctx, static_cast<u64>(abi::kAT_FDCWD), args.a[0], 0));
  return put_stat(ctx, args.a[1], st);
}

Result<i64> sys_lstat(SyscallContext& ctx, const SyscallArgs& args) {
  const abi::Stat st =
      TRY(stat_at(ctx, static_cast<u64>(abi::kAT_FDCWD), args.a[0], abi::kAT_SYMLINK_NOFOLLOW));
  return put_stat(ctx, args.a[1], st);
}

Result<i64> sys_newfstatat(SyscallContext& ctx, const SyscallArgs& args) {
  const int flags = static_cast<int>(args.a[3]);
  if (flags & ~(abi::kAT_SYMLINK_NOFOLLOW | abi::kAT_NO_AUTOMOUNT | abi::kAT_EMPTY_PATH))
    return Errno::kEINVAL;
  const abi::Stat st = TRY(stat_at(ctx, args.a[0], args.a[1], flags));
  return put_stat(ctx, args.a[2], st);
}

Result<i64> sys_statx(SyscallContext& ctx, const SyscallArgs& args) {
  const int flags = static_cast<int>(args.a[2]);
  const u32 mask = static_cast<u32>(args.a[3]);
  if (flags & ~(abi::kAT_SYMLINK_NOFOLLOW | abi::kAT_NO_AUTOMOUNT | abi::kAT_EMPTY_PATH |
                abi::kAT_STATX_SYNC_TYPE))
    return Errno::kEINVAL;
  if ((flags & abi::kAT_STATX_SYNC_TYPE) == abi::kAT_STATX_SYNC_TYPE) return Errno::kEINVAL;
  if (mask & kSTATX__RESERVED) return Errno::kEINVAL;
  const abi::Stat st = TRY(stat_at(ctx, args.a[0], args.a[1], flags));
  TRY(mm::write_user(memory(ctx), args.a[4], statx_from_stat(st)));
  return 0;
}

Result<i64> sys_getdents64(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  const u64 count = static_cast<u32>(args.a[2]);
  const std::span<u8> buf = ctx.kernel.bounce_buffer().first(std::min(count, kDirentChunk));
  // Where the listing stood, so entries the guest could not take are not lost.
  auto before = file->seek(0, abi::kSEEK_CUR);
  const u64 n = TRY(file->getdents64(buf));
  if (!mm::copy_to_user(memory(ctx), args.a[1], buf.data(), n)) {
    if (before.ok()) (void)file->seek(static_cast<i64>(before.value()), abi::kSEEK_SET);
    return Errno::kEFAULT;
  }
  return static_cast<i64>(n);
}

Result<i64> sys_readlink(SyscallContext& ctx, const SyscallArgs& args) {
  return do_readlink(ctx, static_cast<u64>(abi::kAT_FDCWD), args.a[0], args.a[1], args.a[2]);
}

Result<i64> sys_readlinkat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_readlink(ctx, args.a[0], args.a[1], args.a[2], args.a[3]);
}

Result<i64> sys_access(SyscallContext& ctx, const SyscallArgs& args) {
  return do_access(ctx, static_cast<u64>(abi::kAT_FDCWD), args.a[0], args.a[1], 0);
}

Result<i64> sys_faccessat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_access(ctx, args.a[0], args.a[1], args.a[2], 0);
}

Result<i64> sys_faccessat2(SyscallContext& ctx, const SyscallArgs& args) {
  return do_access(ctx, args.a[0], args.a[1], args.a[2], static_cast<int>(args.a[3]));
}

Result<i64> sys_getcwd(SyscallContext& ctx, const SyscallArgs& args) {
  const std::string& cwd = ctx.process.fs().cwd;
  const u64 len = cwd.size() + 1;  // with the NUL, which getcwd counts
  if (len > args.a[1]) return Errno::kERANGE;
  TRY(mm::copy_to_user(memory(ctx), args.a[0], cwd.c_str(), len));
  return static_cast<i64>(len);
}

Result<i64> sys_chdir(SyscallContext& ctx, const SyscallArgs& args) {
  const std::string path = TRY(path_arg(ctx, args.a[0]));
  if (path.empty()) return Errno::kENOENT;
  std::string cwd = TRY(ctx.kernel.vfs().directory_path(caller_of(ctx), nullptr, path));
  ctx.process.fs().cwd = std::move(cwd);
  return 0;
}

Result<i64> sys_fchdir(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0], AllowPathFd::Yes));
  const std::string path = TRY(fs::Vfs::directory_path_of(*file));
  // Looked up again for the search-permission check chdir() makes too.
  std::string cwd = TRY(ctx.kernel.vfs().directory_path(caller_of(ctx), nullptr, path));
  ctx.process.fs().cwd = std::move(cwd);
  return 0;
}

Result<i64> sys_dup(SyscallContext& ctx, const SyscallArgs& args) {
  return static_cast<i64>(TRY(ctx.process.fds().dup(fd_arg(args.a[0]))));
}

Result<i64> sys_dup2(SyscallContext& ctx, const SyscallArgs& args) {
  auto replaced = ctx.process.fds().get(fd_arg(args.a[1]));
  const i64 fd = TRY(ctx.process.fds().dup2(fd_arg(args.a[0]), fd_arg(args.a[1])));
  if (replaced.ok() && fd_arg(args.a[0]) != fd_arg(args.a[1])) locks_closed(ctx, replaced.value());
  return fd;
}

Result<i64> sys_dup3(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 flags = static_cast<u32>(args.a[2]);
  auto replaced = ctx.process.fds().get(fd_arg(args.a[1]));
  const i64 fd = TRY(ctx.process.fds().dup3(fd_arg(args.a[0]), fd_arg(args.a[1]), flags));
  if (replaced.ok()) locks_closed(ctx, replaced.value());
  return fd;
}

namespace {

// f_setown / f_setown_ex: the process, thread or group must exist.
bool owner_exists(SyscallContext& ctx, int type, i32 id) {
  if (type == kF_OWNER_TID) return ctx.kernel.find_thread(id) != nullptr;
  if (type == kF_OWNER_PID) return ctx.kernel.find_process(id) != nullptr;
  for (Process* p : ctx.kernel.processes())
    if (p->pgid() == id) return true;
  return false;
}

}  // namespace

Result<i64> sys_fcntl(SyscallContext& ctx, const SyscallArgs& args) {
  const int fd = fd_arg(args.a[0]);
  const int cmd = static_cast<int>(static_cast<u32>(args.a[1]));
  const u64 arg = args.a[2];
  fs::FdTable& fds = ctx.process.fds();
  auto file = TRY(file_of(ctx, args.a[0], AllowPathFd::Yes));
  const bool path_only = file->status_flags & abi::kO_PATH;
  switch (cmd) {
    case abi::kF_DUPFD:
      return static_cast<i64>(TRY(fds.dup_from(fd, arg, fs::CloseOnExec::No)));
    case abi::kF_DUPFD_CLOEXEC:
      return static_cast<i64>(TRY(fds.dup_from(fd, arg, fs::CloseOnExec::Yes)));
    case abi::kF_GETFD:
      return TRY(fds.close_on_exec(fd)) ? abi::kFD_CLOEXEC : 0;
    case abi::kF_SETFD:
      TRY(fds.set_close_on_exec(
          fd, (arg & abi::kFD_CLOEXEC) ? fs::CloseOnExec::Yes : fs::CloseOnExec::No));
      return 0;
    case abi::kF_GETFL:
      return static_cast<i64>(file->status_flags);
    case abi::kF_SETFL:
      if (path_only) return Errno::kEBADF;
      file->status_flags = (file->status_flags & ~kSetflMask) | (arg & kSetflMask);
      return 0;
    case kF_ADD_SEALS:
    case kF_GET_SEALS: {
      if (path_only) return Errno::kEBADF;
      // Only tmpfs files (memfds among them) carry seals.
      auto* inode = dynamic_cast<fs::TmpfsInode*>(file->inode().get());
      if (!inode || !inode->object()) return Errno::kEINVAL;
      if (cmd == kF_GET_SEALS) return static_cast<i64>(inode->seals());
      const u32 seals = static_cast<u32>(arg);
      if (seals & ~kAllSeals) return Errno::kEINVAL;
      if (!file->writable()) return Errno::kEPERM;
      if (inode->seals() & fs::kF_SEAL_SEAL) return Errno::kEPERM;
      // F_SEAL_WRITE while a shared mapping may write the file is EBUSY
      // (mapping_deny_writable).
      if ((seals & fs::kF_SEAL_WRITE) && !(inode->seals() & fs::kF_SEAL_WRITE) &&
          inode->object()->memory().maps_shared_writable(inode->object().get()))
        return Errno::kEBUSY;
      inode->add_seals(seals);
      return 0;
    }
    case kF_GETPIPE_SZ:
    case kF_SETPIPE_SZ: {
      if (path_only) return Errno::kEBADF;
      auto* pipe = dynamic_cast<fs::PipeEnd*>(file.get());
      if (!pipe) return Errno::kEBADF;  // pipe_fcntl: get_pipe_info() found no pipe
      if (cmd == kF_GETPIPE_SZ) return static_cast<i64>(pipe->capacity());
      const bool privileged = capable(ctx.process.creds(), cap::kSysResource);
      return static_cast<i64>(TRY(pipe->set_capacity(arg, privileged)));
    }
    case kF_GETOWN:
      if (path_only) return Errno::kEBADF;
      return file->owner.type == kF_OWNER_PGRP ? -file->owner.pid : file->owner.pid;
    case kF_SETOWN: {
      if (path_only) return Errno::kEBADF;
      i32 who = static_cast<i32>(arg);
      i32 type = kF_OWNER_PID;
      if (who < 0) {
        // A negative owner names a process group; INT_MIN has no positive form.
        if (who == std::numeric_limits<i32>::min()) return Errno::kEINVAL;
        type = kF_OWNER_PGRP;
        who = -who;
      }
      if (who && !owner_exists(ctx, type, who)) return Errno::kESRCH;
      file->owner.type = type;
      file->owner.pid = who;
      return 0;
    }
    case kF_GETOWN_EX: {
      if (path_only) return Errno::kEBADF;
      const i32 out[2] = {file->owner.type, file->owner.pid};
      TRY(mm::copy_to_user(memory(ctx), arg, out, sizeof out));
      return 0;
    }
    case kF_SETOWN_EX: {
      if (path_only) return Errno::kEBADF;
      i32 in[2];
      TRY(mm::copy_from_user(memory(ctx), in, arg, sizeof in));
      if (in[0] != kF_OWNER_TID && in[0] != kF_OWNER_PID && in[0] != kF_OWNER_PGRP)
        return Errno::kEINVAL;
      if (in[1] && !owner_exists(ctx, in[0], in[1])) return Errno::kESRCH;
      file->owner.type = in[0];
      file->owner.pid = in[1];
      return 0;
    }
    case kF_GETSIG:
      if (path_only) return Errno::kEBADF;
      return file->owner.signal;
    case kF_SETSIG:
      if (path_only) return Errno::kEBADF;
      if (arg > static_cast<u64>(abi::kNumSignals)) return Errno::kEINVAL;
      file->owner.signal = static_cast<i32>(arg);
      return 0;
    case fs::kF_GETLK:
    case fs::kF_SETLK:
    case fs::kF_SETLKW:
    case fs::kF_OFD_GETLK:
    case fs::kF_OFD_SETLK:
    case fs::kF_OFD_SETLKW:
      if (path_only) return Errno::kEBADF;
      return fcntl_lock(ctx, file, cmd, arg);
    default:
      // Leases and directory notification are not emulated; an O_PATH fd refuses every
      // command it does not know, as on Linux.
      return path_only ? Errno::kEBADF : Errno::kEINVAL;
  }
}

Result<i64> sys_ioctl(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  const int fd = fd_arg(args.a[0]);
  const u32 request = static_cast<u32>(args.a[1]);
  const u64 arg = args.a[2];
  // Only the inherited stdio can be a terminal for now.
  auto* tty = dynamic_cast<fs::StdioFile*>(file.get());
  switch (request) {
    case kFIOCLEX:
      TRY(ctx.process.fds().set_close_on_exec(fd, fs::CloseOnExec::Yes));
      return 0;
    case kFIONCLEX:
      TRY(ctx.process.fds().set_close_on_exec(fd, fs::CloseOnExec::No));
      return 0;
    case kFIONBIO: {
      const i32 on = TRY(mm::read_user<i32>(memory(ctx), arg));
      if (on) {
        file->status_flags |= abi::kO_NONBLOCK;
      } else {
        file->status_flags &= ~abi::kO_NONBLOCK;
      }
      return 0;
    }
    case abi::kTCGETS: {
      if (!tty || !tty->is_terminal()) return Errno::kENOTTY;
      const fs::Termios termios = TRY(tty->terminal_attributes());
      TRY(mm::write_user(memory(ctx), arg, termios));
      return 0;
    }
    case abi::kTIOCGWINSZ: {
      if (!tty || !tty->is_terminal()) return Errno::kENOTTY;
      const abi::Winsize ws = TRY(tty->window_size());
      TRY(mm::write_user(memory(ctx), arg, ws));
      return 0;
    }
    default:
      return Errno::kENOTTY;
  }
}

}  // namespace kernel::syscalls
