// The OOM killer (Linux's mm/oom_kill.c): when reclaim could free nothing for a fault, the
// process with the largest footprint is killed so that the rest can go on.
#include <cstdio>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/process.h"

namespace kernel {

void Kernel::out_of_memory(u64 fault_addr) {
  if (m_exit.exited) return;
  // select_bad_process(): the largest oom_badness() wins. One process runs today, so it
  // is the candidate; the choice is still made on the same measure.
  Process* victim = m_process.get();
  u64 worst = 0;
  for (Process* candidate : {m_process.get()}) {
    const auto usage = candidate->address_space().usage();
    const u64 badness =
        usage.anon_rss + usage.file_rss + usage.shmem_rss + usage.swap_entries + usage.page_tables;
    if (badness >= worst) {
      worst = badness;
      victim = candidate;
    }
  }
  const auto usage = victim->address_space().usage();
  ++m_memory.stats().oom_kill;
  if (m_sink) {
    constexpr u64 kKiB = kPageSize / 1024;
    char line[256];
    std::snprintf(line, sizeof line,
                  "Out of memory: Killed process %d (%s) total-vm:%llukB, anon-rss:%llukB, "
                  "file-rss:%llukB, shmem-rss:%llukB, UID:0 pgtables:%llukB oom_score_adj:0",
                  victim->pid(), victim->comm().c_str(),
                  static_cast<unsigned long long>(usage.total_vm * kKiB),
                  static_cast<unsigned long long>(usage.anon_rss * kKiB),
                  static_cast<unsigned long long>(usage.file_rss * kKiB),
                  static_cast<unsigned long long>(usage.shmem_rss * kKiB),
                  static_cast<unsigned long long>(usage.page_tables * kKiB));
    m_sink->warning(line);
  }
  m_exit.out_of_memory = true;
  kill_process(abi::kSIGKILL, 0, fault_addr);
}

}  // namespace kernel
