// A tree the kernel serves from its own state (procfs at /proc, sysfs at /sys), as plain
// values: PseudoNode says what an entry is and whose it is, never a host object.
// PseudoFilesystem (procfs/pseudo_filesystem.h) mounts such a tree as a Filesystem.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/host_file.h"

namespace kernel::fs {

struct Caller;

struct PseudoNode {
  u16 kind = 0;      // the tree's own meaning
  int pid = 0;       // the process a /proc/PID entry belongs to
  i64 arg = 0;       // a descriptor number, a table index ...
  std::string path;  // a directory of settings: "vm", "kernel/mm/ksm"
};

class PseudoFs {
 public:
  virtual ~PseudoFs() = default;

  virtual PseudoNode root() const = 0;
  // The entry `name` of directory `dir`; ENOENT when there is none.
  virtual Result<PseudoNode> lookup(const PseudoNode& dir, const std::string& name,
                                    const Caller& caller) = 0;
  virtual abi::Stat stat(const PseudoNode& node) = 0;
  // The entries of a directory, "." and ".." first.
  virtual Result<std::vector<DirEntry>> list(const PseudoNode& dir, const Caller& caller) = 0;
  virtual Result<std::string> link_target(const PseudoNode& node, const Caller& caller) = 0;
  // For a "magic" link (/proc/PID/fd/N): the open file it names, which following the link
  // lands on; null for a link that is only text.
  virtual std::shared_ptr<File> link_file(const PseudoNode& node) {
    (void)node;
    return nullptr;
  }
  // Opens a regular file (directories and O_PATH opens are the Filesystem's business).
  virtual Result<std::shared_ptr<File>> open_file(const PseudoNode& node, u64 flags,
                                                  const std::string& path,
                                                  const Caller& caller) = 0;
};

}  // namespace kernel::fs
