#include "kernel/fs/vfs.h"

#include <utility>

#include "kernel/fs/emulated_fs.h"
#include "kernel/fs/tmpfs.h"

namespace kernel::fs {

using abi::Errno;

namespace {

// The open-time flags Linux drops from the file's status flags (F_GETFL never shows them).
constexpr u64 kOpenOnlyFlags =
    abi::kO_CREAT | abi::kO_EXCL | abi::kO_NOCTTY | abi::kO_TRUNC | abi::kO_CLOEXEC;

u64 status_flags_for(u64 flags) {
  if (flags & abi::kO_PATH) return flags & (abi::kO_PATH | abi::kO_DIRECTORY | abi::kO_NOFOLLOW);
  // A 64-bit kernel opens everything O_LARGEFILE.
  return (flags & ~kOpenOnlyFlags) | abi::kO_LARGEFILE;
}

bool wants_write(u64 flags) {
  return (flags & abi::kO_ACCMODE) != abi::kO_RDONLY;
}

int access_mode_for(u64 flags) {
  switch (flags & abi::kO_ACCMODE) {
    case abi::kO_RDONLY:
      return kR_OK;
    case abi::kO_WRONLY:
      return kW_OK;
    default:
      return kR_OK | kW_OK;
  }
}

bool read_only(const Mount* mount) {
  return mount && mount->fs->read_only();
}

// Whether `path` (canonical) is `ancestor` or lies below it.
bool is_within(std::string_view path, std::string_view ancestor) {
  if (ancestor == "/") return true;
  return path == ancestor ||
         (path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
          path[ancestor.size()] == '/');
}

std::shared_ptr<Tmpfs> make_devfs(mm::MemoryManager& memory) {
  TmpfsOptions options;
  options.root_mode = 0755;
  options.type_name = "devtmpfs";
  options.max_inodes = 4096;
  auto devfs = std::make_shared<Tmpfs>(memory, options);
  const Credentials root;
  auto dir = devfs->root();
  struct Device {
    const char* name;
    u32 minor;
  };
  for (const Device& d : {Device{"null", 3}, Device{"zero", 5}, Device{"full", 7},
                          Device{"random", 8}, Device{"urandom", 9}})
    (void)dir->create(d.name, abi::kS_IFCHR | 0666, encode_dev(1, d.minor), root);
  (void)dir->symlink("fd", "/proc/self/fd", root);
  (void)dir->symlink("stdin", "/proc/self/fd/0", root);
  (void)dir->symlink("stdout", "/proc/self/fd/1", root);
  (void)dir->symlink("stderr", "/proc/self/fd/2", root);
  (void)dir->create("shm", abi::kS_IFDIR | 01777, 0, root);
  return devfs;
}

}  // namespace

Vfs::Vfs(mm::MemoryManager& memory, std::string host_root, const std::vector<BindMount>& binds)
    : m_memory(memory), m_host_root(host_root.empty() ? "/" : std::move(host_root)) {
  auto root = HostFilesystem::open(m_host_root, HostAccess::ReadOnly, memory);
  if (!root.ok()) {
    m_root_error = root.error();
    return;
  }
  auto canonical = host::canonical_path(m_host_root);
  m_canonical_root = canonical.ok() ? canonical.release_value() : m_host_root;
  (void)m_mounts.mount("/", root.release_value());
  (void)m_mounts.mount("/proc", std::make_shared<EmulatedFilesystem>(EmulatedTree::Proc));
  (void)m_mounts.mount("/sys", std::make_shared<EmulatedFilesystem>(EmulatedTree::Sys));
  (void)m_mounts.mount("/dev", make_devfs(memory));
  (void)m_mounts.mount("/dev/shm", std::make_shared<Tmpfs>(memory));
  (void)m_mounts.mount("/tmp", std::make_shared<Tmpfs>(memory));
  (void)m_mounts.mount("/run", std::make_shared<Tmpfs>(memory, TmpfsOptions{0, 0, 0755}));
  for (const BindMount& bind : binds) {
    auto fs = HostFilesystem::open(bind.host_path, bind.access, memory);
    if (!fs.ok()) {
      m_root_error = fs.error();
      return;
    }
    const std::string guest = lexically_normal("/", bind.guest_path);
    make_directories(guest);
    (void)m_mounts.mount(guest, fs.release_value());
  }
  m_memfd_fs = std::make_shared<Tmpfs>(memory);
}

Vfs::~Vfs() = default;

void Vfs::make_directories(std::string_view path) {
  // Where a writable filesystem (a tmpfs) lacks a directory on the way, make it, so a bind
  // at /tmp/x/y is reachable; a read-only one must already have it.
  const FsContext context;
  const Caller caller{context, 0, {}};
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string_view prefix = path.substr(0, slash);
    auto found = stat(caller, nullptr, prefix, FollowSymlinks::Yes);
    if (!found.ok() && found.error() == Errno::kENOENT) (void)mkdir(caller, nullptr, prefix, 0755);
    if (slash == std::string_view::npos) break;
  }
}

