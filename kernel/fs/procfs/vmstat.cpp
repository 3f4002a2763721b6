// /proc/vmstat: the page-state counters and event counters of Linux 6.1's mm/vmstat.c
// (vmstat_text), in its order, for the ones emu keeps. Counters of subsystems emu does not
// have (NUMA, compaction, writeback) are left out rather than shown as 0.
#include <string>

#include "kernel/fs/procfs/mm_view.h"
#include "kernel/fs/procfs/proc_system.h"
#include "kernel/kernel.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::fs::procfs {

std::string render_vmstat(Kernel& kernel) {
  const MemoryTotals t = memory_totals(kernel);
  const mm::VmStats& s = kernel.memory().stats();
  std::string out;
  auto line = [&](const char* name, u64 value) {
    out += name;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
  };
  line("nr_free_pages", t.free);
  line("nr_zone_inactive_anon", t.inactive_anon);
  line("nr_zone_active_anon", t.active_anon);
  line("nr_zone_inactive_file", t.inactive_file);
  line("nr_zone_active_file", t.active_file);
  line("nr_zone_unevictable", t.unevictable);
  line("nr_mlock", t.mlocked);
  line("nr_inactive_anon", t.inactive_anon);
  line("nr_active_anon", t.active_anon);
  line("nr_inactive_file", t.inactive_file);
  line("nr_active_file", t.active_file);
  line("nr_unevictable", t.unevictable);
  line("nr_anon_pages", t.anon);
  line("nr_mapped", t.mapped);
  line("nr_file_pages", t.cached);
  line("nr_dirty", t.dirty);
  line("nr_shmem", t.shmem);
  line("nr_shmem_hugepages", t.shmem_huge >> 9);
  line("nr_shmem_pmdmapped", t.shmem_pmd_mapped >> 9);
  line("nr_file_hugepages", 0);  // no page-cache huge pages (READ_ONLY_THP_FOR_FS)
  line("nr_file_pmdmapped", 0);
  // Counted in huge pages (NR_ANON_THPS is kept in pages and shown divided by 512).
  line("nr_anon_transparent_hugepages", t.anon_huge >> 9);
  line("nr_page_table_pages", t.page_tables);
  line("nr_swapcached", t.swap_cached);
  line("pswpin", s.pswpin);
  line("pswpout", s.pswpout);
  line("pgmajfault", s.pgmajfault);
  line("pgactivate", s.pgactivate);
  line("pgdeactivate", s.pgdeactivate);
  line("pglazyfreed", s.pglazyfreed);
  line("pgsteal_direct", s.pgsteal);
  line("pgscan_direct", s.pgscan);
  line("oom_kill", s.oom_kill);
  line("thp_fault_alloc", s.thp_fault_alloc);
  line("thp_fault_fallback", s.thp_fault_fallback);
  line("thp_fault_fallback_charge", 0);  // no memory cgroups
  line("thp_collapse_alloc", s.thp_collapse_alloc);
  line("thp_collapse_alloc_failed", s.thp_collapse_alloc_failed);
  // 6.1 counts shmem huge pages under thp_file_*.
  line("thp_file_alloc", s.thp_file_alloc);
  line("thp_file_fallback", s.thp_file_fallback);
  line("thp_file_fallback_charge", 0);  // no memory cgroups
  line("thp_file_mapped", s.thp_file_mapped);
  line("thp_split_page", s.thp_split_page);
  line("thp_split_page_failed", s.thp_split_page_failed);
  // An anonymous huge page becomes small pages as soon as no huge entry maps it, so nothing
  // waits in a deferred-split queue.
  line("thp_deferred_split_page", 0);
  line("thp_split_pmd", s.thp_split_pmd);
  line("thp_scan_exceed_none_pte", s.thp_scan_exceed_none_pte);
  line("thp_scan_exceed_swap_pte", s.thp_scan_exceed_swap_pte);
  line("thp_scan_exceed_share_pte", s.thp_scan_exceed_share_pte);
  line("thp_split_pud", 0);  // no 1 GiB transparent pages on x86-64 anonymous memory
  line("thp_zero_page_alloc", s.thp_zero_page_alloc);
  line("thp_zero_page_alloc_failed", s.thp_zero_page_alloc_failed);
  line("thp_swpout", 0);  // the swap device has no huge slots: every huge page splits
  line("thp_swpout_fallback", s.thp_swpout_fallback);
  // A KSM page read back from swap is never copied here: reclaim swaps it out of every
  // mapper and it returns as an ordinary page, so 6.1's copy for a foreign anon_vma never
  // happens.
  line("ksm_swpin_copy", 0);
  line("cow_ksm", s.cow_ksm);
  return out;
}

}  // namespace kernel::fs::procfs
