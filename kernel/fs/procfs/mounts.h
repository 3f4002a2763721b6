// The mount table as /proc/PID/mounts and mountinfo show it (Linux's fs/proc_namespace.c).
#pragma once

#include <string>
#include <vector>

#include "kernel/base/types.h"

namespace kernel {
class Kernel;
}

namespace kernel::fs::procfs {

struct MountView {
  int id = 0;
  int parent = 0;
  u64 dev = 0;              // the guest's st_dev encoding of files on it
  std::string root = "/";   // the mounted directory within its filesystem
  std::string mount_point;  // where it is mounted, in the guest's tree
  bool read_only = false;   // the mount (MNT_READONLY)
  std::string mount_flags;  // show_mnt_opts(): ",nosuid,nodev,noexec,relatime"
  std::string fstype;
  std::string source;
  bool sb_read_only = false;  // the superblock (SB_RDONLY)
  std::string fs_options;     // the filesystem's show_options(): ",mode=755"
};

// The mounts the guest's namespace has now.
std::vector<MountView> current_mounts(Kernel& kernel);
// The mount that holds the guest path `path` (the longest mount point prefix).
const MountView* mount_of(const std::vector<MountView>& mounts, const std::string& path);

std::string render_mounts(const std::vector<MountView>& mounts);
std::string render_mountinfo(const std::vector<MountView>& mounts);

}  // namespace kernel::fs::procfs
