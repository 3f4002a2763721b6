// The guest's filesystem namespace: the host directory tree below a root, read-only, plus
// the emulated /proc, /sys and /dev nodes (see path.h for how lookups stay inside the root).
//
// The Vfs knows nothing of processes: each call says who is asking (a Caller: the cwd for
// relative paths, the pid /proc/self names) and, for *at() calls, the directory File a
// relative path starts from (nullptr: the cwd). It is read-only by construction: nothing
// here opens a host file for writing, and every request that would write gives EROFS the
// way Linux does on a read-only mount.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/host_file.h"
#include "kernel/fs/path.h"

namespace kernel::fs {

// access() mode bits.
inline constexpr int kF_OK = 0, kX_OK = 1, kW_OK = 2, kR_OK = 4;

class Vfs {
 public:
  // Serves the host directory `host_root` as the guest's "/". If it cannot be opened, every
  // lookup fails with the reason, which root_status() also reports.
  explicit Vfs(std::string host_root);
  Vfs(const Vfs&) = delete;
  Vfs& operator=(const Vfs&) = delete;

  Result<void> root_status() const;
  // Serves /proc and /sys from these trees (which must outlive the Vfs) instead of the
  // fixed emulated nodes.
  void mount_pseudo(PseudoMounts mounts) { m_pseudo = mounts; }
  const std::string& host_root() const { return m_host_root; }

  // open / openat. `flags` are the guest's O_* bits (O_CLOEXEC is the caller's business:
  // it belongs to the descriptor, not the file). Regular files and directories open
  // read-only; a write access mode, O_TRUNC or creating a file gives EROFS.
  Result<std::shared_ptr<File>> open(const Caller& caller, File* at, std::string_view path,
                                     u64 flags);
  // stat / lstat / fstatat with a path (an empty path is ENOENT: AT_EMPTY_PATH is the
  // caller's, with File::stat()).
  Result<abi::Stat> stat(const Caller& caller, File* at, std::string_view path,
                         FollowSymlinks follow);
  // readlink / readlinkat. An empty path reads the symlink an O_PATH `at` names.
  Result<std::string> readlink(const Caller& caller, File* at, std::string_view path);
  // access / faccessat: `mode` is kF_OK or kR_OK|kW_OK|kX_OK; W_OK of a host file is EROFS.
  Result<void> access(const Caller& caller, File* at, std::string_view path, int mode,
                      FollowSymlinks follow);
  // faccessat(fd, "", mode, AT_EMPTY_PATH): the same checks for an open file.
  Result<void> access_file(const Caller& caller, File& file, int mode);
  // chdir: the canonical path of the directory `path` names, to store as the new cwd.
  Result<std::string> directory_path(const Caller& caller, File* at, std::string_view path);
  // fchdir / a dirfd: the canonical path of an open directory; ENOTDIR for anything else.
  static Result<std::string> directory_path_of(File& dir);

  // execve: a regular file the caller may execute (EACCES otherwise), opened for reading.
  Result<std::shared_ptr<File>> open_executable(const FsContext& fs, std::string_view path);
  // The canonical guest path `path` names (symlinks resolved) when it exists, else `path`
  // made absolute lexically; for /proc/self/exe.
  std::string absolute_path(const FsContext& fs, std::string_view path);
  // Where a host path lies in the guest's namespace: "/x" for host_root + "/x", or "/" when
  // it lies outside the root. For the guest's first cwd.
  std::string guest_path_of_host(std::string_view host_path) const;

 private:
  Result<Resolved> resolve(const Caller& caller, File* at, std::string_view path,
                           FollowSymlinks follow) const;
  Result<std::shared_ptr<File>> open_host(Resolved& entry, u64 flags);
  Result<std::shared_ptr<File>> open_emulated(const Caller& caller, const Resolved& entry,
                                              u64 flags);
  Result<std::shared_ptr<File>> open_pseudo(const Caller& caller, const Resolved& entry, u64 flags);
  Result<void> access_entry(const Resolved& entry, int mode);

  std::string m_host_root;
  std::string m_canonical_root;  // realpath of m_host_root, for guest_path_of_host()
  HostFd m_root;
  abi::Errno m_root_error = abi::Errno::None;
  PseudoMounts m_pseudo;
};

}  // namespace kernel::fs
