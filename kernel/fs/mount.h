// The mount table: which filesystem serves which guest directory. A mount point is named by
// its canonical guest path; path resolution checks each directory it enters against the
// table, before asking the filesystem below, so a mount covers whatever was there (the
// host's /tmp is never seen under a tmpfs /tmp) and works even where the directory below
// does not exist. ".." out of a mount's root goes back to the directory it covers, because
// the walk pops its own stack (path.cpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/fs/filesystem.h"

namespace kernel::fs {

struct Mount {
  std::string path;  // canonical guest path of the mount point ("/" for the root)
  std::shared_ptr<Filesystem> fs;
  std::shared_ptr<Inode> root;
};

class MountTable {
 public:
  // Mounts `fs` at `path` (canonical, absolute), over any earlier mount there. Bounded:
  // EMFILE-like ENOSPC past kMaxMounts.
  Result<void> mount(std::string path, std::shared_ptr<Filesystem> fs);
  // The mount whose root is exactly at `path`, or null.
  const Mount* at(std::string_view path) const;
  // The mount a canonical path lies on: the one at its longest mounted prefix.
  const Mount& containing(std::string_view path) const;
  // The root mount ("/"); VERIFY-fails when nothing is mounted there.
  const Mount& root() const;
  // Every mount, in mount order (for /proc/mounts).
  const std::vector<std::unique_ptr<Mount>>& mounts() const { return m_mounts; }

  static constexpr size_t kMaxMounts = 256;

 private:
  std::vector<std::unique_ptr<Mount>> m_mounts;  // stable addresses: Resolved points here
};

}  // namespace kernel::fs
