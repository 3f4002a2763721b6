#include "kernel/proc/remote_access.h"

#include "kernel/abi/linux.h"
#include "kernel/proc/process.h"

namespace kernel::proc {

bool may_access_process(const Process& caller, const Process& target, u32 mode) {
  if (&caller == &target) return true;
  const bool dumpable = !target.alive() || target.prctl_state().dumpable == 1;
  return ptrace_may_access(caller.creds(), target.creds(), mode, dumpable);
}

Result<void> process_madvise_access(const Credentials& caller, const Credentials& target,
                                    bool same_mm, bool target_dumpable) {
  if (!same_mm && !ptrace_may_access(caller, target, kPtraceModeReadFscreds, target_dumpable))
    return abi::Errno::kEACCES;
  if (!capable(caller, cap::kSysNice)) return abi::Errno::kEPERM;
  return {};
}

}  // namespace kernel::proc
