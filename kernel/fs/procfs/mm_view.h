// What procfs reads of memory management, in one place. The /proc renderers never look at
// VMAs, page tables or frames directly: they see VMAs, pages and counters through this
// adapter, so that when the memory layer changes (page frames with map counts, memory
// objects, swap entries, LRU lists), only this file and mm_view.cpp change with it.
//
// Each value is read from the kernel's real state. Where the state does not exist yet the
// adapter reports what the kernel really has (no swap device: no swap; no LRU: nothing on
// it), which is what Linux shows in the same situation; mm_view.cpp marks each such place.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kernel/base/types.h"

namespace kernel {
class Kernel;
class Process;
}  // namespace kernel

namespace kernel::mm {
class AddressSpace;
class FrameAllocator;
}  // namespace kernel::mm

namespace kernel::fs::procfs {

// One VMA, as /proc/PID/maps and smaps show it.
struct VmaView {
  u64 start = 0;
  u64 end = 0;
  u64 flags = 0;  // VM_* bits, Linux's values
  // The backing file: its offset at `start` (bytes), device and inode, guest path.
  bool has_file = false;
  u64 offset = 0;
  u64 dev = 0;  // the guest's st_dev encoding (glibc makedev)
  u64 ino = 0;
  std::string path;
  enum class Name : u8 { None, Heap, Stack };
  Name name = Name::None;

  u64 size() const { return end - start; }
};

// One page-table leaf, as smaps and pagemap see it.
struct PageView {
  enum class State : u8 { Present, Swapped };
  State state = State::Present;
  u64 size = kPageSize;  // bytes the leaf maps: 4 KiB, or 2 MiB / 1 GiB for a PS entry
  u64 pfn = 0;           // Present: the first frame
  u64 swap_type = 0;     // Swapped: Linux's swp_type / swp_offset
  u64 swap_offset = 0;
  bool dirty = false;
  bool accessed = false;
  bool soft_dirty = false;
  // Linux's vm_normal_page() is NULL for the shared zero page: it counts nowhere.
  bool zero_page = false;
  bool huge_zero = false;  // the huge zero page (zero_page is set too)
  bool anonymous = false;  // PageAnon: not page cache and not shmem
  bool shmem = false;      // shared anonymous memory (Linux's MM_SHMEMPAGES)
  u32 mapcount = 0;        // how many page-table entries map the frame
};

// Linux's mm_struct counters (in pages, like get_mm_counter and mm->total_vm).
struct MmCounters {
  u64 anon_pages = 0;
  u64 file_pages = 0;
  u64 shmem_pages = 0;
  u64 swap_entries = 0;
  u64 total_vm = 0;
  u64 locked_vm = 0;
  u64 pinned_vm = 0;
  u64 data_vm = 0;
  u64 exec_vm = 0;
  u64 stack_vm = 0;
  u64 hiwater_vm = 0;
  u64 hiwater_rss = 0;
  u64 page_table_bytes = 0;
  u64 committed_pages = 0;  // accountable (private writable) mappings: Committed_AS
  u64 anon_huge_pages = 0;  // anonymous memory mapped by PS entries, in 4 KiB pages

  u64 rss() const { return anon_pages + file_pages + shmem_pages; }
};

class MmView {
 public:
  MmView(mm::AddressSpace& as, const mm::FrameAllocator& frames);

  std::vector<VmaView> vmas() const;
  // Calls fn(address, page) for each non-empty leaf of `vma` within [start, end), in
  // address order (a PS leaf once, at its first address in the range). Absent tables are
  // skipped at their full span, so the cost follows what is mapped.
  void for_each_page(const VmaView& vma, u64 start, u64 end,
                     const std::function<void(u64, const PageView&)>& fn) const;
  MmCounters counters() const;
  // The end of user space: pagemap has one entry per page below it.
  u64 task_size() const;
  // The program break: where the heap starts and where it ends now.
  u64 brk_start() const;
  u64 brk() const;
  // Page faults resolved (minor) and those that needed I/O (major).
  u64 minor_faults() const;
  u64 major_faults() const;
  // smaps THPeligible: whether the VMA may hold transparent huge pages.
  bool thp_eligible(const VmaView& vma) const;

 private:
  mm::AddressSpace& m_as;
  const mm::FrameAllocator& m_frames;
};

// Kernel-wide memory totals (pages), for /proc/meminfo and sysinfo.
struct MemoryTotals {
  u64 total = 0;
  u64 free = 0;
  u64 available = 0;
  u64 cached = 0;  // page-cache pages (file pages and shmem)
  u64 shmem = 0;
  u64 anon = 0;
  u64 mapped = 0;  // file pages mapped by a process
  u64 page_tables = 0;
  u64 committed = 0;
  u64 swap_total = 0;
  u64 swap_free = 0;
  u64 swap_cached = 0;
  u64 active_anon = 0, inactive_anon = 0, active_file = 0, inactive_file = 0;
  u64 unevictable = 0;
  u64 mlocked = 0;
  u64 dirty = 0;
  u64 anon_huge = 0;
  u64 shmem_huge = 0;        // pages of shmem huge pages (NR_SHMEM_THPS)
  u64 shmem_pmd_mapped = 0;  // pages of those mapped by huge entries (NR_SHMEM_PMDMAPPED)
  u64 hardware_corrupted = 0;
};

MemoryTotals memory_totals(Kernel& kernel);

}  // namespace kernel::fs::procfs
