// File syscall handlers (sys_read, sys_openat, ...), one per entry of EMU_SYSCALLS_FS in
// list_fs.h. They decode and validate the guest's arguments as Linux 6.1 does and leave
// the work to the process's FdTable and the kernel's Vfs.
#pragma once

#include <memory>

#include "kernel/fs/file.h"
#include "kernel/syscalls/list_fs.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

#define EMU_DECLARE_FS_HANDLER(nr, name, ...) \
  Result<i64> sys_##name(SyscallContext& ctx, const SyscallArgs& args);
EMU_SYSCALLS_FS(EMU_DECLARE_FS_HANDLER)
#undef EMU_DECLARE_FS_HANDLER

// fcntl's record-lock commands (F_GETLK, F_SETLK(W), F_OFD_*): sys_lock.cpp.
Result<i64> fcntl_lock(SyscallContext& ctx, const std::shared_ptr<fs::File>& file, int cmd,
                       u64 arg);
// A descriptor of `file` was closed (close, dup2 over it): the caller's POSIX locks on the
// file go, and the description's OFD locks when this was its last descriptor.
void locks_closed(SyscallContext& ctx, const std::shared_ptr<fs::File>& file);

}  // namespace kernel::syscalls