Result<void> Vfs::root_status() const {
  if (m_root_error != Errno::None) return m_root_error;
  return {};
}

Result<void> Vfs::mount(std::string path, std::shared_ptr<Filesystem> fs) {
  return m_mounts.mount(std::move(path), std::move(fs));
}

Result<Resolved> Vfs::resolve(const Caller& caller, File* at, std::string_view path,
                              FollowSymlinks follow) const {
  TRY(root_status());
  std::string base = "/";
  if (!path.empty() && path[0] != '/') base = at ? TRY(directory_path_of(*at)) : caller.fs.cwd;
  return resolve_path(m_mounts, caller, base, path, follow);
}

Result<Resolved> Vfs::resolve_last(const Caller& caller, File* at, std::string_view path,
                                   LastKind& last_kind, bool& trailing_slash) const {
  if (path.empty()) return Errno::kENOENT;
  if (path.size() >= kPathMax) return Errno::kENAMETOOLONG;
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') --end;
  trailing_slash = end < path.size();
  const std::string_view trimmed = path.substr(0, end);
  const size_t slash = trimmed.rfind('/');
  const std::string_view last =
      slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1);
  last_kind = last.empty()   ? LastKind::Root
              : last == "."  ? LastKind::Dot
              : last == ".." ? LastKind::DotDot
                             : LastKind::Normal;
  if (trimmed == "/") last_kind = LastKind::Root;
  return resolve(caller, at, trimmed, FollowSymlinks::No);
}

Result<void> Vfs::access_entry(const Resolved& entry, int mode, const Credentials& cred) {
  if (mode == kF_OK) return {};
  const u32 type = entry.type();
  // The read-only mount answers first, for the kinds of file it covers (sb_permission).
  if ((mode & kW_OK) && read_only(entry.mount) &&
      (type == abi::kS_IFREG || type == abi::kS_IFDIR || type == abi::kS_IFLNK))
    return Errno::kEROFS;
  // The guest's credentials decide first; for a host file the host then decides what the
  // emulator itself may do, so a guest root gains nothing on the host.
  TRY(check_permission(entry.stat, mode, cred));
  if (auto* host = dynamic_cast<HostInode*>(entry.node.get())) {
    if (!(mode & kW_OK) || !read_only(entry.mount)) return host::access(host->handle(), mode);
  }
  return {};
}

// May `cred` add or remove a name in the directory an entry (or missing entry) lies in?
Result<void> Vfs::may_change_in(const Resolved& entry, const Credentials& cred) {
  if (read_only(entry.exists ? entry.parent_mount : entry.mount)) return Errno::kEROFS;
  if (!entry.parent) return Errno::kEBUSY;
  return check_permission(TRY(entry.parent->stat()), kW_OK | kX_OK, cred);
}

