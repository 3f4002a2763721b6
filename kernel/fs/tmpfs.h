// tmpfs: a filesystem in emulated RAM. Directories, regular files, symlinks, hard links and
// device nodes (devfs is a tmpfs holding the standard device nodes). A regular file's data
// is a memory object (kernel/mm/memory_object.h) so that mmap maps the very pages read()
// and write() reach; memfd_create makes the same files with no name.
//
// Bounded like Linux's tmpfs: `size=` pages (default half of emulated RAM, charged through
// one PageBudget for every file) and `nr_inodes=`; either exhausted is ENOSPC.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "kernel/fs/filesystem.h"
#include "kernel/mm/memory_object.h"

namespace kernel::mm {
class MemoryManager;
}

namespace kernel::fs {

// memfd / tmpfs seals (fcntl F_ADD_SEALS).
inline constexpr u32 kF_SEAL_SEAL = 1, kF_SEAL_SHRINK = 2, kF_SEAL_GROW = 4, kF_SEAL_WRITE = 8;
inline constexpr u32 kF_SEAL_FUTURE_WRITE = 16;

struct TmpfsOptions {
  u64 max_bytes = 0;   // 0: half of emulated RAM
  u64 max_inodes = 0;  // 0: half the RAM's pages, as Linux's default nr_inodes
  u32 root_mode = 01777;
  const char* type_name = "tmpfs";
};

class Tmpfs final : public Filesystem {
 public:
  Tmpfs(mm::MemoryManager& memory, TmpfsOptions options = {});
  ~Tmpfs() override;

  const char* type_name() const override { return m_type_name; }
  std::shared_ptr<Inode> root() override;
  Result<Statfs> statfs() override;

  mm::MemoryManager& memory() { return m_memory; }
  mm::PageBudget& budget() { return m_budget; }
  u64 dev() const { return m_dev; }
  u64 inodes_used() const { return m_inodes_used; }
  u64 max_inodes() const { return m_max_inodes; }

  // Inode accounting, for TmpfsInode: ENOSPC past nr_inodes.
  Result<u64> charge_inode();
  void release_inode() { --m_inodes_used; }

 private:
  mm::MemoryManager& m_memory;
  const char* m_type_name;
  mm::PageBudget m_budget;
  u64 m_max_inodes;
  u64 m_inodes_used = 0;
  u64 m_next_ino = 1;
  u64 m_dev;
  std::shared_ptr<Inode> m_root;
};

class TmpfsInode final : public Inode {
 public:
  TmpfsInode(Tmpfs& fs, u64 ino, u32 mode, const Credentials& cred);
  ~TmpfsInode() override;

  // Makes a new inode of `fs` (ENOSPC past its inode limit).
  static Result<std::shared_ptr<TmpfsInode>> make(Tmpfs& fs, u32 mode, const Credentials& cred);

  Result<abi::Stat> stat() override;
  Result<std::shared_ptr<Inode>> lookup(const Caller& caller, const std::string& name) override;
  Result<std::vector<DirEntry>> list(const Caller& caller) override;
  Result<std::shared_ptr<Inode>> create(const std::string& name, u32 mode, u64 rdev,
                                        const Credentials& cred) override;
  Result<std::shared_ptr<Inode>> symlink(const std::string& name, const std::string& target,
                                         const Credentials& cred) override;
  Result<std::shared_ptr<Inode>> create_unnamed(u32 mode, const Credentials& cred) override;
  Result<void> link(const std::string& name, Inode& target) override;
  Result<void> unlink(const std::string& name) override;
  Result<void> rmdir(const std::string& name) override;
  Result<void> rename(const std::string& name, Inode& new_dir, const std::string& new_name,
                      u32 flags) override;
  Result<LinkTarget> read_link(const Caller& caller) override;
  Result<void> set_attributes(const AttrChange& change) override;
  Result<std::shared_ptr<File>> open(const Caller& caller, const std::string& path,
                                     u64 flags) override;

  u32 type() const { return m_mode & abi::kS_IFMT; }
  bool is_directory() const { return type() == abi::kS_IFDIR; }
  // A regular file's pages (created with the file); the mm maps this for MAP_SHARED.
  std::shared_ptr<mm::MemoryObject> object() const { return m_object; }
  // Seals (memfd's F_ADD_SEALS). A tmpfs file not made by memfd_create starts sealed with
  // F_SEAL_SEAL, as on Linux.
  u32 seals() const { return m_seals; }
  void add_seals(u32 seals) { m_seals |= seals; }
  // Marks the file as a memfd: its object is of kind Memfd.
  void make_memfd(u32 initial_seals);

  // The data of a regular file, through the checks seals and the size limit make.
  Result<u64> read(std::span<u8> out, u64 offset);
  Result<u64> write(std::span<const u8> in, u64 offset);
  Result<void> truncate(u64 size);
  Result<void> fallocate(int mode, u64 offset, u64 length);
  // SEEK_DATA / SEEK_HOLE from `offset`.
  Result<u64> seek_data(u64 offset, bool hole);
  u64 size() const;
  void touch_modified();  // mtime and ctime to now
  void touch_accessed();  // atime, the relatime way
  u64 nlink() const { return m_nlink; }
  // Whether an unnamed file may be given a name (O_TMPFILE without O_EXCL: I_LINKABLE).
  bool linkable() const { return m_linkable; }
  void set_linkable(bool linkable) { m_linkable = linkable; }

 private:
  Tmpfs& tmpfs() const { return static_cast<Tmpfs&>(filesystem()); }
  Result<std::shared_ptr<TmpfsInode>> child(const std::string& name) const;
  Result<void> add_child(const std::string& name, std::shared_ptr<TmpfsInode> inode);
  void remove_child(const std::string& name);
  void inherit_owner(TmpfsInode& inode, const Credentials& cred) const;

  u64 m_ino;
  u32 m_mode;
  u32 m_uid, m_gid;
  u64 m_nlink = 1;
  u64 m_rdev = 0;
  abi::Timespec m_atime, m_mtime, m_ctime;
  u32 m_seals = kF_SEAL_SEAL;
  bool m_linkable = false;
  std::map<std::string, std::shared_ptr<TmpfsInode>> m_children;  // directories
  TmpfsInode* m_parent = nullptr;                                 // directories: for ".."
  std::string m_target;                                           // symlinks
  std::shared_ptr<mm::MemoryObject> m_object;                     // regular files
};

}  // namespace kernel::fs
