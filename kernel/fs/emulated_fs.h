// The emulated /proc and /sys, until procfs and sysfs replace them: a few fixed nodes that
// must not reach the host (the host's /proc/self is the emulator):
//   /proc/self           -> "<pid>" (a symlink, as on Linux)
//   /proc/<pid>/exe      -> the process's executable path, for the caller's own pid
//   /proc/<pid>/fd/N     -> the open file fd N names (a "magic" link: following it reopens
//                           that file, as Linux does; its text is the file's path)
//   /sys                 -> an empty directory
// Everything else under them is ENOENT.
#pragma once

#include <memory>

#include "kernel/fs/filesystem.h"

namespace kernel::fs {

enum class EmulatedTree : u8 { Proc, Sys };

class EmulatedFilesystem final : public Filesystem {
 public:
  explicit EmulatedFilesystem(EmulatedTree tree);

  const char* type_name() const override { return m_tree == EmulatedTree::Proc ? "proc" : "sysfs"; }
  std::shared_ptr<Inode> root() override { return m_root; }
  Result<Statfs> statfs() override;
  u64 dev() const { return m_dev; }

 private:
  EmulatedTree m_tree;
  u64 m_dev;
  std::shared_ptr<Inode> m_root;
};

// The text /proc/<pid>/fd/N reads for an open file: its path, or "anon_inode:..." /
// "pipe:[...]" for files with no path.
std::string fd_link_text(const File& file);

}  // namespace kernel::fs
