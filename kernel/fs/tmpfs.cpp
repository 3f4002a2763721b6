#include "kernel/fs/tmpfs.h"

#include <algorithm>
#include <utility>

#include "kernel/fs/devices.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::fs {

using abi::Errno;

namespace {

constexpr u64 kBogoDirentSize = 20;    // Linux's tmpfs counts this per entry in a dir's size
constexpr u64 kShortSymlinkLen = 128;  // shorter targets live in the inode, longer in a page
constexpr int kFALLOC_FL_KEEP_SIZE = 1, kFALLOC_FL_PUNCH_HOLE = 2;
constexpr int kSEEK_DATA = 3, kSEEK_HOLE = 4;

bool before_or_equal(const abi::Timespec& a, const abi::Timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

// An open tmpfs regular file (or memfd).
class TmpfsFile final : public File {
 public:
  TmpfsFile(std::shared_ptr<TmpfsInode> inode, std::string path)
      : m_inode(std::move(inode)), m_path(std::move(path)) {}

  Result<u64> read(std::span<u8> buf) override {
    const u64 n = TRY(m_inode->read(buf, m_offset));
    m_offset += n;
    return n;
  }
  Result<u64> pread(std::span<u8> buf, u64 offset) override { return m_inode->read(buf, offset); }
  Result<u64> write(std::span<const u8> buf) override {
    if (status_flags & abi::kO_APPEND) m_offset = m_inode->size();
    const u64 n = TRY(m_inode->write(buf, m_offset));
    m_offset += n;
    return n;
  }
  Result<u64> pwrite(std::span<const u8> buf, u64 offset) override {
    // Linux's pwrite on an O_APPEND file appends, whatever the offset.
    if (status_flags & abi::kO_APPEND) offset = m_inode->size();
    return m_inode->write(buf, offset);
  }
  Result<u64> seek(i64 offset, int whence) override {
    i64 base;
    switch (whence) {
      case abi::kSEEK_SET:
        base = 0;
        break;
      case abi::kSEEK_CUR:
        base = static_cast<i64>(m_offset);
        break;
      case abi::kSEEK_END:
        base = static_cast<i64>(m_inode->size());
        break;
      case kSEEK_DATA:
      case kSEEK_HOLE:
        if (offset < 0) return Errno::kENXIO;
        m_offset = TRY(m_inode->seek_data(static_cast<u64>(offset), whence == kSEEK_HOLE));
        return m_offset;
      default:
        return Errno::kEINVAL;
    }
    i64 target;
    if (__builtin_add_overflow(base, offset, &target) || target < 0) return Errno::kEINVAL;
    m_offset = static_cast<u64>(target);
    return m_offset;
  }
  Result<void> stat(abi::Stat& out) override {
    out = TRY(m_inode->stat());
    return {};
  }
  bool mappable() const override { return true; }
  Result<std::shared_ptr<mm::MemoryObject>> memory_object(mm::MemoryManager&) override {
    return m_inode->object();
  }
  Result<void> check_shared_writable_map() override {
    // shmem_mmap: a file sealed against writes cannot be mapped shared and writable.
    if (m_inode->seals() & (kF_SEAL_WRITE | kF_SEAL_FUTURE_WRITE)) return Errno::kEPERM;
    return {};
  }
  std::string path() const override {
    // As Linux's d_path of an unlinked file; a memfd's name already says "(deleted)".
    if (m_inode->nlink() == 0 && m_path.find(" (deleted)") == std::string::npos)
      return m_path + " (deleted)";
    return m_path;
  }
  std::shared_ptr<Inode> inode() const override { return m_inode; }

 private:
  std::shared_ptr<TmpfsInode> m_inode;
  std::string m_path;
  u64 m_offset = 0;
};

}  // namespace

Tmpfs::Tmpfs(mm::MemoryManager& memory, TmpfsOptions options)
    : m_memory(memory), m_type_name(options.type_name), m_dev(allocate_anonymous_dev()) {
  const u64 ram_pages = memory.frames().total_frames();
  m_budget.limit = options.max_bytes ? page_round_up(options.max_bytes) >> kPageShift
                                     : std::max<u64>(ram_pages / 2, 1);
  m_max_inodes = options.max_inodes ? options.max_inodes : std::max<u64>(ram_pages / 2, 16);
  auto root = TmpfsInode::make(*this, abi::kS_IFDIR | options.root_mode, Credentials{});
  VERIFY(root.ok());
  m_root = root.release_value();
}

Tmpfs::~Tmpfs() {
  m_root.reset();
}

std::shared_ptr<Inode> Tmpfs::root() {
  return m_root;
}

Result<u64> Tmpfs::charge_inode() {
  if (m_inodes_used >= m_max_inodes) return Errno::kENOSPC;
  ++m_inodes_used;
  return m_next_ino++;
}

Result<Statfs> Tmpfs::statfs() {
  Statfs out{};
  out.f_type = kTMPFS_MAGIC;
  out.f_bsize = kPageSize;
  out.f_frsize = kPageSize;
  out.f_blocks = m_budget.limit;
  out.f_bfree = m_budget.limit - std::min(m_budget.used, m_budget.limit);
  out.f_bavail = out.f_bfree;
  out.f_files = m_max_inodes;
  out.f_ffree = m_max_inodes - m_inodes_used;
  out.f_fsid[0] = static_cast<i32>(m_dev);
  out.f_namelen = 255;
  out.f_flags = kST_VALID;
  return out;
}

TmpfsInode::TmpfsInode(Tmpfs& fs, u64 ino, u32 mode, const Credentials& cred)
    : Inode(fs), m_ino(ino), m_mode(mode), m_uid(cred.fsuid), m_gid(cred.fsgid) {
  m_atime = m_mtime = m_ctime = current_time();
  if (is_directory()) m_nlink = 2;
  if (type() == abi::kS_IFREG)
    m_object = std::make_shared<mm::MemoryObject>(fs.memory(), mm::ObjectKind::Tmpfs, &fs.budget());
}

TmpfsInode::~TmpfsInode() {
  // Children go first (recursively), each returning its inode to the count.
  m_children.clear();
  m_object.reset();
  tmpfs().release_inode();
}

Result<std::shared_ptr<TmpfsInode>> TmpfsInode::make(Tmpfs& fs, u32 mode, const Credentials& cred) {
  const u64 ino = TRY(fs.charge_inode());
  return std::make_shared<TmpfsInode>(fs, ino, mode, cred);
}

void TmpfsInode::make_memfd(u32 initial_seals) {
  m_object = std::make_shared<mm::MemoryObject>(tmpfs().memory(), mm::ObjectKind::Memfd,
                                                &tmpfs().budget());
  m_seals = initial_seals;
  m_nlink = 0;
}

u64 TmpfsInode::size() const {
  switch (type()) {
    case abi::kS_IFREG:
      return m_object->size();
    case abi::kS_IFDIR:
      return (m_children.size() + 2) * kBogoDirentSize;
    case abi::kS_IFLNK:
      return m_target.size();
    default:
      return 0;
  }
}

void TmpfsInode::touch_modified() {
  m_mtime = m_ctime = current_time();
}

void TmpfsInode::touch_accessed() {
  // relatime: only when the last access is older than the last change.
  if (before_or_equal(m_atime, m_mtime) || before_or_equal(m_atime, m_ctime))
    m_atime = current_time();
}

Result<abi::Stat> TmpfsInode::stat() {
  abi::Stat st{};
  st.st_dev = tmpfs().dev();
  st.st_ino = m_ino;
  st.st_nlink = m_nlink;
  st.st_mode = m_mode;
  st.st_uid = m_uid;
  st.st_gid = m_gid;
  st.st_rdev = m_rdev;
  st.st_size = static_cast<i64>(size());
  st.st_blksize = kPageSize;
  if (m_object) {
    st.st_blocks = static_cast<i64>((m_object->resident_pages() + m_object->swapped_pages()) *
                                    (kPageSize / 512));
  } else if (type() == abi::kS_IFLNK && m_target.size() >= kShortSymlinkLen) {
    st.st_blocks = kPageSize / 512;
  }
  st.st_atim = m_atime;
  st.st_mtim = m_mtime;
  st.st_ctim = m_ctime;
  return st;
}

Result<std::shared_ptr<TmpfsInode>> TmpfsInode::child(const std::string& name) const {
  if (!is_directory()) return Errno::kENOTDIR;
  auto it = m_children.find(name);
  if (it == m_children.end()) return Errno::kENOENT;
  return it->second;
}

Result<std::shared_ptr<Inode>> TmpfsInode::lookup(const Caller&, const std::string& name) {
  return std::shared_ptr<Inode>(TRY(child(name)));
}

Result<std::vector<DirEntry>> TmpfsInode::list(const Caller&) {
  if (!is_directory()) return Errno::kENOTDIR;
  std::vector<DirEntry> out;
  out.reserve(m_children.size() + 2);
  out.push_back({m_ino, kDT_DIR, "."});
  out.push_back({m_parent ? m_parent->m_ino : m_ino, kDT_DIR, ".."});
  for (const auto& [name, inode] : m_children)
    out.push_back({inode->m_ino, dirent_type(inode->m_mode), name});
  return out;
}

Result<void> TmpfsInode::add_child(const std::string& name, std::shared_ptr<TmpfsInode> inode) {
  if (!is_directory()) return Errno::kENOTDIR;
  if (m_children.count(name)) return Errno::kEEXIST;
  if (inode->is_directory()) {
    inode->m_parent = this;
    ++m_nlink;
  }
  m_children.emplace(name, std::move(inode));
  touch_modified();
  return {};
}

void TmpfsInode::remove_child(const std::string& name) {
  auto it = m_children.find(name);
  if (it == m_children.end()) return;
  if (it->second->is_directory()) --m_nlink;
  m_children.erase(it);
  touch_modified();
}

// inode_init_owner(): in a set-group-ID directory a new inode takes the directory's group,
// a new directory the set-group-ID bit too, and a group-executable set-group-ID file keeps
// that bit only if its creator is in the group or holds CAP_FSETID.
void TmpfsInode::inherit_owner(TmpfsInode& inode, const Credentials& cred) const {
  constexpr u32 kSetgid = 02000, kGroupExec = 010;
  if (!(m_mode & kSetgid)) return;
  inode.m_gid = m_gid;
  if (inode.is_directory())
    inode.m_mode |= kSetgid;
  else if ((inode.m_mode & (kSetgid | kGroupExec)) == (kSetgid | kGroupExec) &&
           !in_group(cred, m_gid) && !capable(cred, cap::kFsetid))
    inode.m_mode &= ~kSetgid;
}

Result<std::shared_ptr<Inode>> TmpfsInode::create(const std::string& name, u32 mode, u64 rdev,
                                                  const Credentials& cred) {
  if (!is_directory()) return Errno::kENOTDIR;
  auto inode = TRY(make(tmpfs(), mode, cred));
  inherit_owner(*inode, cred);
  inode->m_rdev = rdev;
  TRY(add_child(name, inode));
  return std::shared_ptr<Inode>(inode);
}

Result<std::shared_ptr<Inode>> TmpfsInode::symlink(const std::string& name,
                                                   const std::string& target,
                                                   const Credentials& cred) {
  if (!is_directory()) return Errno::kENOTDIR;
  // A long target takes a page of the filesystem's budget, as in Linux's shmem.
  mm::PageBudget& budget = tmpfs().budget();
  const bool needs_page = target.size() >= kShortSymlinkLen;
  if (needs_page && budget.used >= budget.limit) return Errno::kENOSPC;
  auto inode = TRY(make(tmpfs(), abi::kS_IFLNK | 0777, cred));
  inherit_owner(*inode, cred);
  inode->m_target = target;
  TRY(add_child(name, inode));
  if (needs_page) ++budget.used;
  return std::shared_ptr<Inode>(inode);
}

Result<std::shared_ptr<Inode>> TmpfsInode::create_unnamed(u32 mode, const Credentials& cred) {
  if (!is_directory()) return Errno::kENOTDIR;
  auto inode = TRY(make(tmpfs(), abi::kS_IFREG | (mode & 07777), cred));
  inherit_owner(*inode, cred);
  inode->m_nlink = 0;
  return std::shared_ptr<Inode>(inode);
}

Result<void> TmpfsInode::link(const std::string& name, Inode& target) {
  auto& other = static_cast<TmpfsInode&>(target);
  TRY(add_child(name, std::static_pointer_cast<TmpfsInode>(other.shared_from_this())));
  ++other.m_nlink;
  other.m_ctime = current_time();
  return {};
}

Result<void> TmpfsInode::unlink(const std::string& name) {
  auto inode = TRY(child(name));
  if (inode->is_directory()) return Errno::kEISDIR;
  remove_child(name);
  --inode->m_nlink;
  inode->m_ctime = m_mtime;
  if (inode->type() == abi::kS_IFLNK && inode->m_nlink == 0 &&
      inode->m_target.size() >= kShortSymlinkLen)
    --tmpfs().budget().used;
  return {};
}

Result<void> TmpfsInode::rmdir(const std::string& name) {
  auto inode = TRY(child(name));
  if (!inode->is_directory()) return Errno::kENOTDIR;
  if (!inode->m_children.empty()) return Errno::kENOTEMPTY;
  remove_child(name);
  inode->m_nlink = 0;
  inode->m_parent = nullptr;
  inode->m_ctime = m_mtime;
  return {};
}

Result<void> TmpfsInode::rename(const std::string& name, Inode& new_dir_inode,
                                const std::string& new_name, u32 flags) {
  auto& new_dir = static_cast<TmpfsInode&>(new_dir_inode);
  if (!is_directory() || !new_dir.is_directory()) return Errno::kENOTDIR;
  auto moving = TRY(child(name));
  auto existing = new_dir.child(new_name);
  if (!existing.ok() && existing.error() != Errno::kENOENT) return existing.error();
  std::shared_ptr<TmpfsInode> target = existing.ok() ? existing.value() : nullptr;
  const abi::Timespec now = current_time();

  if (flags & kRENAME_EXCHANGE) {
    if (!target) return Errno::kENOENT;
    if (target == moving) return {};
    m_children[name] = target;
    new_dir.m_children[new_name] = moving;
    if (moving->is_directory() != target->is_directory()) {
      // A directory changes parents: the ".." links move with it.
      if (moving->is_directory()) {
        --m_nlink, ++new_dir.m_nlink;
      } else {
        ++m_nlink, --new_dir.m_nlink;
      }
    }
    if (moving->is_directory()) moving->m_parent = &new_dir;
    if (target->is_directory()) target->m_parent = this;
    moving->m_ctime = target->m_ctime = now;
    m_mtime = m_ctime = new_dir.m_mtime = new_dir.m_ctime = now;
    return {};
  }
  if (target) {
    if (flags & kRENAME_NOREPLACE) return Errno::kEEXIST;
    if (target == moving) return {};  // two names of one inode: nothing happens
    if (moving->is_directory()) {
      if (!target->is_directory()) return Errno::kENOTDIR;
      if (!target->m_children.empty()) return Errno::kENOTEMPTY;
    } else if (target->is_directory()) {
      return Errno::kEISDIR;
    }
  }
  // Take the moving entry out first, then replace whatever the new name held.
  m_children.erase(name);
  if (moving->is_directory()) --m_nlink;
  if (target) {
    new_dir.m_children.erase(new_name);
    if (target->is_directory()) {
      --new_dir.m_nlink;
      target->m_nlink = 0;
      target->m_parent = nullptr;
    } else {
      --target->m_nlink;
    }
    target->m_ctime = now;
  }
  new_dir.m_children.emplace(new_name, moving);
  if (moving->is_directory()) {
    ++new_dir.m_nlink;
    moving->m_parent = &new_dir;
  }
  moving->m_ctime = now;
  m_mtime = m_ctime = new_dir.m_mtime = new_dir.m_ctime = now;
  return {};
}

Result<LinkTarget> TmpfsInode::read_link(const Caller&) {
  if (type() != abi::kS_IFLNK) return Errno::kEINVAL;
  touch_accessed();
  return LinkTarget{m_target, nullptr};
}

Result<void> TmpfsInode::set_attributes(const AttrChange& change) {
  if (change.size) TRY(truncate(*change.size));
  if (change.mode) m_mode = (m_mode & abi::kS_IFMT) | (*change.mode & 07777);
  if (change.uid) m_uid = *change.uid;
  if (change.gid) m_gid = *change.gid;
  if (change.atime) m_atime = *change.atime;
  if (change.mtime) m_mtime = *change.mtime;
  m_ctime = current_time();
  return {};
}

Result<std::shared_ptr<File>> TmpfsInode::open(const Caller& caller, const std::string& path,
                                               u64 flags) {
  auto self = std::static_pointer_cast<TmpfsInode>(shared_from_this());
  if (flags & abi::kO_PATH) return std::shared_ptr<File>(std::make_shared<PathFile>(self, path));
  switch (type()) {
    case abi::kS_IFDIR:
      return std::shared_ptr<File>(std::make_shared<DirectoryFile>(self, path, caller));
    case abi::kS_IFREG:
      // Seals stop writes, not opens for writing (Linux checks them at write and mmap).
      return std::shared_ptr<File>(std::make_shared<TmpfsFile>(self, path));
    case abi::kS_IFCHR:
      return open_device(self, m_rdev, path);
    case abi::kS_IFLNK:
      return Errno::kELOOP;
    default:
      return Errno::kENXIO;
  }
}

Result<u64> TmpfsInode::read(std::span<u8> out, u64 offset) {
  if (!m_object) return Errno::kEINVAL;
  const u64 n = TRY(m_object->read(out, offset));
  touch_accessed();
  return n;
}

Result<u64> TmpfsInode::write(std::span<const u8> in, u64 offset) {
  if (!m_object) return Errno::kEINVAL;
  if (m_seals & (kF_SEAL_WRITE | kF_SEAL_FUTURE_WRITE)) return Errno::kEPERM;
  if (in.empty()) return 0;
  if ((m_seals & kF_SEAL_GROW) && offset + in.size() > m_object->size()) return Errno::kEPERM;
  const u64 n = TRY(m_object->write(in, offset));
  touch_modified();
  return n;
}

Result<void> TmpfsInode::truncate(u64 new_size) {
  if (type() == abi::kS_IFDIR) return Errno::kEISDIR;
  if (!m_object) return Errno::kEINVAL;
  const u64 old_size = m_object->size();
  if (new_size < old_size && (m_seals & kF_SEAL_SHRINK)) return Errno::kEPERM;
  if (new_size > old_size && (m_seals & kF_SEAL_GROW)) return Errno::kEPERM;
  TRY(m_object->resize(new_size));
  // Linux changes the times only when the size changes (shmem_setattr).
  if (new_size != old_size) touch_modified();
  return {};
}

Result<void> TmpfsInode::fallocate(int mode, u64 offset, u64 length) {
  if (!m_object) return Errno::kENODEV;
  if (mode & ~(kFALLOC_FL_KEEP_SIZE | kFALLOC_FL_PUNCH_HOLE)) return Errno::kEOPNOTSUPP;
  if (mode & kFALLOC_FL_PUNCH_HOLE) {
    if (m_seals & (kF_SEAL_WRITE | kF_SEAL_FUTURE_WRITE)) return Errno::kEPERM;
    TRY(m_object->punch_hole(offset, length));
    touch_modified();
    return {};
  }
  const bool keep_size = mode & kFALLOC_FL_KEEP_SIZE;
  if (!keep_size && (m_seals & kF_SEAL_GROW) && offset + length > m_object->size())
    return Errno::kEPERM;
  // Fails with ENOSPC before taking anything when the budget cannot hold the range.
  mm::PageBudget& budget = tmpfs().budget();
  const u64 first = offset >> kPageShift;
  const u64 end = page_round_up(offset + length) >> kPageShift;
  u64 missing = 0;
  for (u64 index = first; index < end && missing <= budget.limit; ++index)
    if (!m_object->find_page(index)) ++missing;
  if (missing > budget.limit - std::min(budget.used, budget.limit)) return Errno::kENOSPC;
  TRY(m_object->allocate(offset, length, keep_size));
  if (!keep_size)
    touch_modified();
  else
    m_ctime = current_time();
  return {};
}

Result<u64> TmpfsInode::seek_data(u64 offset, bool hole) {
  const u64 size = m_object ? m_object->size() : 0;
  if (offset >= size) return Errno::kENXIO;
  const u64 index = offset >> kPageShift;
  const u64 last = (size - 1) >> kPageShift;
  if (!hole) {
    if (m_object->find_page(index)) return offset;
    auto next = m_object->next_page(index);
    if (!next || *next > last) return Errno::kENXIO;
    return *next << kPageShift;
  }
  // The first page from `index` that holds nothing, or the end of the file.
  u64 at = index;
  while (at <= last) {
    auto next = m_object->next_page(at);
    if (!next || *next != at) break;
    ++at;
  }
  if (at > last) return size;
  return std::max(offset, at << kPageShift);
}

}  // namespace kernel::fs
