// File syscalls that change the namespace or a file: mkdir, unlink, rename, link, symlink,
// chmod, chown, utimensat, truncate, fallocate, sync, statfs and memfd_create. They decode
// and validate as Linux 6.1 does (in its order of checks) and leave the work to the Vfs.
#include <optional>
#include <string>

#include "kernel/fs/tmpfs.h"
#include "kernel/fs/vfs.h"
#include "kernel/kernel.h"
#include "kernel/mm/memory_object.h"
#include "kernel/syscalls/fs_args.h"
#include "kernel/syscalls/sys_fs.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr i64 kUTIME_NOW = (1 << 30) - 1, kUTIME_OMIT = (1 << 30) - 2;
constexpr int kFALLOC_FL_KEEP_SIZE = 1, kFALLOC_FL_PUNCH_HOLE = 2;
constexpr u32 kMFD_HUGE_MASK = 0x3f, kMFD_HUGE_SHIFT = 26;
constexpr u32 kS_ISUID = 04000, kS_ISGID = 02000, kS_IXGRP = 010;

fs::Vfs& vfs(SyscallContext& ctx) {
  return ctx.kernel.vfs();
}

// A path argument and the directory it starts from. An empty path is ENOENT before the
// dirfd is looked at, as Linux's getname() fails first.
struct AtPath {
  std::string path;
  std::shared_ptr<fs::File> dir;
};

Result<AtPath> at_path(SyscallContext& ctx, u64 dirfd, u64 addr) {
  AtPath out;
  out.path = TRY(path_arg(ctx, addr));
  if (out.path.empty()) return Errno::kENOENT;
  out.dir = TRY(dir_arg(ctx, dirfd, out.path));
  return out;
}

constexpr u64 cwd() {
  return static_cast<u64>(static_cast<i64>(abi::kAT_FDCWD));
}

Result<i64> done(Result<void> r) {
  TRY(r);
  return 0;
}

Result<i64> do_mkdir(SyscallContext& ctx, u64 dirfd, u64 addr, u64 mode) {
  AtPath p = TRY(at_path(ctx, dirfd, addr));
  return done(vfs(ctx).mkdir(caller_of(ctx), p.dir.get(), p.path, static_cast<u32>(mode)));
}

Result<i64> do_mknod(SyscallContext& ctx, u64 dirfd, u64 addr, u64 mode_arg, u64 dev) {
  const u32 mode = static_cast<u32>(mode_arg);
  switch (mode & abi::kS_IFMT) {
    case 0:
    case abi::kS_IFREG:
    case abi::kS_IFCHR:
    case abi::kS_IFBLK:
    case abi::kS_IFIFO:
    case abi::kS_IFSOCK:
      break;
    case abi::kS_IFDIR:
      return Errno::kEPERM;
    default:
      return Errno::kEINVAL;
  }
  AtPath p = TRY(at_path(ctx, dirfd, addr));
  // The guest's dev_t is the kernel's new_decode_dev() layout, like our encode_dev().
  const u64 major = (dev & 0xfff00) >> 8, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return done(
      vfs(ctx).mknod(caller_of(ctx), p.dir.get(), p.path, mode, fs::encode_dev(major, minor)));
}

Result<i64> do_unlink(SyscallContext& ctx, u64 dirfd, u64 addr, int flags) {
  if (flags & ~abi::kAT_REMOVEDIR) return Errno::kEINVAL;
  AtPath p = TRY(at_path(ctx, dirfd, addr));
  if (flags & abi::kAT_REMOVEDIR) return done(vfs(ctx).rmdir(caller_of(ctx), p.dir.get(), p.path));
  return done(vfs(ctx).unlink(caller_of(ctx), p.dir.get(), p.path));
}

Result<i64> do_rename(SyscallContext& ctx, u64 olddirfd, u64 oldaddr, u64 newdirfd, u64 newaddr,
                      u32 flags) {
  AtPath from = TRY(at_path(ctx, olddirfd, oldaddr));
  AtPath to = TRY(at_path(ctx, newdirfd, newaddr));
  return done(
      vfs(ctx).rename(caller_of(ctx), from.dir.get(), from.path, to.dir.get(), to.path, flags));
}

