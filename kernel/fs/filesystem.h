// The filesystem interface the VFS mounts: a Filesystem owns Inodes; the mount table
// (mount.h) grafts a filesystem's root onto a guest directory, and path resolution (path.h)
// walks Inode::lookup() component by component, crossing mount points on the way.
//
// An inode answers for itself only: name lookup, listing, creation and removal in a
// directory, a symlink's target, attributes, and opening it as a File. Everything that
// depends on the whole namespace (symlink following, "..", mount points, EXDEV, EROFS on a
// read-only mount, the permission check) is the VFS's, so every filesystem gets it right
// the same way.
//
// Implementations: the host view (host_fs.h: the confined, read-only or `--bind ...:rw`
// host tree), tmpfs (tmpfs.h; devfs is a tmpfs with device nodes), and procfs / sysfs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/base/result.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/host_file.h"

namespace kernel::fs {

class Filesystem;

// renameat2 flags.
inline constexpr u32 kRENAME_NOREPLACE = 1, kRENAME_EXCHANGE = 2, kRENAME_WHITEOUT = 4;

// What chmod / chown / utimensat / truncate change; unset fields stay as they are.
// Timestamps arrive resolved (UTIME_NOW already replaced by the time).
struct AttrChange {
  std::optional<u32> mode;  // permission bits only (07777)
  std::optional<u32> uid;
  std::optional<u32> gid;
  std::optional<abi::Timespec> atime;
  std::optional<abi::Timespec> mtime;
  std::optional<u64> size;
  // utimes(NULL) / both UTIME_NOW (Linux's ATTR_TOUCH): write permission is enough. Other
  // timestamps the caller names need ownership (ATTR_TIMES_SET).
  bool touch = false;
};

// The target of a symlink as the walk follows it: text to walk (an absolute one restarts at
// the guest's root), or, for a /proc "magic" link such as /proc/self/fd/N, the open file it
// names, which the walk jumps to without looking at any name (Linux's nd_jump_link).
struct LinkTarget {
  std::string text;
  std::shared_ptr<File> jump;  // set: the walk lands on jump->inode() at jump->path()
};

class Inode : public std::enable_shared_from_this<Inode> {
 public:
  explicit Inode(Filesystem& fs) : m_fs(fs) {}
  virtual ~Inode() = default;
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  Filesystem& filesystem() const { return m_fs; }

  // stat(): st_dev is the filesystem's, st_ino unique within it.
  virtual Result<abi::Stat> stat() = 0;

  // --- Directories (the defaults are Linux's answers for a non-directory) ---
  // The entry `name` (never "." or "..", no '/', at most NAME_MAX): ENOENT when absent.
  // `caller` is who asks, for filesystems whose contents depend on it (/proc/self).
  virtual Result<std::shared_ptr<Inode>> lookup(const Caller& caller, const std::string& name);
  // Every entry, "." and ".." first (a filesystem root lists itself as "..").
  virtual Result<std::vector<DirEntry>> list(const Caller& caller);
  // Creates a regular file, directory, symlink or device node `name` (which does not
  // exist: the VFS checked). `mode` holds the type and the permission bits after umask.
  virtual Result<std::shared_ptr<Inode>> create(const std::string& name, u32 mode, u64 rdev,
                                                const Credentials& cred);
  virtual Result<std::shared_ptr<Inode>> symlink(const std::string& name, const std::string& target,
                                                 const Credentials& cred);
  // O_TMPFILE: a regular file with no name in this directory (st_nlink 0).
  virtual Result<std::shared_ptr<Inode>> create_unnamed(u32 mode, const Credentials& cred);
  // A new name for `target` (same filesystem, not a directory: the VFS checked).
  virtual Result<void> link(const std::string& name, Inode& target);
  // Removes the entry `name`: a non-directory for unlink, an empty directory for rmdir.
  virtual Result<void> unlink(const std::string& name);
  virtual Result<void> rmdir(const std::string& name);
  // Moves entry `name` here to `new_name` in `new_dir` (same filesystem), with
  // kRENAME_NOREPLACE / kRENAME_EXCHANGE. The VFS has checked "a directory into itself".
  virtual Result<void> rename(const std::string& name, Inode& new_dir, const std::string& new_name,
                              u32 flags);

  // --- Symlinks ---
  virtual Result<LinkTarget> read_link(const Caller& caller);