// may_delete(): the directory's write and search permission, then the sticky bit: in a
// sticky directory (/tmp) only the entry's owner, the directory's owner or CAP_FOWNER may
// remove or replace it (EPERM).
Result<void> Vfs::may_delete(const Resolved& entry, const Credentials& cred) {
  TRY(may_change_in(entry, cred));
  const abi::Stat dir = TRY(entry.parent->stat());
  constexpr u32 kSticky = 01000;
  if ((dir.st_mode & kSticky) && !may_bypass_sticky(cred, dir.st_uid, entry.stat.st_uid))
    return Errno::kEPERM;
  return {};
}

Result<std::shared_ptr<File>> Vfs::open(const Caller& caller, File* at, std::string_view path,
                                        u64 flags, u32 mode) {
  if ((flags & abi::kO_TMPFILE) == abi::kO_TMPFILE) {
    // An unnamed regular file in a directory; it needs write access.
    if (!wants_write(flags)) return Errno::kEINVAL;
    Resolved dir = TRY(resolve(caller, at, path, FollowSymlinks::Yes));
    if (!dir.exists) return Errno::kENOENT;
    if (!dir.is_directory()) return Errno::kENOTDIR;
    if (read_only(dir.mount)) return Errno::kEROFS;
    TRY(check_permission(dir.stat, kW_OK | kX_OK, caller.cred));
    auto inode = TRY(dir.node->create_unnamed(mode & ~caller.fs.umask & 07777, caller.cred));
    if (auto* tmp = dynamic_cast<TmpfsInode*>(inode.get()))
      tmp->set_linkable(!(flags & abi::kO_EXCL));
    const abi::Stat st = TRY(inode->stat());
    const std::string name = (dir.path == "/" ? "/#" : dir.path + "/#") + std::to_string(st.st_ino);
    auto file = TRY(inode->open(caller, name, flags & ~abi::kO_DIRECTORY));
    file->status_flags = status_flags_for(flags);
    return file;
  }
  if (flags & abi::kO_PATH) flags &= abi::kO_PATH | abi::kO_DIRECTORY | abi::kO_NOFOLLOW;
  const bool creating = flags & abi::kO_CREAT;
  const bool exclusive = creating && (flags & abi::kO_EXCL);
  if (creating && !path.empty() && path.back() == '/') {
    // O_CREAT never makes a directory: a trailing slash is EISDIR once the parent resolves.
    LastKind last;
    bool trailing_slash;
    TRY(resolve_last(caller, at, path, last, trailing_slash));
    return Errno::kEISDIR;
  }
  // O_CREAT|O_EXCL never follows a final symlink: even a dangling one "exists".
  const FollowSymlinks follow =
      (flags & abi::kO_NOFOLLOW) || exclusive ? FollowSymlinks::No : FollowSymlinks::Yes;
  Resolved entry = TRY(resolve(caller, at, path, follow));
  if (!entry.exists) {
    if (!creating) return Errno::kENOENT;
    TRY(may_change_in(entry, caller.cred));
    const u32 perms = mode & 07777 & ~caller.fs.umask;
    auto inode = TRY(entry.parent->create(entry.name, abi::kS_IFREG | perms, 0, caller.cred));
    auto file = TRY(inode->open(caller, entry.path, flags));
    file->status_flags = status_flags_for(flags);
    return file;
  }
  if (exclusive) return Errno::kEEXIST;
  if (flags & abi::kO_PATH) {
    if ((flags & abi::kO_DIRECTORY) && !entry.is_directory()) return Errno::kENOTDIR;
    auto file = TRY(entry.node->open(caller, entry.path, flags));
    file->status_flags = status_flags_for(flags);
    return file;
  }
  // The checks come in Linux's order (do_open, then may_open, then the read-only mount).
  if (creating && entry.is_directory()) return Errno::kEISDIR;
  if ((flags & abi::kO_DIRECTORY) && !entry.is_directory()) return Errno::kENOTDIR;
  if (entry.is_symlink()) return Errno::kELOOP;  // O_NOFOLLOW met a symlink
  if (entry.is_directory() && wants_write(flags)) return Errno::kEISDIR;
  const bool truncating = (flags & abi::kO_TRUNC) && entry.is_regular();
  if (entry.is_regular() && (wants_write(flags) || truncating) && read_only(entry.mount))
    return Errno::kEROFS;
  // The guest's credentials first; a host file's open is then the host's to refuse.
  TRY(check_permission(entry.stat, access_mode_for(flags) | (truncating ? kW_OK : 0), caller.cred));
  auto file = TRY(entry.node->open(caller, entry.path, flags));
  if (truncating) {
    AttrChange change;
    change.size = 0;
    change.mtime = current_time();
    TRY(entry.node->set_attributes(change));
  }
  file->status_flags = status_flags_for(flags);
  return file;
}