Result<i64> do_link(SyscallContext& ctx, u64 olddirfd, u64 oldaddr, u64 newdirfd, u64 newaddr,
                    int flags) {
  if (flags & ~(abi::kAT_SYMLINK_FOLLOW | abi::kAT_EMPTY_PATH)) return Errno::kEINVAL;
  const std::string old_path = TRY(path_arg(ctx, oldaddr));
  if (old_path.empty()) {
    if (!(flags & abi::kAT_EMPTY_PATH) || fd_arg(olddirfd) == abi::kAT_FDCWD) return Errno::kENOENT;
    auto file = TRY(file_of(ctx, olddirfd, AllowPathFd::Yes));
    AtPath to = TRY(at_path(ctx, newdirfd, newaddr));
    return done(vfs(ctx).link_file(caller_of(ctx), *file, to.dir.get(), to.path));
  }
  auto old_dir = TRY(dir_arg(ctx, olddirfd, old_path));
  AtPath to = TRY(at_path(ctx, newdirfd, newaddr));
  const auto follow =
      (flags & abi::kAT_SYMLINK_FOLLOW) ? fs::FollowSymlinks::Yes : fs::FollowSymlinks::No;
  return done(
      vfs(ctx).link(caller_of(ctx), old_dir.get(), old_path, to.dir.get(), to.path, follow));
}

Result<i64> do_symlink(SyscallContext& ctx, u64 target_addr, u64 dirfd, u64 addr) {
  const std::string target = TRY(path_arg(ctx, target_addr));
  if (target.empty()) return Errno::kENOENT;
  AtPath p = TRY(at_path(ctx, dirfd, addr));
  return done(vfs(ctx).symlink(caller_of(ctx), target, p.dir.get(), p.path));
}

fs::AttrChange mode_change(u64 mode) {
  fs::AttrChange change;
  change.mode = static_cast<u32>(mode) & 07777;
  return change;
}

Result<i64> do_chmod(SyscallContext& ctx, u64 dirfd, u64 addr, u64 mode) {
  AtPath p = TRY(at_path(ctx, dirfd, addr));
  return done(vfs(ctx).set_attributes(caller_of(ctx), p.dir.get(), p.path, fs::FollowSymlinks::Yes,
                                      mode_change(mode)));
}

// chown's change: -1 leaves an id as it is; a non-directory loses its set-user-ID bit (and
// set-group-ID, when group-executable), as Linux's chown_common asks.
fs::AttrChange owner_change(u64 uid_arg, u64 gid_arg, const abi::Stat& st) {
  fs::AttrChange change;
  const u32 uid = static_cast<u32>(uid_arg), gid = static_cast<u32>(gid_arg);
  if (uid != ~0u) change.uid = uid;
  if (gid != ~0u) change.gid = gid;
  if ((st.st_mode & abi::kS_IFMT) != abi::kS_IFDIR) {
    u32 perms = st.st_mode & 07777;
    perms &= ~kS_ISUID;
    if (perms & kS_IXGRP) perms &= ~kS_ISGID;
    if (perms != (st.st_mode & 07777)) change.mode = perms;
  }
  return change;
}

