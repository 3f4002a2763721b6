#include "kernel/fs/path.h"

#include <charconv>
#include <utility>

namespace kernel::fs {

namespace {

// glibc's makedev() encoding, which the guest's st_dev / st_rdev use.
constexpr u64 encode_dev(u64 major, u64 minor) {
  return ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) |
         (minor & 0xff);
}

// Anonymous device numbers for the emulated trees, like Linux's proc, sysfs and devtmpfs.
constexpr u64 kProcDev = encode_dev(0, 22);
constexpr u64 kSysDev = encode_dev(0, 21);
constexpr u64 kDevDev = encode_dev(0, 5);

bool is_type(const abi::Stat& st, u32 type) {
  return (st.st_mode & abi::kS_IFMT) == type;
}

// A /proc/<pid> name: decimal digits, no leading zero (as Linux's name_to_int).
int parse_pid(std::string_view name) {
  if (name.empty() || (name.size() > 1 && name[0] == '0')) return -1;
  int pid = -1;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc() || end != name.data() + name.size()) return -1;
  return pid;
}

// One resolved component on the walk's stack.
struct Step {
  std::string name;
  HostFd fd;  // host entries: O_PATH|O_NOFOLLOW handle
  abi::Stat stat{};
  EmulatedNode emulated = EmulatedNode::None;
  int pid = 0;
  PseudoFs* pseudo = nullptr;
  PseudoNode pseudo_node;
};

Step pseudo_step(std::string name, PseudoFs& tree, PseudoNode node) {
  Step step;
  step.name = std::move(name);
  step.stat = tree.stat(node);
  step.emulated = EmulatedNode::Pseudo;
  step.pseudo = &tree;
  step.pseudo_node = std::move(node);
  return step;
}

Step emulated_step(std::string name, EmulatedNode node, int pid) {
  Step step;
  step.name = std::move(name);
  step.stat = emulated_stat(node, pid);
  step.emulated = node;
  step.pid = pid;
  return step;
}

class Walker {
 public:
  Walker(int root_fd, const Caller& caller, const PseudoMounts* mounts)
      : m_root_fd(root_fd), m_caller(caller), m_mounts(mounts) {}

  Result<Resolved> run(std::string_view base, std::string_view path, FollowSymlinks follow);

 private:
  void queue(std::string_view path);
  Result<Step> lookup(const std::string& name) const;
  Result<Step> lookup_emulated(const Step& dir, const std::string& name) const;
  Result<std::string> link_target(const Step& step) const;
  Result<Resolved> missing(std::string name);
  Result<Resolved> finish();
  Result<HostFd> take_directory_handle();

  int current_fd() const { return m_stack.empty() ? m_root_fd : m_stack.back().fd.get(); }
  bool at_emulated() const {
    return !m_stack.empty() && m_stack.back().emulated != EmulatedNode::None;
  }
  std::string current_path() const;

  int m_root_fd;
  const Caller& m_caller;
  const PseudoMounts* m_mounts;
  std::vector<Step> m_stack;           // the directories walked so far below the root
  std::vector<std::string> m_pending;  // components still to walk; the next one is last
};

void Walker::queue(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t end = std::min(path.find('/', i), path.size());
    parts.emplace_back(path.substr(i, end - i));
    i = end;
  }
  // "name/" must be a directory (and a symlink there is followed): walk it as "name/.".
  if (!parts.empty() && path.back() == '/') parts.emplace_back(".");
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) m_pending.push_back(std::move(*it));
}

std::string Walker::current_path() const {
  if (m_stack.empty()) return "/";
  std::string out;
  for (const Step& step : m_stack) {
    out += '/';
    out += step.name;
  }
  return out;
}

Result<Step> Walker::lookup(const std::string& name) const {
  if (name.size() > kNameMax) return abi::Errno::kENAMETOOLONG;
  if (at_emulated()) return lookup_emulated(m_stack.back(), name);
  if (m_stack.empty()) {
    if (m_mounts && m_mounts->proc && name == "proc")
      return pseudo_step(name, *m_mounts->proc, m_mounts->proc->root());
    if (m_mounts && m_mounts->sys && name == "sys")
      return pseudo_step(name, *m_mounts->sys, m_mounts->sys->root());
    if (name == "proc") return emulated_step(name, EmulatedNode::ProcDir, 0);
    if (name == "sys") return emulated_step(name, EmulatedNode::SysDir, 0);
    if (name == "dev") return emulated_step(name, EmulatedNode::DevDir, 0);
  }
  Step step;
  step.name = name;
  step.fd = TRY(host::open_at(current_fd(), name, host::OpenMode::Handle));
  step.stat = TRY(host::stat(step.fd.get()));
  return step;
}