Result<abi::Stat> Vfs::stat(const Caller& caller, File* at, std::string_view path,
                            FollowSymlinks follow) {
  Resolved entry = TRY(resolve(caller, at, path, follow));
  if (!entry.exists) return Errno::kENOENT;
  return entry.stat;
}

Result<std::string> Vfs::readlink(const Caller& caller, File* at, std::string_view path) {
  if (path.empty()) {
    // readlinkat(fd, "", ...) reads the symlink an O_PATH|O_NOFOLLOW fd names.
    if (!at || !at->inode()) return Errno::kENOENT;
    auto target = at->inode()->read_link(caller);
    if (!target.ok()) return target.error() == Errno::kEINVAL ? Errno::kENOENT : target.error();
    return std::move(target.value().text);
  }
  Resolved entry = TRY(resolve(caller, at, path, FollowSymlinks::No));
  if (!entry.exists) return Errno::kENOENT;
  if (!entry.is_symlink()) return Errno::kEINVAL;
  return TRY(entry.node->read_link(caller)).text;
}

Result<void> Vfs::access(const Caller& caller, File* at, std::string_view path, int mode,
                         FollowSymlinks follow) {
  Resolved entry = TRY(resolve(caller, at, path, follow));
  if (!entry.exists) return Errno::kENOENT;
  return access_entry(entry, mode, caller.cred);
}

Result<void> Vfs::access_file(const Caller& caller, File& file, int mode) {
  const std::string path = file.path();
  // A file with no name in our tree (inherited stdio) has nothing read-only about it.
  if (!file.inode()) {
    if (path.empty()) return {};
    Resolved entry = TRY(resolve(caller, nullptr, path, FollowSymlinks::No));
    if (!entry.exists) return Errno::kENOENT;
    return access_entry(entry, mode, caller.cred);
  }
  Resolved entry;
  entry.path = path;
  entry.node = file.inode();
  entry.stat = TRY(entry.node->stat());
  entry.mount = path.empty() || path[0] != '/' ? nullptr : &m_mounts.containing(path);
  return access_entry(entry, mode, caller.cred);
}

Result<std::string> Vfs::directory_path(const Caller& caller, File* at, std::string_view path) {
  Resolved entry = TRY(resolve(caller, at, path, FollowSymlinks::Yes));
  if (!entry.exists) return Errno::kENOENT;
  if (!entry.is_directory()) return Errno::kENOTDIR;
  TRY(access_entry(entry, kX_OK, caller.cred));
  return std::move(entry.path);
}

Result<std::string> Vfs::directory_path_of(File& dir) {
  abi::Stat st{};
  TRY(dir.stat(st));
  std::string path = dir.path();
  if ((st.st_mode & abi::kS_IFMT) != abi::kS_IFDIR || path.empty()) return Errno::kENOTDIR;
  return path;
}

