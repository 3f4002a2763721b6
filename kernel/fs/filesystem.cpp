#include "kernel/fs/filesystem.h"

#include <time.h>

#include <atomic>
#include <utility>

#include "kernel/fs/vfs.h"

namespace kernel::fs {

using abi::Errno;

// The defaults: what Linux answers when the inode is not a directory (or not a symlink).
Result<std::shared_ptr<Inode>> Inode::lookup(const Caller&, const std::string&) {
  return Errno::kENOTDIR;
}
Result<std::vector<DirEntry>> Inode::list(const Caller&) {
  return Errno::kENOTDIR;
}
Result<std::shared_ptr<Inode>> Inode::create(const std::string&, u32, u64, const Credentials&) {
  return Errno::kENOTDIR;
}
Result<std::shared_ptr<Inode>> Inode::symlink(const std::string&, const std::string&,
                                              const Credentials&) {
  return Errno::kENOTDIR;
}
Result<std::shared_ptr<Inode>> Inode::create_unnamed(u32, const Credentials&) {
  return Errno::kEOPNOTSUPP;
}
Result<void> Inode::link(const std::string&, Inode&) {
  return Errno::kENOTDIR;
}
Result<void> Inode::unlink(const std::string&) {
  return Errno::kENOTDIR;
}
Result<void> Inode::rmdir(const std::string&) {
  return Errno::kENOTDIR;
}
Result<void> Inode::rename(const std::string&, Inode&, const std::string&, u32) {
  return Errno::kENOTDIR;
}
Result<LinkTarget> Inode::read_link(const Caller&) {
  return Errno::kEINVAL;
}
Result<void> Inode::set_attributes(const AttrChange&) {
  return Errno::kEPERM;
}

u64 allocate_anonymous_dev() {
  static std::atomic<u64> next{40};
  return encode_dev(0, next++);
}

Result<void> check_permission(const abi::Stat& st, int mode, const Credentials& cred) {
  return inode_permission(cred, st.st_mode, st.st_uid, st.st_gid, mode);
}

Result<void> prepare_attribute_change(const abi::Stat& st, AttrChange& change,
                                      const Credentials& cred) {
  const bool owner = cred.fsuid == st.st_uid;
  if (change.uid && !(owner && *change.uid == st.st_uid) && !capable(cred, cap::kChown))
    return Errno::kEPERM;
  if (change.gid && !(owner && (*change.gid == st.st_gid || in_group(cred, *change.gid))) &&
      !capable(cred, cap::kChown))
    return Errno::kEPERM;
  if (change.mode) {
    if (!owner_or_capable(cred, st.st_uid)) return Errno::kEPERM;
    constexpr u32 kSetgid = 02000;
    const u32 gid = change.gid ? *change.gid : st.st_gid;
    if (!in_group(cred, gid) && !capable(cred, cap::kFsetid)) *change.mode &= ~kSetgid;
  }
  const bool sets_times = !change.size && (change.atime || change.mtime);
  if (sets_times && !owner_or_capable(cred, st.st_uid)) {
    if (!change.touch) return Errno::kEPERM;
    TRY(check_permission(st, kW_OK, cred));
  }
  return {};
}

abi::Timespec current_time() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return {now.tv_sec, now.tv_nsec};
}

DirectoryFile::DirectoryFile(std::shared_ptr<Inode> inode, std::string path, const Caller& caller)
    : m_inode(std::move(inode)),
      m_path(std::move(path)),
      m_fs(caller.fs),
      m_pid(caller.pid),
      m_exe(caller.exe_path),
      m_fds(caller.fds),
      m_cred(caller.cred) {
  status_flags = abi::kO_RDONLY | abi::kO_LARGEFILE | abi::kO_DIRECTORY;
}

Result<u64> DirectoryFile::read(std::span<u8>) {
  return Errno::kEISDIR;
}

Result<u64> DirectoryFile::pread(std::span<u8>, u64) {
  return Errno::kEISDIR;
}

Result<u64> DirectoryFile::seek(i64 offset, int whence) {
  i64 target;
  switch (whence) {
    case abi::kSEEK_SET:
      target = offset;
      break;
    case abi::kSEEK_CUR:
      if (__builtin_add_overflow(static_cast<i64>(m_position), offset, &target))
        return Errno::kEINVAL;
      break;
    default:
      return Errno::kEINVAL;
  }
  if (target < 0) return Errno::kEINVAL;
  if (target == 0) m_loaded = false;  // rewinddir(): the directory as it is now
  m_position = static_cast<u64>(target);
  return m_position;
}

Result<void> DirectoryFile::stat(abi::Stat& out) {
  out = TRY(m_inode->stat());
  return {};
}

Result<u64> DirectoryFile::getdents64(std::span<u8> buf) {
  if (!m_loaded) {
    const Caller caller{m_fs, m_pid, m_exe, m_fds, m_cred};
    m_entries = TRY(m_inode->list(caller));
    m_loaded = true;
  }
  return encode_dirents(buf, m_entries, m_position);
}

PathFile::PathFile(std::shared_ptr<Inode> inode, std::string path)
    : m_inode(std::move(inode)), m_path(std::move(path)) {
  status_flags = abi::kO_PATH;
}

Result<void> PathFile::stat(abi::Stat& out) {
  out = TRY(m_inode->stat());
  return {};
}

}  // namespace kernel::fs