Result<i64> do_chown(SyscallContext& ctx, u64 dirfd, u64 addr, u64 uid, u64 gid, int flags) {
  if (flags & ~(abi::kAT_SYMLINK_NOFOLLOW | abi::kAT_EMPTY_PATH)) return Errno::kEINVAL;
  const std::string path = TRY(path_arg(ctx, addr));
  const fs::Caller caller = caller_of(ctx);
  if (path.empty()) {
    if (!(flags & abi::kAT_EMPTY_PATH)) return Errno::kENOENT;
    std::shared_ptr<fs::File> file;
    if (fd_arg(dirfd) == abi::kAT_FDCWD) {
      const abi::Stat st = TRY(vfs(ctx).stat(caller, nullptr, ".", fs::FollowSymlinks::Yes));
      return done(vfs(ctx).set_attributes(caller, nullptr, ".", fs::FollowSymlinks::Yes,
                                          owner_change(uid, gid, st)));
    }
    file = TRY(file_of(ctx, dirfd, AllowPathFd::Yes));
    abi::Stat st{};
    TRY(file->stat(st));
    return done(vfs(ctx).set_file_attributes(caller, *file, owner_change(uid, gid, st)));
  }
  auto dir = TRY(dir_arg(ctx, dirfd, path));
  const auto follow =
      (flags & abi::kAT_SYMLINK_NOFOLLOW) ? fs::FollowSymlinks::No : fs::FollowSymlinks::Yes;
  const abi::Stat st = TRY(vfs(ctx).stat(caller, dir.get(), path, follow));
  return done(vfs(ctx).set_attributes(caller, dir.get(), path, follow, owner_change(uid, gid, st)));
}

// The two timestamps utimensat / utimes set: nullopt for UTIME_OMIT.
struct Times {
  std::optional<abi::Timespec> atime, mtime;
  bool touch = false;  // no times given, or both UTIME_NOW
};

Result<Times> timespec_times(SyscallContext& ctx, u64 addr, bool& all_omitted) {
  Times out;
  all_omitted = false;
  const abi::Timespec now = fs::current_time();
  if (addr == 0) {
    out.atime = out.mtime = now;
    out.touch = true;
    return out;
  }
  abi::Timespec ts[2];
  TRY(mm::copy_from_user(memory(ctx), ts, addr, sizeof ts));
  out.touch = ts[0].tv_nsec == kUTIME_NOW && ts[1].tv_nsec == kUTIME_NOW;
  if (ts[0].tv_nsec == kUTIME_OMIT && ts[1].tv_nsec == kUTIME_OMIT) {
    all_omitted = true;
    return out;
  }
  std::optional<abi::Timespec>* slots[2] = {&out.atime, &out.mtime};
  for (int i = 0; i < 2; ++i) {
    const i64 nsec = ts[i].tv_nsec;
    if (nsec == kUTIME_OMIT) continue;
    if (nsec == kUTIME_NOW) {
      *slots[i] = now;
      continue;
    }
    if (nsec < 0 || nsec > 999999999) return Errno::kEINVAL;
    *slots[i] = ts[i];
  }
  return out;
}

Result<Times> timeval_times(SyscallContext& ctx, u64 addr) {
  Times out;
  if (addr == 0) {
    out.atime = out.mtime = fs::current_time();
    out.touch = true;
    return out;
  }
  struct Timeval {
    i64 tv_sec, tv_usec;
  } tv[2];
  TRY(mm::copy_from_user(memory(ctx), tv, addr, sizeof tv));
  for (const Timeval& t : tv)
    if (t.tv_usec < 0 || t.tv_usec >= 1000000) return Errno::kEINVAL;
  out.atime = abi::Timespec{tv[0].tv_sec, tv[0].tv_usec * 1000};
  out.mtime = abi::Timespec{tv[1].tv_sec, tv[1].tv_usec * 1000};
  return out;
}

fs::AttrChange time_change(const Times& t) {
  fs::AttrChange change;
  change.atime = t.atime;
  change.mtime = t.mtime;
  change.touch = t.touch;
  return change;
}

Result<i64> set_times_at(SyscallContext& ctx, u64 dirfd, u64 addr, const Times& times,
                         fs::FollowSymlinks follow) {
  AtPath p = TRY(at_path(ctx, dirfd, addr));
  return done(
      vfs(ctx).set_attributes(caller_of(ctx), p.dir.get(), p.path, follow, time_change(times)));
}

