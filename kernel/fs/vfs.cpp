#include "kernel/fs/vfs.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace kernel::fs {

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

bool is_emulated_directory(EmulatedNode node) {
  return node == EmulatedNode::ProcDir || node == EmulatedNode::ProcPidDir ||
         node == EmulatedNode::SysDir || node == EmulatedNode::DevDir;
}

bool is_emulated_link(EmulatedNode node) {
  return node == EmulatedNode::ProcSelf || node == EmulatedNode::ProcPidExe;
}

// /dev/null, /dev/zero, /dev/random and /dev/urandom: Linux's "mem" character devices.
// Writes to any of them vanish; reads give EOF, zeros or random bytes.
class MemDevice final : public File {
 public:
  MemDevice(EmulatedNode node, std::string path) : m_node(node), m_path(std::move(path)) {}

  Result<u64> read(std::span<u8> buf) override {
    switch (m_node) {
      case EmulatedNode::DevNull:
        return 0;
      case EmulatedNode::DevZero:
        std::memset(buf.data(), 0, buf.size());
        break;
      default:
        TRY(host::random_bytes(buf));
        break;
    }
    return buf.size();
  }
  Result<u64> write(std::span<const u8> buf) override { return buf.size(); }
  Result<u64> pread(std::span<u8> buf, u64) override { return read(buf); }
  Result<u64> pwrite(std::span<const u8> buf, u64) override { return buf.size(); }
  // These devices have no position: Linux's lseek on them succeeds and stays at 0.
  Result<u64> seek(i64, int) override { return 0; }
  Result<void> stat(abi::Stat& out) override {
    out = emulated_stat(m_node, 0);
    return {};
  }
  std::string path() const override { return m_path; }

 private:
  EmulatedNode m_node;
  std::string m_path;
};

// An emulated directory (/proc, /proc/<pid>, /sys, /dev), or any emulated node opened
// with O_PATH: it stats, lists its entries and, for a symlink, knows its target.
class EmulatedNodeFile final : public File {
 public:
  EmulatedNodeFile(EmulatedNode node, std::string path, int pid, bool has_exe,
                   std::string link_target)
      : m_node(node),
        m_path(std::move(path)),
        m_pid(pid),
        m_has_exe(has_exe),
        m_link_target(std::move(link_target)) {}

  Result<u64> read(std::span<u8>) override {
    return is_emulated_directory(m_node) ? abi::Errno::kEISDIR : abi::Errno::kEINVAL;
  }
  Result<u64> seek(i64 offset, int whence) override {
    i64 target = offset;
    if (whence == abi::kSEEK_CUR) {
      if (__builtin_add_overflow(static_cast<i64>(m_position), offset, &target))
        return abi::Errno::kEINVAL;
    } else if (whence != abi::kSEEK_SET) {
      return abi::Errno::kEINVAL;
    }
    if (target < 0) return abi::Errno::kEINVAL;
    m_position = static_cast<u64>(target);
    return m_position;
  }
  Result<void> stat(abi::Stat& out) override {
    out = emulated_stat(m_node, m_pid);
    return {};
  }
  Result<u64> getdents64(std::span<u8> buf) override {
    if (!is_emulated_directory(m_node)) return abi::Errno::kENOTDIR;
    return encode_dirents(buf, emulated_entries(m_node, m_pid, m_has_exe), m_position);
  }
  std::string path() const override { return m_path; }

  Result<std::string> link_target() const {
    if (!is_emulated_link(m_node)) return abi::Errno::kENOENT;
    return m_link_target;
  }

 private:
  EmulatedNode m_node;
  std::string m_path;
  int m_pid;
  bool m_has_exe;
  std::string m_link_target;
  u64 m_position = 0;
};

// Permission bits for emulated nodes: everyone gets what "other" gets.
Result<void> emulated_access(const abi::Stat& st, int mode) {
  if (static_cast<u32>(mode) & ~st.st_mode & 07) return abi::Errno::kEACCES;
  return {};
}

}  // namespace