Result<Step> Walker::lookup_emulated(const Step& dir, const std::string& name) const {
  switch (dir.emulated) {
    case EmulatedNode::Pseudo: {
      if ((dir.stat.st_mode & abi::kS_IFMT) != abi::kS_IFDIR) return abi::Errno::kENOTDIR;
      PseudoNode node = TRY(dir.pseudo->lookup(dir.pseudo_node, name, m_caller));
      return pseudo_step(name, *dir.pseudo, std::move(node));
    }
    case EmulatedNode::ProcDir:
      if (m_caller.pid <= 0) return abi::Errno::kENOENT;
      if (name == "self") return emulated_step(name, EmulatedNode::ProcSelf, m_caller.pid);
      if (parse_pid(name) == m_caller.pid)
        return emulated_step(name, EmulatedNode::ProcPidDir, m_caller.pid);
      return abi::Errno::kENOENT;
    case EmulatedNode::ProcPidDir:
      if (name == "exe" && !m_caller.exe_path.empty())
        return emulated_step(name, EmulatedNode::ProcPidExe, dir.pid);
      return abi::Errno::kENOENT;
    case EmulatedNode::DevDir:
      if (name == "null") return emulated_step(name, EmulatedNode::DevNull, 0);
      if (name == "zero") return emulated_step(name, EmulatedNode::DevZero, 0);
      if (name == "random") return emulated_step(name, EmulatedNode::DevRandom, 0);
      if (name == "urandom") return emulated_step(name, EmulatedNode::DevUrandom, 0);
      return abi::Errno::kENOENT;
    case EmulatedNode::SysDir:
      return abi::Errno::kENOENT;
    default:
      return abi::Errno::kENOTDIR;
  }
}

Result<std::string> Walker::link_target(const Step& step) const {
  if (step.emulated == EmulatedNode::Pseudo)
    return step.pseudo->link_target(step.pseudo_node, m_caller);
  if (step.emulated != EmulatedNode::None) return emulated_link_target(step.emulated, m_caller);
  return host::read_link(step.fd.get());
}

// A handle on the directory the walk stands in, taken off the stack (the walk is over).
Result<HostFd> Walker::take_directory_handle() {
  if (m_stack.empty()) return host::duplicate(m_root_fd);
  return std::move(m_stack.back().fd);
}

Result<Resolved> Walker::missing(std::string name) {
  Resolved r;
  r.exists = false;
  r.path = current_path();
  if (r.path.size() > 1) r.path += '/';
  r.path += name;
  r.name = std::move(name);
  r.parent = TRY(take_directory_handle());
  return r;
}

Result<Resolved> Walker::finish() {
  Resolved r;
  r.path = current_path();
  if (m_stack.empty()) {
    r.node = TRY(host::duplicate(m_root_fd));
    r.stat = TRY(host::stat(r.node.get()));
    return r;
  }
  Step top = std::move(m_stack.back());
  m_stack.pop_back();
  r.name = std::move(top.name);
  r.stat = top.stat;
  r.emulated = top.emulated;
  r.pid = top.pid;
  r.pseudo = top.pseudo;
  r.pseudo_node = std::move(top.pseudo_node);
  if (top.emulated == EmulatedNode::None) {
    r.node = std::move(top.fd);
    r.parent = TRY(take_directory_handle());
  }
  return r;
}

Result<Resolved> Walker::run(std::string_view base, std::string_view path, FollowSymlinks follow) {
  if (path.empty()) return abi::Errno::kENOENT;
  if (path.size() >= kPathMax) return abi::Errno::kENAMETOOLONG;
  queue(path);
  if (path[0] != '/') queue(base);  // walked first: it is queued on top

  int links = 0;
  while (!m_pending.empty()) {
    std::string name = std::move(m_pending.back());
    m_pending.pop_back();
    // The current node is always a directory: nothing else is ever pushed with more to walk.
    if (name == ".") continue;
    if (name == "..") {
      if (!m_stack.empty()) m_stack.pop_back();  // the root is its own parent
      continue;
    }
    const bool last = m_pending.empty();
    auto looked = lookup(name);
    if (!looked.ok()) {
      if (looked.error() == abi::Errno::kENOENT && last && !at_emulated())
        return missing(std::move(name));
      return looked.error();
    }
    Step step = looked.release_value();
    if (is_type(step.stat, abi::kS_IFLNK) && (!last || follow == FollowSymlinks::Yes)) {
      if (++links > kMaxSymlinkFollows) return abi::Errno::kELOOP;
      const std::string target = TRY(link_target(step));
      if (target.empty()) return abi::Errno::kENOENT;
      if (target[0] == '/') m_stack.clear();  // the guest's root, never the host's
      queue(target);
      continue;
    }
    if (!last && !is_type(step.stat, abi::kS_IFDIR)) return abi::Errno::kENOTDIR;
    m_stack.push_back(std::move(step));
  }
  return finish();
}

}  // namespace

