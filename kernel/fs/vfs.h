// The guest's filesystem namespace: a mount table (mount.h) over filesystems (filesystem.h).
// By default: the host directory tree below a root, read-only, at "/" (host_fs.h); tmpfs at
// /tmp, /run and /dev/shm (the host's are never seen or written); devfs (a tmpfs with the
// device nodes) at /dev; the emulated /proc and /sys; and each `--bind HOST:GUEST[:rw]`.
//
// The Vfs knows nothing of processes: each call says who is asking (a Caller: the cwd for
// relative paths, the pid /proc/self names, the credentials) and, for *at() calls, the
// directory File a relative path starts from (nullptr: the cwd). It makes the checks every
// filesystem shares, in Linux's order: the path walk (path.h), EROFS on a read-only
// filesystem, EXDEV across mounts, EBUSY for a mount point, the permission check
// (check_permission), "a directory into itself"; the filesystems do the rest.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/fs/file.h"
#include "kernel/fs/filesystem.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/host_fs.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/path.h"

namespace kernel::mm {
class MemoryManager;
}

namespace kernel::fs {

class Tmpfs;

// access() mode bits.
inline constexpr int kF_OK = 0, kX_OK = 1, kW_OK = 2, kR_OK = 4;

// memfd_create flags.
inline constexpr u32 kMFD_CLOEXEC = 1, kMFD_ALLOW_SEALING = 2, kMFD_HUGETLB = 4;
inline constexpr u32 kMFD_NOEXEC_SEAL = 8, kMFD_EXEC = 0x10;
inline constexpr u64 kMemfdNameMax = 249;  // NAME_MAX minus strlen("memfd:")

// A host directory to show at a guest path (`--bind HOST:GUEST[:rw]`).
struct BindMount {
  std::string host_path;
  std::string guest_path;
  HostAccess access = HostAccess::ReadOnly;
};

class Vfs {
 public:
  // Serves the host directory `host_root` as the guest's "/", with the default mounts and
  // `binds` on top. If the root cannot be opened, every lookup fails with the reason, which
  // root_status() also reports; a bind that cannot be opened is reported the same way.
  Vfs(mm::MemoryManager& memory, std::string host_root, const std::vector<BindMount>& binds = {});
  ~Vfs();
  Vfs(const Vfs&) = delete;
  Vfs& operator=(const Vfs&) = delete;

  Result<void> root_status() const;
  const std::string& host_root() const { return m_host_root; }
  MountTable& mounts() { return m_mounts; }
  // Mounts `fs` at the canonical guest path `path`.
  Result<void> mount(std::string path, std::shared_ptr<Filesystem> fs);

  // open / openat. `flags` are the guest's O_* bits (O_CLOEXEC is the caller's business:
  // it belongs to the descriptor, not the file); `mode` is used when creating (umask from
  // the caller's context applies).
  Result<std::shared_ptr<File>> open(const Caller& caller, File* at, std::string_view path,
                                     u64 flags, u32 mode = 0);
  // stat / lstat / fstatat with a path (an empty path is ENOENT: AT_EMPTY_PATH is the
  // caller's, with File::stat()).
  Result<abi::Stat> stat(const Caller& caller, File* at, std::string_view path,
                         FollowSymlinks follow);
  // readlink / readlinkat. An empty path reads the symlink an O_PATH `at` names.
  Result<std::string> readlink(const Caller& caller, File* at, std::string_view path);
  // access / faccessat: `mode` is kF_OK or kR_OK|kW_OK|kX_OK; W_OK on a read-only
  // filesystem is EROFS.
  Result<void> access(const Caller& caller, File* at, std::string_view path, int mode,
                      FollowSymlinks follow);
  // faccessat(fd, "", mode, AT_EMPTY_PATH): the same checks for an open file.
  Result<void> access_file(const Caller& caller, File& file, int mode);
  // chdir: the canonical path of the directory `path` names, to store as the new cwd.
  Result<std::string> directory_path(const Caller& caller, File* at, std::string_view path);
  // fchdir / a dirfd: the canonical path of an open directory; ENOTDIR for anything else.
  static Result<std::string> directory_path_of(File& dir);

