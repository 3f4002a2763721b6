// Character devices the guest may open: Linux's "mem" devices (major 1), as devfs's nodes
// (and any node the guest makes with the same numbers) name them.
//   1:3 null  1:5 zero  1:7 full  1:8 random  1:9 urandom
#pragma once

#include <memory>
#include <string>

#include "kernel/fs/filesystem.h"

namespace kernel::fs {

inline constexpr u32 kMemMajor = 1;
inline constexpr u32 kNullMinor = 3, kZeroMinor = 5, kFullMinor = 7, kRandomMinor = 8;
inline constexpr u32 kUrandomMinor = 9;

// Opens the device `inode` (a character device node with number `rdev`); ENXIO for a
// device emu does not have.
Result<std::shared_ptr<File>> open_device(std::shared_ptr<Inode> inode, u64 rdev, std::string path);

// Whether `file` is /dev/zero, whose MAP_SHARED mapping is shared anonymous memory.
bool is_dev_zero(const File& file);

}  // namespace kernel::fs