Result<Resolved> resolve_path(int root_fd, const Caller& caller, std::string_view base,
                              std::string_view path, FollowSymlinks follow,
                              const PseudoMounts* mounts) {
  Walker walker(root_fd, caller, mounts);
  return walker.run(base, path, follow);
}

abi::Stat emulated_stat(EmulatedNode node, int pid) {
  abi::Stat st{};
  st.st_nlink = 1;
  st.st_blksize = 4096;
  auto dir = [&](u64 dev, u64 ino, u32 perms) {
    st.st_dev = dev;
    st.st_ino = ino;
    st.st_mode = abi::kS_IFDIR | perms;
    st.st_nlink = 2;
  };
  auto link = [&](u64 ino) {
    st.st_dev = kProcDev;
    st.st_ino = ino;
    st.st_mode = abi::kS_IFLNK | 0777;
  };
  auto chr = [&](u64 ino, u64 minor) {
    st.st_dev = kDevDev;
    st.st_ino = ino;
    st.st_mode = abi::kS_IFCHR | 0666;
    st.st_rdev = encode_dev(1, minor);  // Linux's mem devices are major 1
  };
  const u64 pid_ino = 0x1000 + static_cast<u64>(pid) * 16;
  switch (node) {
    case EmulatedNode::None:
    case EmulatedNode::Pseudo:
      break;
    case EmulatedNode::ProcDir:
      dir(kProcDev, 1, 0555);
      break;
    case EmulatedNode::ProcSelf:
      link(2);
      break;
    case EmulatedNode::ProcPidDir:
      dir(kProcDev, pid_ino, 0555);
      break;
    case EmulatedNode::ProcPidExe:
      link(pid_ino + 1);
      break;
    case EmulatedNode::SysDir:
      dir(kSysDev, 1, 0555);
      break;
    case EmulatedNode::DevDir:
      dir(kDevDev, 1, 0755);
      break;
    case EmulatedNode::DevNull:
      chr(2, 3);
      break;
    case EmulatedNode::DevZero:
      chr(3, 5);
      break;
    case EmulatedNode::DevRandom:
      chr(4, 8);
      break;
    case EmulatedNode::DevUrandom:
      chr(5, 9);
      break;
  }
  return st;
}

std::vector<DirEntry> emulated_entries(EmulatedNode dir, int pid, bool has_exe) {
  const abi::Stat self = emulated_stat(dir, pid);
  std::vector<DirEntry> out = {{self.st_ino, kDT_DIR, "."}, {1, kDT_DIR, ".."}};
  auto add = [&](EmulatedNode node, std::string name) {
    const abi::Stat st = emulated_stat(node, pid);
    out.push_back({st.st_ino, dirent_type(st.st_mode), std::move(name)});
  };
  switch (dir) {
    case EmulatedNode::ProcDir:
      if (pid > 0) {
        add(EmulatedNode::ProcPidDir, std::to_string(pid));
        add(EmulatedNode::ProcSelf, "self");
      }
      break;
    case EmulatedNode::ProcPidDir:
      out[1].ino = emulated_stat(EmulatedNode::ProcDir, 0).st_ino;
      if (has_exe) add(EmulatedNode::ProcPidExe, "exe");
      break;
    case EmulatedNode::DevDir:
      add(EmulatedNode::DevNull, "null");
      add(EmulatedNode::DevRandom, "random");
      add(EmulatedNode::DevUrandom, "urandom");
      add(EmulatedNode::DevZero, "zero");
      break;
    default:
      break;
  }
  return out;
}

Result<std::string> emulated_link_target(EmulatedNode node, const Caller& caller) {
  switch (node) {
    case EmulatedNode::ProcSelf:
      if (caller.pid <= 0) return abi::Errno::kENOENT;
      return std::to_string(caller.pid);
    case EmulatedNode::ProcPidExe:
      if (caller.exe_path.empty()) return abi::Errno::kENOENT;
      return std::string(caller.exe_path);
    default:
      return abi::Errno::kEINVAL;
  }
}

std::string lexically_normal(std::string_view base, std::string_view path) {
  std::vector<std::string_view> parts;
  auto fold = [&](std::string_view p) {
    size_t i = 0;
    while (i < p.size()) {
      const size_t end = std::min(p.find('/', i), p.size());
      const std::string_view part = p.substr(i, end - i);
      i = end + 1;
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (!parts.empty()) parts.pop_back();
        continue;
      }
      parts.push_back(part);
    }
  };
  if (path.empty() || path[0] != '/') fold(base);
  fold(path);
  std::string out;
  for (std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

}  // namespace kernel::fs