  // --- Changes ---
  Result<void> mkdir(const Caller& caller, File* at, std::string_view path, u32 mode);
  Result<void> mknod(const Caller& caller, File* at, std::string_view path, u32 mode, u64 dev);
  Result<void> unlink(const Caller& caller, File* at, std::string_view path);
  Result<void> rmdir(const Caller& caller, File* at, std::string_view path);
  Result<void> rename(const Caller& caller, File* old_at, std::string_view old_path, File* new_at,
                      std::string_view new_path, u32 flags);
  // link / linkat: `follow` is AT_SYMLINK_FOLLOW for the old path.
  Result<void> link(const Caller& caller, File* old_at, std::string_view old_path, File* new_at,
                    std::string_view new_path, FollowSymlinks follow);
  // linkat(fd, "", ..., AT_EMPTY_PATH): a name for an open file (an O_TMPFILE one too).
  Result<void> link_file(const Caller& caller, File& file, File* new_at, std::string_view new_path);
  Result<void> symlink(const Caller& caller, std::string_view target, File* at,
                       std::string_view path);
  // chmod / chown / utimensat / truncate of a path, and of an open file.
  Result<void> set_attributes(const Caller& caller, File* at, std::string_view path,
                              FollowSymlinks follow, const AttrChange& change);
  Result<void> set_file_attributes(const Caller& caller, File& file, const AttrChange& change);
  // statfs / fstatfs.
  Result<Statfs> statfs(const Caller& caller, File* at, std::string_view path);
  Result<Statfs> statfs_of(File& file);
  // memfd_create: a tmpfs file with no name; `flags` were checked by the caller.
  Result<std::shared_ptr<File>> create_memfd(std::string_view name, u32 flags);

  // execve: a regular file the caller may execute (EACCES otherwise), opened for reading.
  // The caller's pid matters: /proc/self/exe is a path a program execs.
  Result<std::shared_ptr<File>> open_executable(const Caller& caller, std::string_view path,
                                                File* at = nullptr);
  // The canonical guest path `path` names (symlinks resolved) when it exists, else `path`
  // made absolute lexically; for /proc/self/exe.
  std::string absolute_path(const FsContext& fs, std::string_view path);
  // Where a host path lies in the guest's namespace: "/x" for host_root + "/x", or "/" when
  // it lies outside the root. For the guest's first cwd.
  std::string guest_path_of_host(std::string_view host_path) const;

 private:
  Result<Resolved> resolve(const Caller& caller, File* at, std::string_view path,
                           FollowSymlinks follow) const;
  // The parent of a path's last component, for calls that create or remove a name:
  // trailing slashes are allowed (a directory is meant) and the last component is never
  // followed. `last_kind` says whether that component was "." or ".." or the root.
  enum class LastKind : u8 { Normal, Dot, DotDot, Root };
  Result<Resolved> resolve_last(const Caller& caller, File* at, std::string_view path,
                                LastKind& last_kind, bool& trailing_slash) const;
  Result<void> access_entry(const Resolved& entry, int mode, const Credentials& cred);
  Result<void> may_change_in(const Resolved& entry, const Credentials& cred);
  Result<void> may_delete(const Resolved& entry, const Credentials& cred);
  void make_directories(std::string_view path);
  Result<void> make_node(const Caller& caller, File* at, std::string_view path, u32 mode, u64 dev);

  mm::MemoryManager& m_memory;
  std::string m_host_root;
  std::string m_canonical_root;  // realpath of m_host_root, for guest_path_of_host()
  abi::Errno m_root_error = abi::Errno::None;
  MountTable m_mounts;
  std::shared_ptr<Tmpfs> m_memfd_fs;  // memfd_create's files live here, unmounted
};

}  // namespace kernel::fs
