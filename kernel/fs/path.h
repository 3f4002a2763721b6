// Path resolution: turns a guest path into the entry it names, confined to the guest's root.
//
// The walk goes component by component, the way Linux's namei does, but the host kernel is
// never allowed to follow anything on our behalf: each component is opened with
// O_PATH|O_NOFOLLOW relative to the directory handle of the one before, a symlink's target
// is read with readlinkat() and walked by us (an absolute target restarts at the guest's
// root, not the host's), and ".." pops our own stack of handles, stopping at the root.
// So neither "..", nor a symlink (absolute, relative or looping: ELOOP after 40), nor a
// magic link under a host procfs (its target is only text to us) can leave the root.
//
// /proc, /sys and /dev of the guest's root never reach the host: the host's /proc/self is
// the emulator, and its devices are not the guest's. They are emulated nodes instead:
//   /proc/self           -> "<pid>" (a symlink, as on Linux)
//   /proc/<pid>/exe      -> the process's executable path, for the caller's own pid
//   /dev/null, /dev/zero, /dev/random, /dev/urandom
// Everything else under them is ENOENT until procfs/sysfs/devfs exist.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kernel/fs/fs_context.h"
#include "kernel/fs/host_file.h"
#include "kernel/fs/pseudo_fs.h"

namespace kernel::fs {

inline constexpr int kMaxSymlinkFollows = 40;  // Linux's MAXSYMLINKS
inline constexpr u64 kPathMax = 4096;          // PATH_MAX, counting the NUL
inline constexpr u64 kNameMax = 255;           // NAME_MAX

enum class FollowSymlinks : u8 { No, Yes };

enum class EmulatedNode : u8 {
  None,  // a host entry
  ProcDir,
  ProcSelf,
  ProcPidDir,
  ProcPidExe,
  SysDir,
  DevDir,
  DevNull,
  DevZero,
  DevRandom,
  DevUrandom,
  Pseudo,  // an entry of a PseudoFs mounted at /proc or /sys
};

// The entry a path names.
struct Resolved {
  std::string path;  // canonical guest path: absolute, no symlinks, ".", ".." or "//"
  // False when everything but the last component resolved and that one does not exist:
  // then `parent` and `name` say where it would be created (O_CREAT gives EROFS there).
  bool exists = true;
  EmulatedNode emulated = EmulatedNode::None;
  int pid = 0;                 // for ProcPidDir / ProcPidExe
  PseudoFs* pseudo = nullptr;  // for Pseudo: the tree and its node
  PseudoNode pseudo_node;
  HostFd parent;     // host entries: O_PATH handle on the containing directory (none at "/")
  HostFd node;       // existing host entries: O_PATH|O_NOFOLLOW handle on the entry
  std::string name;  // the last component; "" for "/"
  abi::Stat stat{};  // existing entries: their lstat()

  u32 type() const { return stat.st_mode & abi::kS_IFMT; }
  bool is_directory() const { return exists && type() == abi::kS_IFDIR; }
  bool is_symlink() const { return exists && type() == abi::kS_IFLNK; }
  bool is_regular() const { return exists && type() == abi::kS_IFREG; }
};

// Resolves `path` below the host directory handle `root_fd` (the guest's "/"). A relative
// path starts at `base`, an absolute guest path (normally the cwd or a dirfd's path). A
// symlink in the last component is followed only with FollowSymlinks::Yes; any other is
// always followed, and a trailing slash requires a directory. With `mounts`, /proc and /sys
// are the trees it names instead of the fixed emulated nodes.
Result<Resolved> resolve_path(int root_fd, const Caller& caller, std::string_view base,
                              std::string_view path, FollowSymlinks follow,
                              const PseudoMounts* mounts = nullptr);

// What an emulated node looks like to stat(); `pid` is the one the node belongs to.
abi::Stat emulated_stat(EmulatedNode node, int pid);
// The entries of an emulated directory, "." and ".." first. `pid` is the caller's (0: none)
// and `has_exe` whether it has an executable path for /proc/<pid>/exe.
std::vector<DirEntry> emulated_entries(EmulatedNode dir, int pid, bool has_exe);
// The target of an emulated symlink: ProcSelf reads "<pid>", ProcPidExe the exe path.
Result<std::string> emulated_link_target(EmulatedNode node, const Caller& caller);

// Joins `path` to the absolute `base` (unless it is absolute itself) and folds ".", ".."
// and repeated slashes, without looking at any filesystem.
std::string lexically_normal(std::string_view base, std::string_view path);

}  // namespace kernel::fs
