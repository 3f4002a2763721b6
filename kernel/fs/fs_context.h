// A process's filesystem state (Linux's fs_struct): where relative paths start, and the
// creation mask. fork() copies it; the Vfs only reads it.
#pragma once

#include <string>

#include "kernel/base/types.h"

namespace kernel::fs {

struct FsContext {
  // The working directory as a canonical guest path: absolute, no ".", "..", symlinks or
  // repeated slashes. chdir() stores what the Vfs resolved, so lookups can start from it.
  std::string cwd = "/";
  u32 umask = 022;
};

}  // namespace kernel::fs
