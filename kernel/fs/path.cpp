#include "kernel/fs/path.h"

#include <utility>

namespace kernel::fs {

namespace {

bool is_type(const abi::Stat& st, u32 type) {
  return (st.st_mode & abi::kS_IFMT) == type;
}

// One resolved component on the walk's stack.
struct Step {
  std::string name;
  std::shared_ptr<Inode> inode;
  const Mount* mount = nullptr;
  abi::Stat stat{};
  size_t path_length_before = 0;  // m_path's length before this step was appended
};

class Walker {
 public:
  Walker(const MountTable& mounts, const Caller& caller)
      : m_mounts(mounts), m_root(mounts.root()), m_caller(caller) {}

  Result<Resolved> run(std::string_view base, std::string_view path, FollowSymlinks follow);

 private:
  void queue(std::string_view path);
  Result<Step> lookup(const std::string& name) const;
  void push(Step step);
  void pop();
  void clear();
  Result<Resolved> missing(std::string name);
  Result<Resolved> finish();

  const std::shared_ptr<Inode>& current_inode() const {
    return m_stack.empty() ? m_root.root : m_stack.back().inode;
  }
  const Mount* current_mount() const { return m_stack.empty() ? &m_root : m_stack.back().mount; }

  const MountTable& m_mounts;
  const Mount& m_root;
  const Caller& m_caller;
  std::vector<Step> m_stack;           // the directories walked so far below the root
  std::string m_path;                  // their canonical path ("" at the root)
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

Result<Step> Walker::lookup(const std::string& name) const {
  // may_lookup(): searching a directory needs its execute bit, unless a capability that
  // overrides directory permissions says otherwise (root's usual case: no stat needed).
  const Credentials& cred = m_caller.cred;
  if (!capable(cred, cap::kDacReadSearch) && !capable(cred, cap::kDacOverride)) {
    const abi::Stat dir = m_stack.empty() ? TRY(m_root.root->stat()) : m_stack.back().stat;
    TRY(inode_permission(cred, dir.st_mode, dir.st_uid, dir.st_gid, 1));
  }
  if (name.size() > kNameMax) return abi::Errno::kENAMETOOLONG;
  Step step;
  step.name = name;
  const std::string child = m_path + "/" + name;
  if (const Mount* mount = m_mounts.at(child)) {
    // A mount stands over whatever the directory below holds under this name.
    if (!is_type(TRY(current_inode()->stat()), abi::kS_IFDIR)) return abi::Errno::kENOTDIR;
    step.inode = mount->root;
    step.mount = mount;
  } else {
    step.inode = TRY(current_inode()->lookup(m_caller, name));
    step.mount = current_mount();
  }
  step.stat = TRY(step.inode->stat());
  return step;
}

void Walker::push(Step step) {
  step.path_length_before = m_path.size();
  m_path += '/';
  m_path += step.name;
  m_stack.push_back(std::move(step));
}

void Walker::pop() {
  if (m_stack.empty()) return;  // the root is its own parent
  m_path.resize(m_stack.back().path_length_before);
  m_stack.pop_back();
}

void Walker::clear() {
  m_stack.clear();
  m_path.clear();
}

Result<Resolved> Walker::missing(std::string name) {
  Resolved r;
  r.exists = false;
  r.path = m_path + "/" + name;
  r.name = std::move(name);
  r.parent = current_inode();
  r.mount = current_mount();
  r.parent_mount = r.mount;
  return r;
}

Result<Resolved> Walker::finish() {
  Resolved r;
  r.path = m_path.empty() ? "/" : m_path;
  if (m_stack.empty()) {
    r.node = m_root.root;
    r.mount = &m_root;
    r.stat = TRY(r.node->stat());
    return r;
  }
  Step top = std::move(m_stack.back());
  m_stack.pop_back();
  r.name = std::move(top.name);
  r.stat = top.stat;
  r.node = std::move(top.inode);
  r.mount = top.mount;
  r.parent = current_inode();
  r.parent_mount = current_mount();
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
      pop();
      continue;
    }
    const bool last = m_pending.empty();
    auto looked = lookup(name);
    if (!looked.ok()) {
      // Only a directory that can hold new entries reports where one would go.
      if (looked.error() == abi::Errno::kENOENT && last) return missing(std::move(name));
      return looked.error();
    }
    Step step = looked.release_value();
    if (is_type(step.stat, abi::kS_IFLNK) && (!last || follow == FollowSymlinks::Yes)) {
      if (++links > kMaxSymlinkFollows) return abi::Errno::kELOOP;
      const LinkTarget target = TRY(step.inode->read_link(m_caller));
      if (target.jump && target.jump->inode()) {
        // A magic link: the open file itself, whatever its name now is.
        std::shared_ptr<Inode> inode = target.jump->inode();
        const std::string jump_path = target.jump->path();
        const abi::Stat st = TRY(inode->stat());
        clear();
        if (is_type(st, abi::kS_IFDIR) || jump_path.empty() || jump_path[0] != '/') {
          if (jump_path.empty() || jump_path[0] != '/') return abi::Errno::kENOENT;
          queue(jump_path);  // directories are walked again by name, for their ".."
          continue;
        }
        if (!last) return abi::Errno::kENOTDIR;
        Step landed;
        landed.name = jump_path.substr(1);
        // A file of no mount (a memfd) lies on none: nothing read-only covers it.
        const Mount* mount = &m_mounts.containing(jump_path);
        landed.mount = mount->fs.get() == &inode->filesystem() ? mount : nullptr;
        landed.inode = std::move(inode);
        landed.stat = st;
        push(std::move(landed));
        continue;
      }
      if (target.text.empty()) return abi::Errno::kENOENT;
      if (target.text[0] == '/') clear();  // the guest's root, never the host's
      queue(target.text);
      continue;
    }
    if (!last && !is_type(step.stat, abi::kS_IFDIR)) return abi::Errno::kENOTDIR;
    push(std::move(step));
  }
  return finish();
}

}  // namespace

Result<Resolved> resolve_path(const MountTable& mounts, const Caller& caller, std::string_view base,
                              std::string_view path, FollowSymlinks follow) {
  Walker walker(mounts, caller);
  return walker.run(base, path, follow);
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