Result<void> Vfs::make_node(const Caller& caller, File* at, std::string_view path, u32 mode,
                            u64 dev) {
  LastKind last;
  bool trailing_slash;
  Resolved entry = TRY(resolve_last(caller, at, path, last, trailing_slash));
  if (entry.exists) return Errno::kEEXIST;
  const bool is_dir = (mode & abi::kS_IFMT) == abi::kS_IFDIR;
  if (trailing_slash && !is_dir) return Errno::kENOENT;
  TRY(may_change_in(entry, caller.cred));
  TRY(entry.parent->create(entry.name, mode, dev, caller.cred));
  return {};
}

Result<void> Vfs::mkdir(const Caller& caller, File* at, std::string_view path, u32 mode) {
  return make_node(caller, at, path, abi::kS_IFDIR | (mode & 07777 & ~caller.fs.umask), 0);
}

Result<void> Vfs::mknod(const Caller& caller, File* at, std::string_view path, u32 mode, u64 dev) {
  const u32 type = mode & abi::kS_IFMT;
  if (type == abi::kS_IFDIR) return Errno::kEPERM;
  const u32 perms = mode & 07777 & ~caller.fs.umask;
  return make_node(caller, at, path, (type ? type : abi::kS_IFREG) | perms, dev);
}

Result<void> Vfs::unlink(const Caller& caller, File* at, std::string_view path) {
  LastKind last;
  bool trailing_slash;
  Resolved entry = TRY(resolve_last(caller, at, path, last, trailing_slash));
  if (last != LastKind::Normal) return Errno::kEISDIR;
  if (!entry.exists) return Errno::kENOENT;
  if (trailing_slash) return entry.is_directory() ? Errno::kEISDIR : Errno::kENOTDIR;
  TRY(may_delete(entry, caller.cred));
  if (entry.is_mount_root()) return Errno::kEBUSY;
  return entry.parent->unlink(entry.name);
}

Result<void> Vfs::rmdir(const Caller& caller, File* at, std::string_view path) {
  LastKind last;
  bool trailing_slash;
  Resolved entry = TRY(resolve_last(caller, at, path, last, trailing_slash));
  switch (last) {
    case LastKind::Dot:
      return Errno::kEINVAL;
    case LastKind::DotDot:
      return Errno::kENOTEMPTY;
    case LastKind::Root:
      return Errno::kEBUSY;
    case LastKind::Normal:
      break;
  }
  if (!entry.exists) return Errno::kENOENT;
  TRY(may_delete(entry, caller.cred));
  if (!entry.is_directory()) return Errno::kENOTDIR;
  if (entry.is_mount_root()) return Errno::kEBUSY;
  return entry.parent->rmdir(entry.name);
}