Result<i64> do_truncate_file(SyscallContext& ctx, u64 fd, i64 length) {
  if (length < 0) return Errno::kEINVAL;
  auto file = TRY(file_of(ctx, fd));
  abi::Stat st{};
  TRY(file->stat(st));
  if ((st.st_mode & abi::kS_IFMT) != abi::kS_IFREG || !file->writable() || !file->inode())
    return Errno::kEINVAL;
  fs::AttrChange change;
  change.size = static_cast<u64>(length);
  return done(vfs(ctx).set_file_attributes(caller_of(ctx), *file, change));
}

}  // namespace

Result<i64> sys_mkdir(SyscallContext& ctx, const SyscallArgs& args) {
  return do_mkdir(ctx, cwd(), args.a[0], args.a[1]);
}

Result<i64> sys_mkdirat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_mkdir(ctx, args.a[0], args.a[1], args.a[2]);
}

Result<i64> sys_mknod(SyscallContext& ctx, const SyscallArgs& args) {
  return do_mknod(ctx, cwd(), args.a[0], args.a[1], args.a[2]);
}

Result<i64> sys_mknodat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_mknod(ctx, args.a[0], args.a[1], args.a[2], args.a[3]);
}

Result<i64> sys_rmdir(SyscallContext& ctx, const SyscallArgs& args) {
  return do_unlink(ctx, cwd(), args.a[0], abi::kAT_REMOVEDIR);
}

Result<i64> sys_unlink(SyscallContext& ctx, const SyscallArgs& args) {
  return do_unlink(ctx, cwd(), args.a[0], 0);
}

Result<i64> sys_unlinkat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_unlink(ctx, args.a[0], args.a[1], static_cast<int>(args.a[2]));
}

Result<i64> sys_rename(SyscallContext& ctx, const SyscallArgs& args) {
  return do_rename(ctx, cwd(), args.a[0], cwd(), args.a[1], 0);
}

Result<i64> sys_renameat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_rename(ctx, args.a[0], args.a[1], args.a[2], args.a[3], 0);
}

Result<i64> sys_renameat2(SyscallContext& ctx, const SyscallArgs& args) {
  return do_rename(ctx, args.a[0], args.a[1], args.a[2], args.a[3], static_cast<u32>(args.a[4]));
}

Result<i64> sys_link(SyscallContext& ctx, const SyscallArgs& args) {
  return do_link(ctx, cwd(), args.a[0], cwd(), args.a[1], 0);
}

Result<i64> sys_linkat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_link(ctx, args.a[0], args.a[1], args.a[2], args.a[3], static_cast<int>(args.a[4]));
}

Result<i64> sys_symlink(SyscallContext& ctx, const SyscallArgs& args) {
  return do_symlink(ctx, args.a[0], cwd(), args.a[1]);
}

Result<i64> sys_symlinkat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_symlink(ctx, args.a[0], args.a[1], args.a[2]);
}

Result<i64> sys_chmod(SyscallContext& ctx, const SyscallArgs& args) {
  return do_chmod(ctx, cwd(), args.a[0], args.a[1]);
}

Result<i64> sys_fchmodat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_chmod(ctx, args.a[0], args.a[1], args.a[2]);
}

Result<i64> sys_fchmod(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  return done(vfs(ctx).set_file_attributes(caller_of(ctx), *file, mode_change(args.a[1])));
}

Result<i64> sys_chown(SyscallContext& ctx, const SyscallArgs& args) {
  return do_chown(ctx, cwd(), args.a[0], args.a[1], args.a[2], 0);
}

Result<i64> sys_lchown(SyscallContext& ctx, const SyscallArgs& args) {
  return do_chown(ctx, cwd(), args.a[0], args.a[1], args.a[2], abi::kAT_SYMLINK_NOFOLLOW);
}

Result<i64> sys_fchownat(SyscallContext& ctx, const SyscallArgs& args) {
  return do_chown(ctx, args.a[0], args.a[1], args.a[2], args.a[3], static_cast<int>(args.a[4]));
}

Result<i64> sys_fchown(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  abi::Stat st{};
  TRY(file->stat(st));
  return done(
      vfs(ctx).set_file_attributes(caller_of(ctx), *file, owner_change(args.a[1], args.a[2], st)));
}

