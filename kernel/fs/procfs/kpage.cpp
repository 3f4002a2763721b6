#include "kernel/fs/procfs/kpage.h"

#include <algorithm>

#include "kernel/abi/linux.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::fs::procfs {

namespace {

using mm::PageFrame;

// PAGES_PER_SECTION with x86-64's SECTION_SIZE_BITS of 27.
constexpr u64 kSectionFrames = u64{1} << (27 - kPageShift);

constexpr u64 kpf(int bit) {
  return u64{1} << bit;
}

// kpf_copy_bit(): a record flag shown as its KPF_* bit.
u64 copy_bit(const PageFrame& f, mm::PageFlag flag, int bit) {
  return f.test(flag) ? kpf(bit) : 0;
}

// Frames with no record of their own (frame 0, the kernel's per-frame records) are the
// memory 6.1 finds reserved at boot; so are the frames past RAM in its last section.
bool recorded(mm::MemoryManager& mm, Pfn pfn) {
  return pfn.value < mm.ram().frame_count() && mm.frames().manages(pfn);
}

}  // namespace

u64 kpage_dump_frames(const mm::MemoryManager& mm) {
  const u64 frames = mm.ram().frame_count();
  return (frames + kSectionFrames - 1) / kSectionFrames * kSectionFrames;
}

u64 stable_page_flags(mm::MemoryManager& mm, Pfn pfn) {
  using namespace abi;
  if (!recorded(mm, pfn)) {
    u64 u = kpf(kKPF_RESERVED);
    if (mm.unmanaged_poisoned(pfn)) u |= kpf(kKPF_HWPOISON);
    return u;
  }
  // A free frame: PageBuddy on the block's first frame, is_free_buddy_page() on the rest
  // (a free frame keeps no other flag; one found poisoned is taken off the free lists).
  if (mm.frames().is_free(pfn)) return kpf(kKPF_BUDDY);

  const PageFrame& f = mm.frame(pfn);
  const bool compound = f.test(mm::PG_head) || f.test(mm::PG_tail);
  const Pfn head_pfn = compound ? mm::compound_head(mm, pfn) : pfn;
  const PageFrame& head = mm.frame(head_pfn);
  const bool huge_zero = compound && mm.is_huge_zero(head_pfn);
  u64 u = 0;

  // page_mapped(): for a part of a compound page, whether any part is mapped at all (a
  // huge entry, or a small one of any of its frames).
  bool mapped = f.mapcount > 0;
  if (compound && !mapped) {
    mapped = mm::compound_mapcount(mm, head_pfn) > 0;
    for (u64 i = 0; i < mm::kHugePages && !mapped; ++i)
      mapped = mm.frame(Pfn(head_pfn.value + i)).mapcount > 0;
  }
  if (mapped) u |= kpf(kKPF_MMAP);
  // PageAnon() and PageKsm() look at the head's mapping; a KSM page is anonymous too.
  const bool anon = head.test(mm::PG_anon) || head.test(mm::PG_ksm);
  if (anon) u |= kpf(kKPF_ANON);
  if (head.test(mm::PG_ksm)) u |= kpf(kKPF_KSM);

  if (f.test(mm::PG_head)) u |= kpf(kKPF_COMPOUND_HEAD);
  if (f.test(mm::PG_tail)) u |= kpf(kKPF_COMPOUND_TAIL);
  // No hugetlb pages (KPF_HUGE): a compound page is a THP when its head is on the LRU or
  // anonymous; the huge zero page is one too, and a zero page.
  if (compound) {
    if (head.test(mm::PG_lru) || anon)
      u |= kpf(kKPF_THP);
    else if (huge_zero)
      u |= kpf(kKPF_ZERO_PAGE) | kpf(kKPF_THP);
  } else if (pfn == mm.zero_page()) {
    u |= kpf(kKPF_ZERO_PAGE);
  }

  u |= copy_bit(f, mm::PG_pagetable, kKPF_PGTABLE);
  // PG_uptodate: emu fills a page before anyone can see it (zeroed, copied, read from its
  // file or swap at once), so every page holding data is up to date, as 6.1 marks anonymous,
  // page-cache and swap-cache pages. Like 6.1's PG_uptodate, it is the head's alone in a
  // compound page (its tails get their own when it is split).
  if (!f.test(mm::PG_tail) &&
      (f.test(mm::PG_anon) || f.test(mm::PG_ksm) || f.owner || f.test(mm::PG_swapcache)))
    u |= kpf(kKPF_UPTODATE);
  u |= copy_bit(f, mm::PG_dirty, kKPF_DIRTY);
  u |= copy_bit(f, mm::PG_lru, kKPF_LRU);
  u |= copy_bit(f, mm::PG_referenced, kKPF_REFERENCED);
  u |= copy_bit(f, mm::PG_active, kKPF_ACTIVE);
  // PageSwapCache() is the head's PG_swapcache with PG_swapbacked; 6.1's PG_swapcache is
  // PG_owner_priv_1, which is copied raw as KPF_OWNER_PRIVATE.
  if (head.test(mm::PG_swapcache) && head.test(mm::PG_swapbacked)) u |= kpf(kKPF_SWAPCACHE);
  u |= copy_bit(f, mm::PG_swapcache, kKPF_OWNER_PRIVATE);
  u |= copy_bit(f, mm::PG_swapbacked, kKPF_SWAPBACKED);
  u |= copy_bit(f, mm::PG_unevictable, kKPF_UNEVICTABLE);
  u |= copy_bit(f, mm::PG_hwpoison, kKPF_HWPOISON);
  // emu marks the huge zero page reserved to keep it from being freed; 6.1's is an
  // ordinary compound allocation, so only the small zero page shows it.
  if (f.test(mm::PG_reserved) && !huge_zero) u |= kpf(kKPF_RESERVED);
  // Not kept per frame, so never shown: PG_locked, PG_error, PG_writeback, PG_reclaim,
  // PG_mlocked (emu counts locked memory by VMA), page_idle, and PG_mappedtodisk, which 6.1
  // also sets as PG_anon_exclusive on anonymous pages mapped by one process alone.
  return u;
}

u64 kpage_mapcount(mm::MemoryManager& mm, Pfn pfn) {
  // PageSlab / page_has_type (a free block's first frame, page tables): 0; so for every
  // other free frame and reserved memory, whose _mapcount is -1.
  if (!recorded(mm, pfn) || mm.frames().is_free(pfn)) return 0;
  if (mm.frame(pfn).test(mm::PG_pagetable)) return 0;
  return mm::page_mapcount(mm, pfn);
}

namespace {

template <typename Entry>
u64 read_frames(mm::MemoryManager& mm, u64 first, std::span<u64> out, Entry entry) {
  const u64 limit = kpage_dump_frames(mm);
  if (first >= limit) return 0;
  const u64 n = std::min<u64>(out.size(), limit - first);
  for (u64 i = 0; i < n; ++i) out[i] = entry(mm, Pfn(first + i));
  return n;
}

}  // namespace

u64 read_kpageflags(mm::MemoryManager& mm, u64 first, std::span<u64> out) {
  return read_frames(mm, first, out, stable_page_flags);
}

u64 read_kpagecount(mm::MemoryManager& mm, u64 first, std::span<u64> out) {
  return read_frames(mm, first, out, kpage_mapcount);
}

}  // namespace kernel::fs::procfs