Result<void> Vfs::rename(const Caller& caller, File* old_at, std::string_view old_path,
                         File* new_at, std::string_view new_path, u32 flags) {
  if (flags & ~(kRENAME_NOREPLACE | kRENAME_EXCHANGE | kRENAME_WHITEOUT)) return Errno::kEINVAL;
  if ((flags & kRENAME_NOREPLACE) && (flags & kRENAME_EXCHANGE)) return Errno::kEINVAL;
  if ((flags & kRENAME_WHITEOUT) && (flags & kRENAME_EXCHANGE)) return Errno::kEINVAL;
  LastKind old_last, new_last;
  bool old_slash, new_slash;
  Resolved from = TRY(resolve_last(caller, old_at, old_path, old_last, old_slash));
  Resolved to = TRY(resolve_last(caller, new_at, new_path, new_last, new_slash));
  const Mount* from_mount = from.exists ? from.parent_mount : from.mount;
  const Mount* to_mount = to.exists ? to.parent_mount : to.mount;
  if (from_mount != to_mount) return Errno::kEXDEV;
  if (old_last != LastKind::Normal || new_last != LastKind::Normal) return Errno::kEBUSY;
  if (read_only(from_mount)) return Errno::kEROFS;
  if (!from.exists) return Errno::kENOENT;
  if ((flags & kRENAME_NOREPLACE) && to.exists) return Errno::kEEXIST;
  if ((flags & kRENAME_EXCHANGE) && !to.exists) return Errno::kENOENT;
  if (flags & kRENAME_WHITEOUT) return Errno::kEINVAL;  // tmpfs and the host view both refuse
  // A trailing slash names a directory.
  if (!from.is_directory() && (old_slash || (new_slash && !(flags & kRENAME_EXCHANGE))))
    return Errno::kENOTDIR;
  if ((flags & kRENAME_EXCHANGE) && new_slash && !to.is_directory()) return Errno::kENOTDIR;
  if (from.node == to.node && to.exists) return {};
  // A directory cannot move below itself, nor anything be put where its own ancestor is.
  if (is_within(to.path, from.path)) return Errno::kEINVAL;
  if (to.exists && is_within(from.path, to.path))
    return (flags & kRENAME_EXCHANGE) ? Errno::kEINVAL : Errno::kENOTEMPTY;
  TRY(may_delete(from, caller.cred));
  if (to.exists)
    TRY(may_delete(to, caller.cred));
  else
    TRY(check_permission(TRY(to.parent->stat()), kW_OK | kX_OK, caller.cred));
  if (from.is_mount_root() || to.is_mount_root()) return Errno::kEBUSY;
  return from.parent->rename(from.name, *to.parent, to.name, flags);
}

Result<void> Vfs::link(const Caller& caller, File* old_at, std::string_view old_path, File* new_at,
                       std::string_view new_path, FollowSymlinks follow) {
  Resolved from = TRY(resolve(caller, old_at, old_path, follow));
  if (!from.exists) return Errno::kENOENT;
  LastKind last;
  bool trailing_slash;
  Resolved to = TRY(resolve_last(caller, new_at, new_path, last, trailing_slash));
  if (to.exists) return Errno::kEEXIST;
  if (from.mount != to.mount) return Errno::kEXDEV;
  TRY(may_change_in(to, caller.cred));
  if (from.is_directory()) return Errno::kEPERM;
  if (trailing_slash) return Errno::kENOENT;
  return to.parent->link(to.name, *from.node);
}

Result<void> Vfs::link_file(const Caller& caller, File& file, File* new_at,
                            std::string_view new_path) {
  auto inode = file.inode();
  if (!inode) return Errno::kENOENT;
  const std::string path = file.path();
  LastKind last;
  bool trailing_slash;
  Resolved to = TRY(resolve_last(caller, new_at, new_path, last, trailing_slash));
  if (to.exists) return Errno::kEEXIST;
  if (&inode->filesystem() != to.mount->fs.get()) return Errno::kEXDEV;
  TRY(may_change_in(to, caller.cred));
  const abi::Stat st = TRY(inode->stat());
  if ((st.st_mode & abi::kS_IFMT) == abi::kS_IFDIR) return Errno::kEPERM;
  // An unnamed file may get a name only if it was not opened O_EXCL (Linux's I_LINKABLE).
  auto* tmp = dynamic_cast<TmpfsInode*>(inode.get());
  if (st.st_nlink == 0 && (!tmp || !tmp->linkable())) return Errno::kENOENT;
  return to.parent->link(to.name, *inode);
}

Result<void> Vfs::symlink(const Caller& caller, std::string_view target, File* at,
                          std::string_view path) {
  if (target.empty()) return Errno::kENOENT;
  LastKind last;
  bool trailing_slash;
  Resolved entry = TRY(resolve_last(caller, at, path, last, trailing_slash));
  if (entry.exists) return Errno::kEEXIST;
  if (trailing_slash) return Errno::kENOENT;
  TRY(may_change_in(entry, caller.cred));
  TRY(entry.parent->symlink(entry.name, std::string(target), caller.cred));
  return {};
}

