#include "kernel/fs/emulated_fs.h"

#include <charconv>
#include <utility>

#include "kernel/fs/fd_table.h"

namespace kernel::fs {

using abi::Errno;

namespace {

enum class Node : u8 { ProcRoot, ProcSelf, ProcPidDir, ProcPidExe, ProcFdDir, ProcFdLink, SysRoot };

// A decimal name with no leading zero (Linux's name_to_int), or -1.
int parse_number(std::string_view name) {
  if (name.empty() || (name.size() > 1 && name[0] == '0')) return -1;
  int value = -1;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (ec != std::errc() || end != name.data() + name.size()) return -1;
  return value;
}

bool is_directory(Node node) {
  return node == Node::ProcRoot || node == Node::ProcPidDir || node == Node::ProcFdDir ||
         node == Node::SysRoot;
}

class EmulatedInode final : public Inode {
 public:
  EmulatedInode(EmulatedFilesystem& fs, Node node, int pid = 0, int fd = -1)
      : Inode(fs), m_node(node), m_pid(pid), m_fd(fd) {}

  Result<abi::Stat> stat() override {
    abi::Stat st{};
    st.st_dev = static_cast<EmulatedFilesystem&>(filesystem()).dev();
    st.st_ino = ino();
    st.st_nlink = 1;
    st.st_blksize = 4096;
    if (is_directory(m_node)) {
      st.st_mode = abi::kS_IFDIR | 0555;
      st.st_nlink = 2;
    } else {
      st.st_mode = abi::kS_IFLNK | (m_node == Node::ProcFdLink ? 0700 : 0777);
    }
    return st;
  }

  Result<std::shared_ptr<Inode>> lookup(const Caller& caller, const std::string& name) override {
    auto& fs = static_cast<EmulatedFilesystem&>(filesystem());
    auto make = [&](Node node, int pid, int fd = -1) -> Result<std::shared_ptr<Inode>> {
      return std::shared_ptr<Inode>(std::make_shared<EmulatedInode>(fs, node, pid, fd));
    };
    switch (m_node) {
      case Node::ProcRoot:
        if (caller.pid <= 0) return Errno::kENOENT;
        if (name == "self") return make(Node::ProcSelf, caller.pid);
        if (parse_number(name) == caller.pid) return make(Node::ProcPidDir, caller.pid);
        return Errno::kENOENT;
      case Node::ProcPidDir:
        if (name == "exe" && !caller.exe_path.empty()) return make(Node::ProcPidExe, m_pid);
        if (name == "fd" && caller.fds) return make(Node::ProcFdDir, m_pid);
        return Errno::kENOENT;
      case Node::ProcFdDir: {
        const int fd = parse_number(name);
        if (fd < 0 || !caller.fds || !caller.fds->get(fd).ok()) return Errno::kENOENT;
        return make(Node::ProcFdLink, m_pid, fd);
      }
      case Node::SysRoot:
        return Errno::kENOENT;
      default:
        return Errno::kENOTDIR;
    }
  }

  Result<std::vector<DirEntry>> list(const Caller& caller) override {
    if (!is_directory(m_node)) return Errno::kENOTDIR;
    std::vector<DirEntry> out = {{ino(), kDT_DIR, "."}, {1, kDT_DIR, ".."}};
    auto& fs = static_cast<EmulatedFilesystem&>(filesystem());
    auto add = [&](Node node, int fd, std::string name) {
      const EmulatedInode child(fs, node, m_pid, fd);
      out.push_back({child.ino(), is_directory(node) ? kDT_DIR : kDT_LNK, std::move(name)});
    };
    switch (m_node) {
      case Node::ProcRoot:
        if (caller.pid > 0) {
          out.push_back({EmulatedInode(fs, Node::ProcPidDir, caller.pid).ino(), kDT_DIR,
                         std::to_string(caller.pid)});
          add(Node::ProcSelf, -1, "self");
        }
        break;
      case Node::ProcPidDir:
        if (!caller.exe_path.empty()) add(Node::ProcPidExe, -1, "exe");
        if (caller.fds) add(Node::ProcFdDir, -1, "fd");
        break;
      case Node::ProcFdDir:
        out[1].ino = EmulatedInode(fs, Node::ProcPidDir, m_pid).ino();
        if (caller.fds)
          for (int fd : caller.fds->open_fds()) add(Node::ProcFdLink, fd, std::to_string(fd));
        break;
      default:
        break;
    }
    return out;
  }

  Result<LinkTarget> read_link(const Caller& caller) override {
    switch (m_node) {
      case Node::ProcSelf:
        if (caller.pid <= 0) return Errno::kENOENT;
        return LinkTarget{std::to_string(caller.pid), nullptr};
      case Node::ProcPidExe:
        if (caller.exe_path.empty()) return Errno::kENOENT;
        return LinkTarget{std::string(caller.exe_path), nullptr};
      case Node::ProcFdLink: {
        if (!caller.fds) return Errno::kENOENT;
        auto file = caller.fds->get(m_fd);
        if (!file.ok()) return Errno::kENOENT;
        return LinkTarget{fd_link_text(*file.value()), file.value()};
      }
      default:
        return Errno::kEINVAL;
    }
  }

  Result<std::shared_ptr<File>> open(const Caller& caller, const std::string& path,
                                     u64 flags) override {
    if (flags & abi::kO_PATH)
      return std::shared_ptr<File>(std::make_shared<PathFile>(shared_from_this(), path));
    if (!is_directory(m_node)) return Errno::kELOOP;
    return std::shared_ptr<File>(std::make_shared<DirectoryFile>(shared_from_this(), path, caller));
  }

  u64 ino() const {
    const u64 pid_ino = 0x1000 + static_cast<u64>(m_pid) * 16;
    switch (m_node) {
      case Node::ProcRoot:
      case Node::SysRoot:
        return 1;
      case Node::ProcSelf:
        return 2;
      case Node::ProcPidDir:
        return pid_ino;
      case Node::ProcPidExe:
        return pid_ino + 1;
      case Node::ProcFdDir:
        return pid_ino + 2;
      case Node::ProcFdLink:
        return 0x100000000 + static_cast<u64>(m_fd);
    }
    return 0;
  }

 private:
  Node m_node;
  int m_pid;
  int m_fd;
};

}  // namespace

EmulatedFilesystem::EmulatedFilesystem(EmulatedTree tree)
    : m_tree(tree),
      m_dev(tree == EmulatedTree::Proc ? encode_dev(0, 22) : encode_dev(0, 21)),
      m_root(std::make_shared<EmulatedInode>(
          *this, tree == EmulatedTree::Proc ? Node::ProcRoot : Node::SysRoot)) {}

Result<Statfs> EmulatedFilesystem::statfs() {
  Statfs out{};
  out.f_type = m_tree == EmulatedTree::Proc ? kPROC_SUPER_MAGIC : kSYSFS_MAGIC;
  out.f_bsize = 4096;
  out.f_frsize = 4096;
  out.f_namelen = 255;
  out.f_flags = kST_VALID | kST_NOSUID | kST_NODEV | kST_NOEXEC;
  return out;
}

std::string fd_link_text(const File& file) {
  std::string path = file.path();
  if (!path.empty()) return path;
  return "anon_inode:[unknown]";
}

}  // namespace kernel::fs
