// File syscall handlers (sys_read, sys_openat, ...), one per entry of EMU_SYSCALLS_FS in
// list_fs.h. They decode and validate the guest's arguments as Linux 6.1 does and leave
// the work to the process's FdTable and the kernel's Vfs.
#pragma once

#include "kernel/syscalls/list_fs.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

#define EMU_DECLARE_FS_HANDLER(nr, name, ...) \
  Result<i64> sys_##name(SyscallContext& ctx, const SyscallArgs& args);
EMU_SYSCALLS_FS(EMU_DECLARE_FS_HANDLER)
#undef EMU_DECLARE_FS_HANDLER

}  // namespace kernel::syscalls