Result<void> Vfs::set_attributes(const Caller& caller, File* at, std::string_view path,
                                 FollowSymlinks follow, const AttrChange& change) {
  Resolved entry = TRY(resolve(caller, at, path, follow));
  if (!entry.exists) return Errno::kENOENT;
  if (change.size) {
    if (entry.is_directory()) return Errno::kEISDIR;
    if (!entry.is_regular()) return Errno::kEINVAL;
    TRY(access_entry(entry, kW_OK, caller.cred));
  }
  if (read_only(entry.mount)) return Errno::kEROFS;
  AttrChange checked = change;
  TRY(prepare_attribute_change(entry.stat, checked, caller.cred));
  return entry.node->set_attributes(checked);
}

Result<void> Vfs::set_file_attributes(const Caller& caller, File& file, const AttrChange& change) {
  auto inode = file.inode();
  if (!inode) return Errno::kEPERM;
  const std::string path = file.path();
  if (!path.empty() && path[0] == '/' && read_only(&m_mounts.containing(path)) &&
      dynamic_cast<HostInode*>(inode.get()))
    return Errno::kEROFS;
  AttrChange checked = change;
  TRY(prepare_attribute_change(TRY(inode->stat()), checked, caller.cred));
  return inode->set_attributes(checked);
}

Result<Statfs> Vfs::statfs(const Caller& caller, File* at, std::string_view path) {
  Resolved entry = TRY(resolve(caller, at, path, FollowSymlinks::Yes));
  if (!entry.exists) return Errno::kENOENT;
  return entry.node->filesystem().statfs();
}

Result<Statfs> Vfs::statfs_of(File& file) {
  auto inode = file.inode();
  if (!inode) return Errno::kENOSYS;
  return inode->filesystem().statfs();
}

Result<std::shared_ptr<File>> Vfs::create_memfd(std::string_view name, u32 flags) {
  const Credentials root;
  auto inode = TRY(m_memfd_fs->root()->create_unnamed(0777, root));
  auto tmpfs_inode = std::static_pointer_cast<TmpfsInode>(inode);
  tmpfs_inode->make_memfd((flags & kMFD_ALLOW_SEALING) ? 0 : kF_SEAL_SEAL);
  FsContext fs;
  const Caller caller{fs, 0, {}};
  auto file = TRY(inode->open(caller, "/memfd:" + std::string(name) + " (deleted)", abi::kO_RDWR));
  file->status_flags = abi::kO_RDWR | abi::kO_LARGEFILE;
  return file;
}

Result<std::shared_ptr<File>> Vfs::open_executable(const Caller& caller, File* at,
                                                   std::string_view path, FollowSymlinks follow) {
  u64 flags = abi::kO_RDONLY;
  if (follow == FollowSymlinks::No) flags |= abi::kO_NOFOLLOW;
  auto file = TRY(open(caller, at, path, flags));
  abi::Stat st{};
  TRY(file->stat(st));
  if ((st.st_mode & abi::kS_IFMT) != abi::kS_IFREG) return Errno::kEACCES;
  TRY(access_file(caller, *file, kX_OK));
  return file;
}

std::string Vfs::absolute_path(const FsContext& fs, std::string_view path) {
  const Caller caller{fs, 0, {}};
  auto entry = resolve(caller, nullptr, path, FollowSymlinks::Yes);
  if (entry.ok() && entry.value().exists) return std::move(entry.value().path);
  return lexically_normal(fs.cwd, path);
}

std::string Vfs::guest_path_of_host(std::string_view host_path) const {
  auto canonical = host::canonical_path(std::string(host_path));
  const std::string path = canonical.ok() ? canonical.release_value() : std::string(host_path);
  const std::string& root = m_canonical_root;
  if (root.empty() || root == "/") return lexically_normal("/", path);
  if (path == root) return "/";
  if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
      path[root.size()] == '/')
    return lexically_normal("/", std::string_view(path).substr(root.size()));
  return "/";
}

}  // namespace kernel::fs
