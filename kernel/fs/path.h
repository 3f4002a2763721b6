// Path resolution: turns a guest path into the entry it names, across the mount table and
// confined to the guest's root.
//
// The walk goes component by component, the way Linux's namei does: each directory's
// filesystem looks up one name (Inode::lookup), and nothing else ever resolves a path on
// our behalf. For the host view that means each component is opened O_PATH|O_NOFOLLOW
// relative to the handle of the one before (host_fs.h). A symlink's target is read and
// walked by us (an absolute target restarts at the guest's root, not the host's), and ".."
// pops our own stack, stopping at the root, so neither "..", nor a symlink (absolute,
// relative or looping: ELOOP after 40), nor a magic link under a host procfs (its target
// is only text to us) can leave the root.
//
// Before asking a directory for a name, the walk asks the mount table whether a filesystem
// is mounted there: a mount covers the directory below (or stands in for it where none
// exists), and ".." out of a mount's root pops back to the covered directory's parent.
// A /proc "magic" link (/proc/self/fd/N) lands on the open file's inode itself.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/fs/filesystem.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/mount.h"

namespace kernel::fs {

inline constexpr int kMaxSymlinkFollows = 40;  // Linux's MAXSYMLINKS
inline constexpr u64 kPathMax = 4096;          // PATH_MAX, counting the NUL
inline constexpr u64 kNameMax = 255;           // NAME_MAX

enum class FollowSymlinks : u8 { No, Yes };

// The entry a path names.
struct Resolved {
  std::string path;  // canonical guest path: absolute, no symlinks, ".", ".." or "//"
  // False when everything but the last component resolved and that one does not exist:
  // then `parent` and `name` say where it would be created.
  bool exists = true;
  std::string name;                     // the last component; "" for "/"
  const Mount* mount = nullptr;         // the mount `node` lies on (missing entries: `parent`'s)
  const Mount* parent_mount = nullptr;  // the mount `parent` lies on
  std::shared_ptr<Inode> parent;        // the directory holding the entry (null at "/")
  std::shared_ptr<Inode> node;          // existing entries
  abi::Stat stat{};                     // existing entries: their lstat()

  u32 type() const { return stat.st_mode & abi::kS_IFMT; }
  bool is_directory() const { return exists && type() == abi::kS_IFDIR; }
  bool is_symlink() const { return exists && type() == abi::kS_IFLNK; }
  bool is_regular() const { return exists && type() == abi::kS_IFREG; }
  // The entry is the root of a mount (so it cannot be removed or renamed: EBUSY).
  bool is_mount_root() const { return exists && mount && mount->path == path; }
};

// Resolves `path` in the namespace `mounts` describes. A relative path starts at `base`, an
// absolute guest path (normally the cwd or a dirfd's path). A symlink in the last component
// is followed only with FollowSymlinks::Yes; any other is always followed, and a trailing
// slash requires a directory.
Result<Resolved> resolve_path(const MountTable& mounts, const Caller& caller, std::string_view base,
                              std::string_view path, FollowSymlinks follow);

// Joins `path` to the absolute `base` (unless it is absolute itself) and folds ".", ".."
// and repeated slashes, without looking at any filesystem.
std::string lexically_normal(std::string_view base, std::string_view path);

}  // namespace kernel::fs
