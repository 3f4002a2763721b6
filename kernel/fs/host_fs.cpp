#include "kernel/fs/host_fs.h"

#include <utility>

namespace kernel::fs {

using abi::Errno;

namespace {

bool wants_write(u64 flags) {
  return (flags & abi::kO_ACCMODE) != abi::kO_RDONLY;
}

}  // namespace

Result<std::shared_ptr<HostFilesystem>> HostFilesystem::open(const std::string& host_root,
                                                             HostAccess access,
                                                             mm::MemoryManager& memory) {
  HostFd handle = TRY(host::open_directory_handle(host_root));
  std::shared_ptr<HostFilesystem> fs(new HostFilesystem(access, memory));
  fs->m_root = std::make_shared<HostInode>(*fs, std::move(handle), true);
  return fs;
}

Result<Statfs> HostFilesystem::statfs() {
  const auto& root = static_cast<const HostInode&>(*m_root);
  const host::StatfsFields f = TRY(host::statfs(root.handle()));
  Statfs out{};
  out.f_type = f.type;
  out.f_bsize = f.bsize;
  out.f_blocks = f.blocks;
  out.f_bfree = f.bfree;
  out.f_bavail = f.bavail;
  out.f_files = f.files;
  out.f_ffree = f.ffree;
  out.f_namelen = f.namelen;
  out.f_frsize = f.frsize;
  out.f_flags = f.flags | kST_VALID | (read_only() ? kST_RDONLY : 0);
  return out;
}

HostInode::HostInode(HostFilesystem& fs, HostFd handle, bool is_root)
    : Inode(fs), m_handle(std::move(handle)), m_is_root(is_root) {}

Result<abi::Stat> HostInode::stat() {
  return host::stat(m_handle.get());
}

Result<std::shared_ptr<Inode>> HostInode::lookup(const Caller&, const std::string& name) {
  HostFd child = TRY(host::open_at(m_handle.get(), name, host::OpenMode::Handle));
  return std::shared_ptr<Inode>(std::make_shared<HostInode>(host_fs(), std::move(child), false));
}

Result<std::vector<DirEntry>> HostInode::list(const Caller&) {
  // Through the entry's own handle: no second lookup by name that could be raced.
  HostFd dir = TRY(host::open_at(m_handle.get(), ".", host::OpenMode::Directory));
  std::vector<DirEntry> entries = TRY(host::list_directory(dir.get()));
  if (m_is_root) {
    // At the root, ".." is the root itself, as on Linux; the host's parent stays hidden.
    u64 self_ino = 0;
    for (const DirEntry& e : entries)
      if (e.name == ".") self_ino = e.ino;
    for (DirEntry& e : entries)
      if (e.name == "..") e.ino = self_ino;
  }
  return entries;
}

Result<std::shared_ptr<Inode>> HostInode::create(const std::string& name, u32 mode, u64,
                                                 const Credentials&) {
  TRY(host::make_entry(m_handle.get(), name, mode));
  return lookup(Caller{FsContext{}, 0, {}}, name);
}

Result<std::shared_ptr<Inode>> HostInode::symlink(const std::string& name,
                                                  const std::string& target, const Credentials&) {
  TRY(host::make_symlink(m_handle.get(), name, target));
  return lookup(Caller{FsContext{}, 0, {}}, name);
}

Result<void> HostInode::link(const std::string& name, Inode& target) {
  return host::make_link(static_cast<HostInode&>(target).handle(), m_handle.get(), name);
}

Result<void> HostInode::unlink(const std::string& name) {
  return host::remove(m_handle.get(), name, host::RemoveKind::File);
}

Result<void> HostInode::rmdir(const std::string& name) {
  return host::remove(m_handle.get(), name, host::RemoveKind::Directory);
}

Result<void> HostInode::rename(const std::string& name, Inode& new_dir, const std::string& new_name,
                               u32 flags) {
  return host::rename(m_handle.get(), name, static_cast<HostInode&>(new_dir).handle(), new_name,
                      flags);
}

Result<LinkTarget> HostInode::read_link(const Caller&) {
  const abi::Stat st = TRY(stat());
  if ((st.st_mode & abi::kS_IFMT) != abi::kS_IFLNK) return Errno::kEINVAL;
  return LinkTarget{TRY(host::read_link(m_handle.get())), nullptr};
}

Result<void> HostInode::set_attributes(const AttrChange& change) {
  const abi::Stat st = TRY(stat());
  const bool is_link = (st.st_mode & abi::kS_IFMT) == abi::kS_IFLNK;
  if (change.uid || change.gid)
    TRY(host::change_owner(m_handle.get(), change.uid.value_or(~0u), change.gid.value_or(~0u)));
  if (change.mode) {
    if (is_link) return Errno::kEOPNOTSUPP;
    TRY(host::change_mode(m_handle.get(), *change.mode));
  }
  if (change.size) {
    HostFd fd = TRY(host::reopen(m_handle.get(), true));
    TRY(host::truncate(fd.get(), *change.size));
  }
  if ((change.atime || change.mtime) && !is_link)
    TRY(host::change_times(m_handle.get(), change.atime ? &*change.atime : nullptr,
                           change.mtime ? &*change.mtime : nullptr));
  return {};
}

Result<std::shared_ptr<File>> HostInode::open(const Caller& caller, const std::string& path,
                                              u64 flags) {
  if (flags & abi::kO_PATH)
    return std::shared_ptr<File>(std::make_shared<PathFile>(shared_from_this(), path));
  const abi::Stat st = TRY(stat());
  switch (st.st_mode & abi::kS_IFMT) {
    case abi::kS_IFDIR:
      return std::shared_ptr<File>(
          std::make_shared<DirectoryFile>(shared_from_this(), path, caller));
    case abi::kS_IFREG: {
      if (wants_write(flags) && host_fs().read_only()) return Errno::kEROFS;
      // The entry's own handle, reopened: no second lookup by name that could be raced.
      HostFd fd = TRY(host::reopen(m_handle.get(), wants_write(flags)));
      return std::shared_ptr<File>(
          std::make_shared<HostFile>(std::move(fd), path, shared_from_this(), &host_fs().memory()));
    }
    case abi::kS_IFSOCK:
      return Errno::kENXIO;  // as Linux's open() of a socket
    default:
      // Host FIFOs and device nodes are not passed through: reading them could block the
      // emulator or reach the host's hardware.
      return Errno::kEACCES;
  }
}

}  // namespace kernel::fs