Result<i64> sys_utimensat(SyscallContext& ctx, const SyscallArgs& args) {
  const int flags = static_cast<int>(args.a[3]);
  bool all_omitted;
  const Times times = TRY(timespec_times(ctx, args.a[2], all_omitted));
  if (all_omitted) return 0;
  if (args.a[1] == 0 && fd_arg(args.a[0]) != abi::kAT_FDCWD) {
    // futimens(): the file the fd names.
    if (flags) return Errno::kEINVAL;
    auto file = TRY(file_of(ctx, args.a[0]));
    return done(vfs(ctx).set_file_attributes(caller_of(ctx), *file, time_change(times)));
  }
  if (flags & ~(abi::kAT_SYMLINK_NOFOLLOW | abi::kAT_EMPTY_PATH)) return Errno::kEINVAL;
  if (args.a[1] == 0) return Errno::kEFAULT;
  const std::string path = TRY(path_arg(ctx, args.a[1]));
  if (path.empty() && (flags & abi::kAT_EMPTY_PATH)) {
    auto file = TRY(file_of(ctx, args.a[0], AllowPathFd::Yes));
    return done(vfs(ctx).set_file_attributes(caller_of(ctx), *file, time_change(times)));
  }
  const auto follow =
      (flags & abi::kAT_SYMLINK_NOFOLLOW) ? fs::FollowSymlinks::No : fs::FollowSymlinks::Yes;
  return set_times_at(ctx, args.a[0], args.a[1], times, follow);
}

Result<i64> sys_futimesat(SyscallContext& ctx, const SyscallArgs& args) {
  const Times times = TRY(timeval_times(ctx, args.a[2]));
  return set_times_at(ctx, args.a[0], args.a[1], times, fs::FollowSymlinks::Yes);
}

Result<i64> sys_utimes(SyscallContext& ctx, const SyscallArgs& args) {
  const Times times = TRY(timeval_times(ctx, args.a[1]));
  return set_times_at(ctx, cwd(), args.a[0], times, fs::FollowSymlinks::Yes);
}

Result<i64> sys_truncate(SyscallContext& ctx, const SyscallArgs& args) {
  const i64 length = static_cast<i64>(args.a[1]);
  if (length < 0) return Errno::kEINVAL;
  AtPath p = TRY(at_path(ctx, cwd(), args.a[0]));
  fs::AttrChange change;
  change.size = static_cast<u64>(length);
  change.mtime = fs::current_time();
  return done(vfs(ctx).set_attributes(caller_of(ctx), p.dir.get(), p.path, fs::FollowSymlinks::Yes,
                                      change));
}

Result<i64> sys_ftruncate(SyscallContext& ctx, const SyscallArgs& args) {
  return do_truncate_file(ctx, args.a[0], static_cast<i64>(args.a[1]));
}

Result<i64> sys_fallocate(SyscallContext& ctx, const SyscallArgs& args) {
  const int mode = static_cast<int>(args.a[1]);
  const i64 offset = static_cast<i64>(args.a[2]), length = static_cast<i64>(args.a[3]);
  // vfs_fallocate's order: the range, the mode bits, then the file.
  if (offset < 0 || length <= 0) return Errno::kEINVAL;
  constexpr int kKnownModes = 0x7f;  // KEEP_SIZE .. UNSHARE_RANGE
  if (mode & ~kKnownModes) return Errno::kEOPNOTSUPP;
  if ((mode & kFALLOC_FL_PUNCH_HOLE) && !(mode & kFALLOC_FL_KEEP_SIZE)) return Errno::kEOPNOTSUPP;
  auto file = TRY(file_of(ctx, args.a[0]));
  if (!file->writable()) return Errno::kEBADF;
  abi::Stat st{};
  TRY(file->stat(st));
  const u32 type = st.st_mode & abi::kS_IFMT;
  if (!file->inode() && type != abi::kS_IFREG) {
    // A pipe: Linux's ESPIPE; other anonymous files have no fallocate.
    return type == abi::kS_IFIFO ? Errno::kESPIPE : Errno::kENODEV;
  }
  if (type == abi::kS_IFDIR) return Errno::kEISDIR;
  if (type != abi::kS_IFREG) return Errno::kENODEV;
  i64 end;
  if (__builtin_add_overflow(offset, length, &end) || static_cast<u64>(end) > mm::kMaxObjectSize)
    return Errno::kEFBIG;
  auto* inode = dynamic_cast<fs::TmpfsInode*>(file->inode().get());
  if (!inode) return Errno::kEOPNOTSUPP;
  return done(inode->fallocate(mode, static_cast<u64>(offset), static_cast<u64>(length)));
}

