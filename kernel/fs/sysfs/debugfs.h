// debugfs, which 6.1 mounts at /sys/kernel/debug: the files of it emu has, shown in the
// /sys tree below kernel/debug.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernel/fs/file.h"
#include "kernel/fs/procfs/setting_file.h"

namespace kernel::fs::procfs {

// debugfs's root directory in the /sys tree: root's alone (DEBUGFS_DEFAULT_MODE, 0700).
inline constexpr const char* kDebugfsDir = "kernel/debug";

// Appends debugfs's files (split_huge_pages) to the /sys tree's list.
void add_debugfs_files(std::vector<SettingFile>& out);

// An open debugfs file. It is no sysfs attribute: root opens it whatever its mode says, a
// read without a read operation is EINVAL, lseek is ESPIPE (no_llseek), and a write answers
// what the file's write operation took (SettingFile::debugfs_write).
std::shared_ptr<File> open_debugfs_file(Kernel& kernel, const SettingFile& setting, abi::Stat stat,
                                        std::string path);

}  // namespace kernel::fs::procfs