Vfs::Vfs(std::string host_root) : m_host_root(host_root.empty() ? "/" : std::move(host_root)) {
  auto root = host::open_directory_handle(m_host_root);
  if (!root.ok()) {
    m_root_error = root.error();
    return;
  }
  m_root = root.release_value();
  auto canonical = host::canonical_path(m_host_root);
  m_canonical_root = canonical.ok() ? canonical.release_value() : m_host_root;
}

Result<void> Vfs::root_status() const {
  if (m_root_error != abi::Errno::None) return m_root_error;
  return {};
}

Result<Resolved> Vfs::resolve(const Caller& caller, File* at, std::string_view path,
                              FollowSymlinks follow) const {
  TRY(root_status());
  std::string base = "/";
  if (!path.empty() && path[0] != '/') base = at ? TRY(directory_path_of(*at)) : caller.fs.cwd;
  return resolve_path(m_root.get(), caller, base, path, follow, &m_pseudo);
}

Result<std::shared_ptr<File>> Vfs::open(const Caller& caller, File* at, std::string_view path,
                                        u64 flags) {
  if ((flags & abi::kO_TMPFILE) == abi::kO_TMPFILE) {
    // An unnamed file in a directory: needs write access, which a read-only tree refuses.
    if (!wants_write(flags)) return abi::Errno::kEINVAL;
    Resolved dir = TRY(resolve(caller, at, path, FollowSymlinks::Yes));
    if (!dir.exists) return abi::Errno::kENOENT;
    if (!dir.is_directory()) return abi::Errno::kENOTDIR;
    return abi::Errno::kEROFS;
  }
  if (flags & abi::kO_PATH) flags &= abi::kO_PATH | abi::kO_DIRECTORY | abi::kO_NOFOLLOW;
  const bool creating = flags & abi::kO_CREAT;
  const bool exclusive = creating && (flags & abi::kO_EXCL);
  // O_CREAT|O_EXCL never follows a final symlink: even a dangling one "exists".
  const FollowSymlinks follow =
      (flags & abi::kO_NOFOLLOW) || exclusive ? FollowSymlinks::No : FollowSymlinks::Yes;
  Resolved entry = TRY(resolve(caller, at, path, follow));
  if (!entry.exists) return creating ? abi::Errno::kEROFS : abi::Errno::kENOENT;
  if (exclusive) return abi::Errno::kEEXIST;
  if (entry.emulated == EmulatedNode::Pseudo) return open_pseudo(caller, entry, flags);
  if (entry.emulated != EmulatedNode::None) return open_emulated(caller, entry, flags);
  return open_host(entry, flags);
}

Result<std::shared_ptr<File>> Vfs::open_host(Resolved& entry, u64 flags) {
  std::shared_ptr<File> file;
  if (flags & abi::kO_PATH) {
    if ((flags & abi::kO_DIRECTORY) && !entry.is_directory()) return abi::Errno::kENOTDIR;
    file = std::make_shared<HostPathFile>(std::move(entry.node), entry.path);
    file->status_flags = status_flags_for(flags);
    return file;
  }
  // The checks come in Linux's order (do_open, then may_open, then the read-only mount).
  if ((flags & abi::kO_CREAT) && entry.is_directory()) return abi::Errno::kEISDIR;
  if ((flags & abi::kO_DIRECTORY) && !entry.is_directory()) return abi::Errno::kENOTDIR;
  if ((flags & abi::kO_TRUNC) && entry.is_regular()) return abi::Errno::kEROFS;
  if (entry.is_symlink()) return abi::Errno::kELOOP;  // O_NOFOLLOW met a symlink
  if (entry.is_directory()) {
    if (wants_write(flags)) return abi::Errno::kEISDIR;
    // Through the entry's own handle: no second lookup by name that could be raced.
    HostFd fd = TRY(host::open_at(entry.node.get(), ".", host::OpenMode::Directory));
    file = std::make_shared<HostDirectory>(std::move(fd), entry.path, entry.path == "/");
  } else if (entry.is_regular()) {
    if (wants_write(flags)) return abi::Errno::kEROFS;
    HostFd fd = TRY(host::open_at(entry.parent.get(), entry.name, host::OpenMode::File));
    file = std::make_shared<HostFile>(std::move(fd), entry.path);
  } else if (entry.type() == abi::kS_IFSOCK) {
    return abi::Errno::kENXIO;  // as Linux's open() of a socket
  } else {
    // Host FIFOs and device nodes are not passed through: reading them could block the
    // emulator or reach the host's hardware.
    return abi::Errno::kEACCES;
  }
  file->status_flags = status_flags_for(flags);
  return file;
}

