#include "kernel/fs/mount.h"

#include <utility>

#include "kernel/base/result.h"

namespace kernel::fs {

Result<void> MountTable::mount(std::string path, std::shared_ptr<Filesystem> fs) {
  if (m_mounts.size() >= kMaxMounts) return abi::Errno::kENOSPC;
  auto entry = std::make_unique<Mount>();
  entry->path = std::move(path);
  entry->root = fs->root();
  entry->fs = std::move(fs);
  m_mounts.push_back(std::move(entry));
  return {};
}

const Mount* MountTable::at(std::string_view path) const {
  // The latest mount at a path covers the earlier ones.
  for (auto it = m_mounts.rbegin(); it != m_mounts.rend(); ++it)
    if ((*it)->path == path) return it->get();
  return nullptr;
}

const Mount& MountTable::containing(std::string_view path) const {
  const Mount* best = &root();
  for (const auto& m : m_mounts) {
    const std::string& p = m->path;
    const bool prefix =
        p == "/" || path == p ||
        (path.size() > p.size() && path.compare(0, p.size(), p) == 0 && path[p.size()] == '/');
    if (prefix && p.size() >= best->path.size()) best = m.get();
  }
  return *best;
}

const Mount& MountTable::root() const {
  const Mount* root = at("/");
  VERIFY(root != nullptr);
  return *root;
}

}  // namespace kernel::fs
