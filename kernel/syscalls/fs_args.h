// Argument decoding the file syscalls share (sys_fs.cpp, sys_fs_change.cpp): fds, paths,
// dirfds and who is asking, checked the way Linux checks them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kernel/abi/linux.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/path.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

inline mm::AddressSpace& memory(SyscallContext& ctx) {
  return ctx.process.address_space();
}

inline fs::Caller caller_of(SyscallContext& ctx) {
  return {ctx.process.fs(), ctx.process.pid(), ctx.process.exe_path(), &ctx.process.fds(),
          ctx.process.creds()};
}

// fd arguments are `unsigned int` in Linux, dirfds `int`: only the low 32 bits count.
inline int fd_arg(u64 v) {
  return static_cast<int>(static_cast<u32>(v));
}

enum class AllowPathFd : u8 { No, Yes };

// The file an fd names. Most calls refuse an O_PATH descriptor with EBADF (Linux's fdget);
// fstat, fchdir, fcntl and *at() dirfds accept it (fdget_raw).
inline Result<std::shared_ptr<fs::File>> file_of(SyscallContext& ctx, u64 fd,
                                                 AllowPathFd allow = AllowPathFd::No) {
  auto file = TRY(ctx.process.fds().get(fd_arg(fd)));
  if (allow == AllowPathFd::No && (file->status_flags & abi::kO_PATH)) return abi::Errno::kEBADF;
  return file;
}

inline Result<std::string> path_arg(SyscallContext& ctx, u64 addr) {
  return mm::copy_string_from_user(memory(ctx), addr, fs::kPathMax - 1);
}

// The directory a relative path starts from: null for AT_FDCWD (the cwd), and for an
// absolute path, whose dirfd Linux never looks at.
inline Result<std::shared_ptr<fs::File>> dir_arg(SyscallContext& ctx, u64 dirfd,
                                                 std::string_view path) {
  if ((!path.empty() && path[0] == '/') || fd_arg(dirfd) == abi::kAT_FDCWD)
    return std::shared_ptr<fs::File>();
  return file_of(ctx, dirfd, AllowPathFd::Yes);
}

}  // namespace kernel::syscalls