Result<std::shared_ptr<File>> Vfs::open_emulated(const Caller& caller, const Resolved& entry,
                                                 u64 flags) {
  const EmulatedNode node = entry.emulated;
  const bool is_dir = is_emulated_directory(node);
  std::shared_ptr<File> file;
  if (!(flags & abi::kO_PATH)) {
    if ((flags & abi::kO_CREAT) && is_dir) return abi::Errno::kEISDIR;
    if ((flags & abi::kO_DIRECTORY) && !is_dir) return abi::Errno::kENOTDIR;
    if (is_emulated_link(node)) return abi::Errno::kELOOP;
    if (is_dir && wants_write(flags)) return abi::Errno::kEISDIR;
    if (!is_dir) file = std::make_shared<MemDevice>(node, entry.path);
  } else if ((flags & abi::kO_DIRECTORY) && !is_dir) {
    return abi::Errno::kENOTDIR;
  }
  if (!file) {
    std::string target;
    if (is_emulated_link(node)) target = TRY(emulated_link_target(node, caller));
    file = std::make_shared<EmulatedNodeFile>(node, entry.path, caller.pid,
                                              !caller.exe_path.empty(), std::move(target));
  }
  file->status_flags = status_flags_for(flags);
  return file;
}

Result<std::shared_ptr<File>> Vfs::open_pseudo(const Caller& caller, const Resolved& entry,
                                               u64 flags) {
  const bool is_dir = entry.is_directory();
  std::shared_ptr<File> file;
  if (flags & abi::kO_PATH) {
    if ((flags & abi::kO_DIRECTORY) && !is_dir) return abi::Errno::kENOTDIR;
    std::string target;
    if (entry.is_symlink()) target = TRY(entry.pseudo->link_target(entry.pseudo_node, caller));
    file = std::make_shared<PseudoPathFile>(entry.stat, entry.path, std::move(target));
  } else {
    if ((flags & abi::kO_CREAT) && is_dir) return abi::Errno::kEISDIR;
    if ((flags & abi::kO_DIRECTORY) && !is_dir) return abi::Errno::kENOTDIR;
    if (entry.is_symlink()) return abi::Errno::kELOOP;  // O_NOFOLLOW met a symlink
    if (is_dir) {
      if (wants_write(flags)) return abi::Errno::kEISDIR;
      auto entries = TRY(entry.pseudo->list(entry.pseudo_node, caller));
      file = std::make_shared<PseudoDirectory>(entry.stat, entry.path, std::move(entries));
    } else {
      // may_open(): the mode bits decide, with the owner's bits for the owner (every
      // process owns its /proc entries; the guest owns the machine's).
      const u32 owner = (entry.stat.st_mode >> 6) & 07;
      if ((flags & abi::kO_ACCMODE) != abi::kO_WRONLY && !(owner & 04)) return abi::Errno::kEACCES;
      if (wants_write(flags) && !(owner & 02)) return abi::Errno::kEACCES;
      file = TRY(entry.pseudo->open_file(entry.pseudo_node, flags, entry.path, caller));
    }
  }
  file->status_flags = status_flags_for(flags);
  return file;
}

Result<abi::Stat> Vfs::stat(const Caller& caller, File* at, std::string_view path,
                            FollowSymlinks follow) {
  Resolved entry = TRY(resolve(caller, at, path, follow));
  if (!entry.exists) return abi::Errno::kENOENT;
  return entry.stat;
}

