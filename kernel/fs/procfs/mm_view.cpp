#include "kernel/fs/procfs/mm_view.h"

#include <algorithm>

#include "kernel/arch/x86_64/page_table.h"
#include "kernel/fs/file.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/lru.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/swap.h"
#include "kernel/proc/process.h"

namespace kernel::fs::procfs {

using x86_64::Pte;

namespace {

u64 level_span(int level) {
  return u64{1} << (kPageShift + 9 * (level - 1));
}

// Linux's vm_stat_account() classes.
bool is_exec_mapping(u64 flags) {
  return (flags & (mm::VM_WRITE | mm::VM_EXEC | mm::VM_GROWSDOWN)) == mm::VM_EXEC;
}
bool is_stack_mapping(u64 flags) {
  return flags & mm::VM_GROWSDOWN;
}
bool is_data_mapping(u64 flags) {
  return (flags & (mm::VM_WRITE | mm::VM_SHARED | mm::VM_GROWSDOWN)) == mm::VM_WRITE;
}
// accountable_mapping(): private writable memory is charged to Committed_AS.
bool is_accountable(u64 flags) {
  return (flags & (mm::VM_WRITE | mm::VM_SHARED | mm::VM_NORESERVE)) == mm::VM_WRITE;
}

}  // namespace

MmView::MmView(mm::AddressSpace& as, const mm::FrameAllocator& frames)
    : m_as(as), m_frames(frames) {}

u64 MmView::task_size() const {
  return mm::kTaskSize;
}

u64 MmView::brk_start() const {
  return m_as.brk_start();
}

u64 MmView::brk() const {
  return m_as.brk();
}

u64 MmView::minor_faults() const {
  return m_as.fault_counters().minor;
}

u64 MmView::major_faults() const {
  return m_as.fault_counters().major;
}

bool MmView::thp_eligible(const VmaView& view) const {
  const mm::Vma* vma = m_as.find_vma(view.start);
  return vma && m_as.thp_vma_allowed(*vma, false, true, true);
}

std::vector<VmaView> MmView::vmas() const {
  std::vector<VmaView> out;
  out.reserve(m_as.vmas().size());
  for (const auto& [start, vma] : m_as.vmas()) {
    VmaView v;
    v.start = vma.start;
    v.end = vma.end;
    v.flags = vma.flags;
    if (vma.file) {
      v.has_file = true;
      v.offset = vma.file_offset;
      abi::Stat st{};
      if (vma.file->stat(st).ok()) {
        v.dev = st.st_dev;
        v.ino = st.st_ino;
      }
      v.path = vma.file->path();
    }
    if (vma.role == mm::VmaRole::Heap) v.name = VmaView::Name::Heap;
    if (vma.role == mm::VmaRole::Stack) v.name = VmaView::Name::Stack;
    out.push_back(std::move(v));
  }
  return out;
}

void MmView::for_each_page(const VmaView& view, u64 start, u64 end,
                           const std::function<void(u64, const PageView&)>& fn) const {
  start = std::max(start, view.start);
  end = std::min(end, view.end);
  const mm::Vma* vma = m_as.find_vma(view.start);
  if (!vma || start >= end) return;
  const mm::MemoryObject* object = vma->object.get();
  // Shared anonymous memory, tmpfs and memfd pages are shmem; a host file's are page cache.
  const bool shmem_object = object && object->kind() != mm::ObjectKind::PageCache;
  auto& table = m_as.page_table();
  u64 va = start;
  while (va < end) {
    u64 span = level_span(4);
    for (int level = 4; level >= 1; --level) {
      span = level_span(level);
      const Pte* entry = table.entry(va, level, x86_64::Allocate::No);
      if (!entry || entry->none()) break;
      const bool leaf = level == 1 || (entry->present() && entry->huge());
      if (!leaf) {
        if (!entry->present()) break;  // software states live in leaves only
        continue;
      }
      PageView page;
      page.size = span;
      const Pte pte = *entry;
      // The entry's own bit; render_pagemap adds the VMA's VM_SOFTDIRTY.
      page.soft_dirty = pte.soft_dirty();
      if (pte.present() || pte.soft_type() == Pte::SoftType::ProtNone) {
        // A PROT_NONE page keeps its frame; Linux's pte_present() is true for it too.
        page.state = PageView::State::Present;
        page.pfn = pte.present() ? pte.pfn().value : pte.soft_value();
        page.dirty = pte.present() && pte.dirty();
        page.accessed = pte.present() && pte.accessed();
        page.zero_page = Pfn(page.pfn) == m_as.zero_page();
        // The huge zero page: no normal page for smaps (follow_trans_huge_pmd refuses
        // it), but pagemap shows it present and not anonymous, mapped by nobody.
        const bool huge_zero = m_as.memory().is_huge_zero(Pfn(page.pfn));
        page.zero_page |= huge_zero;
        page.huge_zero = huge_zero;
        if (!page.zero_page) {
          // The object's own frame (not a private copy of it), when the VMA maps one.
          const bool object_page =
              object && object->find_page(vma->page_index(va)) == std::optional<Pfn>(Pfn(page.pfn));
          page.anonymous = !object_page;
          page.shmem = object_page && shmem_object;
          // Each mapping holds a reference; an object holds one more for its own page
          // list. Until frames count their mappings apart, that difference is the map
          // count.
          const u32 refs = m_frames.refcount(Pfn(page.pfn));
          page.mapcount = object_page && refs > 0 ? refs - 1 : refs;
        }
      } else {
        // Swap, hardware-poison and migration entries: Linux shows them all as swap
        // entries (type and offset).
        page.state = PageView::State::Swapped;
        page.swap_type = static_cast<u64>(pte.soft_type());
        // Linux 6.1's SWP_HWPOISON is MAX_SWAPFILES: 32 minus the device (4), migration (3),
        // hwpoison, PTE-marker and swapin-error types (Debian's configuration), 22; the
        // offset is the frame.
        if (pte.soft_type() == x86_64::Pte::SoftType::HwPoison) page.swap_type = 22;
        page.swap_offset = pte.soft_value();
      }
      fn(va, page);
      break;
    }
    const u64 next = (va & ~(span - 1)) + span;
    if (next <= va) break;  // wrapped past the top
    va = next;
  }
}

MmCounters MmView::counters() const {
  MmCounters c;
  for (const VmaView& vma : vmas()) {
    const u64 pages = vma.size() >> kPageShift;
    c.total_vm += pages;
    if (vma.flags & mm::VM_LOCKED) c.locked_vm += pages;
    if (is_exec_mapping(vma.flags)) c.exec_vm += pages;
    if (is_stack_mapping(vma.flags)) c.stack_vm += pages;
    if (is_data_mapping(vma.flags)) c.data_vm += pages;
    if (is_accountable(vma.flags)) c.committed_pages += pages;
    // Linux keeps these counters as pages are mapped and unmapped; emu counts the page
    // tables' present leaves, which is the same number.
    for_each_page(vma, vma.start, vma.end, [&](u64, const PageView& page) {
      const u64 n = page.size >> kPageShift;
      if (page.state == PageView::State::Swapped) {
        c.swap_entries += n;
        return;
      }
      if (page.zero_page) return;
      if (page.shmem)
        c.shmem_pages += n;
      else if (page.anonymous)
        c.anon_pages += n;
      else
        c.file_pages += n;
      if (page.anonymous && page.size > kPageSize) c.anon_huge_pages += n;
    });
  }
  // No high-water marks are kept yet; Linux reports max(mark, current), so the current
  // values are what it would show for a process whose usage never shrank.
  c.hiwater_vm = c.total_vm;
  c.hiwater_rss = c.rss();
  // Linux counts the tables below the top level (mm_pgtables_bytes leaves out the PGD).
  c.page_table_bytes = (m_as.page_table().table_pages() - 1) * kPageSize;
  return c;
}

MemoryTotals memory_totals(Kernel& kernel) {
  MemoryTotals t;
  const mm::FrameAllocator& frames = kernel.frames();
  t.total = frames.total_frames();
  t.free = frames.free_frames();
  // Linux keeps global page-state counters; emu sums the processes' page tables. Without
  // memory objects no page is mapped by two processes, so nothing is counted twice.
  for (Process* process : kernel.processes()) {
    const MmCounters c = MmView(process->address_space(), frames).counters();
    t.anon += c.anon_pages;
    t.mapped += c.file_pages;
    t.shmem += c.shmem_pages;
    t.cached += c.file_pages + c.shmem_pages;
    t.page_tables += c.page_table_bytes >> kPageShift;
    t.committed += c.committed_pages;
    t.mlocked += c.locked_vm;
    t.anon_huge += c.anon_huge_pages;
  }
  mm::MemoryManager& memory = kernel.memory();
  t.shmem_huge = memory.stats().nr_shmem_thps << 9;
  t.shmem_pmd_mapped = memory.stats().nr_shmem_pmdmapped << 9;
  const mm::LruLists& lru = memory.lru();
  t.active_anon = lru.size(mm::LruList::ActiveAnon);
  t.inactive_anon = lru.size(mm::LruList::InactiveAnon);
  t.active_file = lru.size(mm::LruList::ActiveFile);
  t.inactive_file = lru.size(mm::LruList::InactiveFile);
  // Cached: the page cache on the file lists (mapped or read ahead) and shared memory.
  t.cached = t.active_file + t.inactive_file + t.shmem;
  const mm::SwapDevice& swap = memory.swap();
  t.swap_total = swap.total_slots();
  t.swap_free = swap.free_slots();
  t.swap_cached = swap.cached_slots();
  // si_mem_available(): free frames, plus the page cache reclaim could drop, less what
  // the low watermark keeps back.
  const u64 pagecache = t.active_file + t.inactive_file;
  t.available = t.free + pagecache - std::min(pagecache / 2, memory.low_watermark());
  // num_poisoned_pages: frames memory_failure or soft offline retired.
  t.hardware_corrupted = memory.poisoned_pages();
  // No writeback yet: Linux shows zero for it in the same situation.
  return t;
}

}  // namespace kernel::fs::procfs
