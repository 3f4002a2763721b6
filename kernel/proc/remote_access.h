// The checks for reaching into another process through a pidfd (pidfd_getfd,
// process_madvise): Linux 6.1's ptrace_may_access() between thread groups, and
// process_madvise's pair of mm_access() and CAP_SYS_NICE.
#pragma once

#include "kernel/base/result.h"
#include "kernel/proc/credentials.h"

namespace kernel {
class Process;
}

namespace kernel::proc {

// ptrace_may_access(): a process may always reach its own thread group; another one
// under __ptrace_may_access's rules. A process that has ended has no mm, so its
// dumpable setting no longer counts.
bool may_access_process(const Process& caller, const Process& target, u32 mode);

// process_madvise's checks after the pidfd and advice are good, in 6.1's order:
// mm_access(PTRACE_MODE_READ_FSCREDS), which only asks when the target's memory is not
// the caller's, refuses with EACCES; then CAP_SYS_NICE, required even for oneself, EPERM.
Result<void> process_madvise_access(const Credentials& caller, const Credentials& target,
                                    bool same_mm, bool target_dumpable);

}  // namespace kernel::proc