Result<std::string> Vfs::readlink(const Caller& caller, File* at, std::string_view path) {
  if (path.empty()) {
    // readlinkat(fd, "", ...) reads the symlink an O_PATH|O_NOFOLLOW fd names.
    if (auto* host_link = dynamic_cast<HostPathFile*>(at)) return host_link->link_target();
    if (auto* emulated = dynamic_cast<EmulatedNodeFile*>(at)) return emulated->link_target();
    if (auto* pseudo = dynamic_cast<PseudoPathFile*>(at)) return pseudo->link_target();
    return abi::Errno::kENOENT;
  }
  Resolved entry = TRY(resolve(caller, at, path, FollowSymlinks::No));
  if (!entry.exists) return abi::Errno::kENOENT;
  if (!entry.is_symlink()) return abi::Errno::kEINVAL;
  if (entry.emulated == EmulatedNode::Pseudo)
    return entry.pseudo->link_target(entry.pseudo_node, caller);
  if (entry.emulated != EmulatedNode::None) return emulated_link_target(entry.emulated, caller);
  return host::read_link(entry.node.get());
}

Result<void> Vfs::access_entry(const Resolved& entry, int mode) {
  if (mode == kF_OK) return {};
  if (entry.emulated == EmulatedNode::Pseudo) {
    if (static_cast<u32>(mode) & ~(entry.stat.st_mode >> 6) & 07) return abi::Errno::kEACCES;
    return {};
  }
  if (entry.emulated != EmulatedNode::None) return emulated_access(entry.stat, mode);
  const u32 type = entry.type();
  // The read-only mount answers first, for the kinds of file it covers (sb_permission).
  if ((mode & kW_OK) && (type == abi::kS_IFREG || type == abi::kS_IFDIR || type == abi::kS_IFLNK))
    return abi::Errno::kEROFS;
  return host::access(entry.node.get(), mode);
}

Result<void> Vfs::access(const Caller& caller, File* at, std::string_view path, int mode,
                         FollowSymlinks follow) {
  Resolved entry = TRY(resolve(caller, at, path, follow));
  if (!entry.exists) return abi::Errno::kENOENT;
  return access_entry(entry, mode);
}

Result<void> Vfs::access_file(const Caller& caller, File& file, int mode) {
  const std::string path = file.path();
  // A file with no name in our tree (inherited stdio) has nothing read-only about it.
  if (path.empty()) return {};
  Resolved entry = TRY(resolve(caller, nullptr, path, FollowSymlinks::No));
  if (!entry.exists) return abi::Errno::kENOENT;
  return access_entry(entry, mode);
}

Result<std::string> Vfs::directory_path(const Caller& caller, File* at, std::string_view path) {
  Resolved entry = TRY(resolve(caller, at, path, FollowSymlinks::Yes));
  if (!entry.exists) return abi::Errno::kENOENT;
  if (!entry.is_directory()) return abi::Errno::kENOTDIR;
  TRY(access_entry(entry, kX_OK));
  return std::move(entry.path);
}

Result<std::string> Vfs::directory_path_of(File& dir) {
  abi::Stat st{};
  TRY(dir.stat(st));
  std::string path = dir.path();
  if ((st.st_mode & abi::kS_IFMT) != abi::kS_IFDIR || path.empty()) return abi::Errno::kENOTDIR;
  return path;
}

Result<std::shared_ptr<File>> Vfs::open_executable(const FsContext& fs, std::string_view path) {
  const Caller caller{fs, 0, {}};
  Resolved entry = TRY(resolve(caller, nullptr, path, FollowSymlinks::Yes));
  if (!entry.exists) return abi::Errno::kENOENT;
  if (entry.emulated != EmulatedNode::None || !entry.is_regular()) return abi::Errno::kEACCES;
  TRY(access_entry(entry, kX_OK));
  return open_host(entry, abi::kO_RDONLY);
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