// tmpfs has nothing to write back; a host file on a :rw bind is written through at once.
// Files with no inode (pipes, terminals) have no fsync: EINVAL, as on Linux.
// Written data the page cache lost since this description last asked (a dirty page that
// memory_failure took) is EIO, once (file_check_and_advance_wb_err); tmpfs's noop_fsync
// never reports it.
Result<i64> sys_fsync(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0]));
  if (!file->inode()) return Errno::kEINVAL;
  if (file->mappable()) {
    auto object = file->memory_object(ctx.kernel.memory());
    if (object.ok() && object.value()->kind() == mm::ObjectKind::PageCache) {
      const u64 errors = object.value()->write_errors();
      if (errors != file->wb_errors_seen) {
        file->wb_errors_seen = errors;
        return Errno::kEIO;
      }
    }
  }
  return 0;
}

Result<i64> sys_fdatasync(SyscallContext& ctx, const SyscallArgs& args) {
  return sys_fsync(ctx, args);
}

// Nothing is cached between the guest and any backing store: sync has nothing to do.
Result<i64> sys_sync(SyscallContext&, const SyscallArgs&) {
  return 0;
}

Result<i64> sys_syncfs(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(file_of(ctx, args.a[0]));
  return 0;
}

Result<i64> sys_statfs(SyscallContext& ctx, const SyscallArgs& args) {
  AtPath p = TRY(at_path(ctx, cwd(), args.a[0]));
  const fs::Statfs st = TRY(vfs(ctx).statfs(caller_of(ctx), p.dir.get(), p.path));
  TRY(mm::write_user(memory(ctx), args.a[1], st));
  return 0;
}

Result<i64> sys_fstatfs(SyscallContext& ctx, const SyscallArgs& args) {
  auto file = TRY(file_of(ctx, args.a[0], AllowPathFd::Yes));
  const fs::Statfs st = TRY(vfs(ctx).statfs_of(*file));
  TRY(mm::write_user(memory(ctx), args.a[1], st));
  return 0;
}

Result<i64> sys_memfd_create(SyscallContext& ctx, const SyscallArgs& args) {
  const u32 flags = static_cast<u32>(args.a[1]);
  constexpr u32 kAllFlags = fs::kMFD_CLOEXEC | fs::kMFD_ALLOW_SEALING | fs::kMFD_HUGETLB;
  if (flags & fs::kMFD_HUGETLB) {
    if (flags & ~(kAllFlags | (kMFD_HUGE_MASK << kMFD_HUGE_SHIFT))) return Errno::kEINVAL;
  } else if (flags & ~kAllFlags) {
    return Errno::kEINVAL;
  }
  auto name = mm::copy_string_from_user(memory(ctx), args.a[0], fs::kMemfdNameMax);
  if (!name.ok()) return name.error() == Errno::kENAMETOOLONG ? Errno::kEINVAL : name.error();
  // Huge pages are not emulated: a tmpfs without hugetlbfs refuses them.
  if (flags & fs::kMFD_HUGETLB) return Errno::kEINVAL;
  auto file = TRY(vfs(ctx).create_memfd(name.value(), flags));
  const auto cloexec = (flags & fs::kMFD_CLOEXEC) ? fs::CloseOnExec::Yes : fs::CloseOnExec::No;
  return static_cast<i64>(TRY(ctx.process.fds().allocate(std::move(file), cloexec)));
}

}  // namespace kernel::syscalls
