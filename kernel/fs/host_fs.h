// The host view: a host directory tree served as a guest filesystem (the guest's "/", and
// each `--bind HOST:GUEST[:rw]`). Every inode holds an O_PATH|O_NOFOLLOW handle, and a
// lookup opens one component relative to its directory's handle, so the host kernel never
// resolves a path for us; path.cpp follows symlinks and ".." itself, which is what keeps
// the guest inside (see path.h).
//
// It is read-only unless mounted writable (an explicit `:rw` bind). Even then, every change
// is made relative to a handle the walk produced (mkdirat / unlinkat / renameat2 on the
// parent's handle, O_NOFOLLOW opens, attribute changes through /proc/self/fd of the
// entry's own handle), so no name is ever resolved again by the host.
#pragma once

#include <memory>
#include <string>

#include "kernel/fs/filesystem.h"
#include "kernel/fs/host_file.h"

namespace kernel::fs {

enum class HostAccess : u8 { ReadOnly, ReadWrite };

class HostFilesystem final : public Filesystem {
 public:
  // Serves the host directory `host_root` (trusted: it comes from the command line).
  // `memory` holds the page caches of the files it serves, which read() and write() keep
  // coherent with.
  static Result<std::shared_ptr<HostFilesystem>> open(const std::string& host_root,
                                                      HostAccess access, mm::MemoryManager& memory);

  const char* type_name() const override { return "hostfs"; }
  std::shared_ptr<Inode> root() override { return m_root; }
  Result<Statfs> statfs() override;
  bool read_only() const override { return m_access == HostAccess::ReadOnly; }
  mm::MemoryManager& memory() const { return m_memory; }

 private:
  HostFilesystem(HostAccess access, mm::MemoryManager& memory)
      : m_access(access), m_memory(memory) {}

  HostAccess m_access;
  mm::MemoryManager& m_memory;
  std::shared_ptr<Inode> m_root;
};

class HostInode final : public Inode {
 public:
  // `is_root`: the filesystem's root, whose ".." entry must not reveal the host's parent.
  HostInode(HostFilesystem& fs, HostFd handle, bool is_root);

  int handle() const { return m_handle.get(); }

  Result<abi::Stat> stat() override;
  Result<std::shared_ptr<Inode>> lookup(const Caller& caller, const std::string& name) override;
  Result<std::vector<DirEntry>> list(const Caller& caller) override;
  Result<std::shared_ptr<Inode>> create(const std::string& name, u32 mode, u64 rdev,
                                        const Credentials& cred) override;
  Result<std::shared_ptr<Inode>> symlink(const std::string& name, const std::string& target,
                                         const Credentials& cred) override;
  Result<void> link(const std::string& name, Inode& target) override;
  Result<void> unlink(const std::string& name) override;
  Result<void> rmdir(const std::string& name) override;
  Result<void> rename(const std::string& name, Inode& new_dir, const std::string& new_name,
                      u32 flags) override;
  Result<LinkTarget> read_link(const Caller& caller) override;
  Result<void> set_attributes(const AttrChange& change) override;
  Result<std::shared_ptr<File>> open(const Caller& caller, const std::string& path,
                                     u64 flags) override;

 private:
  HostFilesystem& host_fs() const { return static_cast<HostFilesystem&>(filesystem()); }

  HostFd m_handle;
  bool m_is_root;
};

}  // namespace kernel::fs
