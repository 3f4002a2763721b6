// A file that shows one kernel-wide setting and, where Linux allows it, changes it on
// write: the entries of /proc/sys and /sys/kernel/mm. Each is a path, a mode, and how to
// read and write the value in the kernel's own state.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/base/result.h"

namespace kernel {
class Kernel;
}

namespace kernel::fs::procfs {

struct SettingFile {
  std::string path;  // below the tree's root: "vm/swappiness"
  u32 mode = 0444;
  std::function<std::string(Kernel&)> read;
  std::function<Result<void>(Kernel&, std::string_view)> write;  // null: read-only
  // A debugfs file's write operation (fs/sysfs/debugfs.h): how many of the bytes it took,
  // which may be fewer than it was given.
  std::function<Result<u64>(Kernel&, std::string_view)> debugfs_write;
};

// proc_dointvec_minmax's parsing: optional leading whitespace, an optional '-', decimal
// digits, then only whitespace. EINVAL for anything else or a value outside [min, max].
Result<i64> parse_int_setting(std::string_view text, i64 min, i64 max);
// sysfs_streq(): equal, ignoring one trailing newline on either side.
bool sysfs_streq(std::string_view a, std::string_view b);

// The files of /proc/sys and of /sys, each sorted by path.
const std::vector<SettingFile>& sysctl_files();
const std::vector<SettingFile>& sysfs_files();

}  // namespace kernel::fs::procfs
