// The OOM reaper's unmapping of a dying process's memory (Linux 6.1's __oom_reap_task_mm in
// mm/oom_kill.c), which process_mrelease asks for: the memory goes back before the process
// has finished dying.
#include <vector>

#include "kernel/mm/address_space.h"

namespace kernel::mm {

void AddressSpace::oom_reap() {
  // The ranges first: unmapping leaves the VMAs as they are, but nothing here holds an
  // iterator across it.
  struct Range {
    u64 start;
    u64 end;
  };
  std::vector<Range> ranges;
  for (const auto& [start, vma] : m_vmas) {
    if (vma.flags & (VM_HUGETLB | VM_PFNMAP)) continue;
    // Only memory that is the process's own: a shared mapping's pages stay with their
    // object and other mappers, and exit drops the mapping.
    if (!vma.anonymous() && vma.shared()) continue;
    ranges.push_back({vma.start, vma.end});
  }
  for (const Range& r : ranges) zap_range(r.start, r.end);
}

}  // namespace kernel::mm
