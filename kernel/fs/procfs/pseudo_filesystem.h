// A PseudoFs tree (procfs, sysfs) as a Filesystem the mount table can mount: each inode is
// a PseudoNode value, asked of the tree afresh on every call, so what it shows is always
// the kernel's state of the moment.
#pragma once

#include <memory>

#include "kernel/fs/filesystem.h"
#include "kernel/fs/pseudo_fs.h"

namespace kernel {
class Kernel;
}

namespace kernel::fs::procfs {

class PseudoFilesystem final : public Filesystem {
 public:
  PseudoFilesystem(std::unique_ptr<PseudoFs> tree, const char* type_name, i64 magic);

  const char* type_name() const override { return m_type_name; }
  std::shared_ptr<Inode> root() override;
  Result<Statfs> statfs() override;
  PseudoFs& tree() { return *m_tree; }

 private:
  std::unique_ptr<PseudoFs> m_tree;
  const char* m_type_name;
  i64 m_magic;
};

// procfs and sysfs over the kernel's state, ready to mount at /proc and /sys.
std::shared_ptr<Filesystem> make_procfs(Kernel& kernel);
std::shared_ptr<Filesystem> make_sysfs(Kernel& kernel);

}  // namespace kernel::fs::procfs
