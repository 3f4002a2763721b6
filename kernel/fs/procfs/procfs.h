// /proc as a tree the Vfs mounts: the machine-wide files, /proc/sys, /proc/self and one
// directory per process, each file rendered from the kernel's state when it is read.
#pragma once

#include "kernel/fs/pseudo_fs.h"

namespace kernel {
class Kernel;
}

namespace kernel::fs::procfs {

class ProcFs final : public PseudoFs {
 public:
  explicit ProcFs(Kernel& kernel) : m_kernel(kernel) {}

  PseudoNode root() const override;
  Result<PseudoNode> lookup(const PseudoNode& dir, const std::string& name,
                            const Caller& caller) override;
  abi::Stat stat(const PseudoNode& node) override;
  Result<std::vector<DirEntry>> list(const PseudoNode& dir, const Caller& caller) override;
  Result<std::string> link_target(const PseudoNode& node, const Caller& caller) override;
  std::shared_ptr<File> link_file(const PseudoNode& node) override;
  Result<std::shared_ptr<File>> open_file(const PseudoNode& node, u64 flags,
                                          const std::string& path, const Caller& caller) override;

 private:
  Kernel& m_kernel;
};

// /sys as a tree of setting files.
class SysFs final : public PseudoFs {
 public:
  explicit SysFs(Kernel& kernel) : m_kernel(kernel) {}

  PseudoNode root() const override;
  Result<PseudoNode> lookup(const PseudoNode& dir, const std::string& name,
                            const Caller& caller) override;
  abi::Stat stat(const PseudoNode& node) override;
  Result<std::vector<DirEntry>> list(const PseudoNode& dir, const Caller& caller) override;
  Result<std::string> link_target(const PseudoNode& node, const Caller& caller) override;
  Result<std::shared_ptr<File>> open_file(const PseudoNode& node, u64 flags,
                                          const std::string& path, const Caller& caller) override;

 private:
  Kernel& m_kernel;
};

}  // namespace kernel::fs::procfs