  // --- Everything ---
  // chmod / chown / utimensat / truncate. The ctime moves with any change.
  virtual Result<void> set_attributes(const AttrChange& change);
  // Opens the inode as a File; `path` is its canonical guest path and `flags` the open
  // flags (the VFS has checked access mode against type; O_TRUNC is applied by the VFS
  // through set_attributes). O_PATH opens must work on every inode.
  virtual Result<std::shared_ptr<File>> open(const Caller& caller, const std::string& path,
                                             u64 flags) = 0;

 private:
  Filesystem& m_fs;
};

// statfs / fstatfs, as the guest's struct statfs lays it out.
struct Statfs {
  i64 f_type;
  i64 f_bsize;
  u64 f_blocks;
  u64 f_bfree;
  u64 f_bavail;
  u64 f_files;
  u64 f_ffree;
  i32 f_fsid[2];
  i64 f_namelen;
  i64 f_frsize;
  i64 f_flags;
  i64 f_spare[4];
};
static_assert(sizeof(Statfs) == 120);

// f_type values (magic numbers of Linux's filesystems).
inline constexpr i64 kTMPFS_MAGIC = 0x01021994, kPROC_SUPER_MAGIC = 0x9fa0;
inline constexpr i64 kSYSFS_MAGIC = 0x62656572, kEXT4_SUPER_MAGIC = 0xef53;
// f_flags (ST_*).
inline constexpr i64 kST_RDONLY = 1, kST_NOSUID = 2, kST_NODEV = 4, kST_NOEXEC = 8;
inline constexpr i64 kST_VALID = 0x20;

class Filesystem {
 public:
  virtual ~Filesystem() = default;

  // The type name /proc/mounts shows ("tmpfs", "proc").
  virtual const char* type_name() const = 0;
  virtual std::shared_ptr<Inode> root() = 0;
  virtual Result<Statfs> statfs() = 0;
  // A read-only filesystem: every change through it is EROFS (checked by the VFS).
  virtual bool read_only() const { return false; }
};

// The guest's st_dev encoding (glibc's makedev()).
constexpr u64 encode_dev(u64 major, u64 minor) {
  return ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) |
         (minor & 0xff);
}
// A fresh anonymous device number (major 0) for a filesystem with no device, as Linux's
// get_anon_bdev(); numbers start above the fixed ones emulated nodes use.
u64 allocate_anonymous_dev();

// The single permission check: may `cred` access an inode with stat `st` for `mode`
// (kR_OK | kW_OK | kX_OK bits)? Linux's generic_permission(): the owner, group and other
// bits against the fsuid, fsgid and groups, overridden by CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH. Read-only mounts are the VFS's business, not this.
Result<void> check_permission(const abi::Stat& st, int mode, const Credentials& cred);

// setattr_prepare(): may `cred` make `change` to an inode with stat `st`? chown needs
// CAP_CHOWN unless the owner keeps the owner and picks a group of its own; chmod and
// explicit timestamps need ownership or CAP_FOWNER; chmod drops the set-group-ID bit when
// the caller is outside the file's group without CAP_FSETID (adjusting `change`).
Result<void> prepare_attribute_change(const abi::Stat& st, AttrChange& change,
                                      const Credentials& cred);

// The current time for timestamps (CLOCK_REALTIME).
abi::Timespec current_time();

// A directory File any filesystem can use: getdents64 from a snapshot of Inode::list()
// taken at the first call (and again after a seek to 0).
class DirectoryFile final : public File {
 public:
  DirectoryFile(std::shared_ptr<Inode> inode, std::string path, const Caller& caller);

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> pread(std::span<u8> buf, u64 offset) override;
  Result<u64> seek(i64 offset, int whence) override;
  Result<void> stat(abi::Stat& out) override;
  Result<u64> getdents64(std::span<u8> buf) override;
  std::string path() const override { return m_path; }
  std::shared_ptr<Inode> inode() const override { return m_inode; }

 private:
  std::shared_ptr<Inode> m_inode;
  std::string m_path;
  // Who opened it: /proc lists depend on it. Copied: the Caller's FsContext may change.
  FsContext m_fs;
  int m_pid;
  std::string m_exe;
  const FdTable* m_fds;
  Credentials m_cred;
  bool m_loaded = false;
  std::vector<DirEntry> m_entries;
  u64 m_position = 0;
};

// An O_PATH file on any inode: it names the inode for fstat, *at() and readlinkat(fd, "")
// and carries no I/O.
class PathFile final : public File {
 public:
  PathFile(std::shared_ptr<Inode> inode, std::string path);
  Result<void> stat(abi::Stat& out) override;
  std::string path() const override { return m_path; }
  std::shared_ptr<Inode> inode() const override { return m_inode; }

 private:
  std::shared_ptr<Inode> m_inode;
  std::string m_path;
};

}  // namespace kernel::fs
