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
  // select_bad_process(): the largest oom_badness() wins: RSS, swap entries and page
  // tables, moved by oom_score_adj in thousandths of RAM; -1000 is never chosen.
  Process* victim = nullptr;
  i64 worst = 0;
  const i64 total = static_cast<i64>(m_memory.frames().total_frames());
  for (Process* candidate : processes()) {
    // A process marked dying whose threads have not run yet still holds its memory: it
    // may be chosen, and then ends now.
    if (!candidate->alive() || (candidate->exiting() && !candidate->group_exit_pending()) ||
        candidate->oom_score_adj() == -1000)
      continue;
    const auto usage = candidate->address_space().usage();
    i64 badness = static_cast<i64>(usage.anon_rss + usage.file_rss + usage.shmem_rss +
                                   usage.swap_entries + usage.page_tables);
    badness += candidate->oom_score_adj() * total / 1000;
    if (!victim || badness > worst) {
      worst = badness;
      victim = candidate;
    }
  }
  if (!victim) victim = m_current_process;
  const auto usage = victim->address_space().usage();
  ++m_memory.stats().oom_kill;
  if (m_sink) {
    constexpr u64 kKiB = kPageSize / 1024;
    char line[256];
    std::snprintf(line, sizeof line,
                  "Out of memory: Killed process %d (%s) total-vm:%llukB, anon-rss:%llukB, "
                  "file-rss:%llukB, shmem-rss:%llukB, UID:0 pgtables:%llukB oom_score_adj:%d",
                  victim->pid(), victim->comm().c_str(),
                  static_cast<unsigned long long>(usage.total_vm * kKiB),
                  static_cast<unsigned long long>(usage.anon_rss * kKiB),
                  static_cast<unsigned long long>(usage.file_rss * kKiB),
                  static_cast<unsigned long long>(usage.shmem_rss * kKiB),
                  static_cast<unsigned long long>(usage.page_tables * kKiB),
                  victim->oom_score_adj());
    m_sink->warning(line);
  }
  if (victim == m_init) {
    m_exit.out_of_memory = true;
    m_exit.signal = abi::kSIGKILL;
    m_exit.fault_addr = fault_addr;
  }
  // The faulting thread, if it lives on, takes the fault again once the victim's memory
  // is free.
  zap_process(*victim, abi::kSIGKILL);
}

}  // namespace kernel
