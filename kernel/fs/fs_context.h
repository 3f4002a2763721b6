// A process's filesystem state (Linux's fs_struct): where relative paths start, and the
// creation mask. fork() copies it; the Vfs only reads it.
#pragma once

#include <string>
#include <string_view>

#include "kernel/base/types.h"
#include "kernel/proc/credentials.h"

namespace kernel::fs {

struct FsContext {
  // The working directory as a canonical guest path: absolute, no ".", "..", symlinks or
  // repeated slashes. chdir() stores what the Vfs resolved, so lookups can start from it.
  std::string cwd = "/";
  u32 umask = 022;
};

class FdTable;

// Whose rights a request carries: the calling process's credentials. check_permission()
// (filesystem.h) and the VFS's ownership checks read them.
using Credentials = kernel::Credentials;

// Who is looking a path up: the filesystem context relative paths start from, and the
// process that /proc/self names (pid 0: none, so /proc/self does not exist).
struct Caller {
  const FsContext& fs;
  int pid = 0;
  std::string_view exe_path;     // what /proc/<pid>/exe reads; should be a canonical guest path
  const FdTable* fds = nullptr;  // what /proc/<pid>/fd lists; null: no descriptors
  Credentials cred{};
};

}  // namespace kernel::fs
