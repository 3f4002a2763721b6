// madvise(2) on an address space, as Linux 6.1's mm/madvise.c: the syscall layer has
// validated the range (aligned start, rounded length, no wrap-around); here the VMAs of
// the range are walked piece by piece and each piece gets the advice's handler. A hole in
// the range is ENOMEM, returned after the mapped parts were advised.
#include <algorithm>
#include <array>
#include <cstring>

#include "kernel/mm/address_space.h"
#include "kernel/mm/advice.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"

namespace kernel::mm {

using x86_64::Pte;

// The handlers reach the address space's internals (VMA splitting, page-table walks).
struct AdviceOps {
  // madvise_update_vma: the VMA flags of [start, end) become (flags | set) & ~clear,
  // splitting and merging VMAs as needed.
  static Result<void> update_flags(AddressSpace& as, u64 start, u64 end, u64 set, u64 clear) {
    const Vma* vma = as.find_vma(start);
    const u64 flags = (vma->flags | set) & ~clear;
    if (flags == vma->flags) return {};
    as.split_at(start);
    as.split_at(end);
    auto it = as.m_vmas.find(start);
    it->second.flags = flags;
    as.merge_around(it);
    return {};
  }

  static Result<void> flag_advice(AddressSpace& as, u64 start, u64 end, int advice) {
    const Vma& vma = *as.find_vma(start);
    switch (advice) {
      case abi::kMADV_NORMAL:
        return update_flags(as, start, end, 0, VM_SEQ_READ | VM_RAND_READ);
      case abi::kMADV_RANDOM:
        return update_flags(as, start, end, VM_RAND_READ, VM_SEQ_READ);
      case abi::kMADV_SEQUENTIAL:
        return update_flags(as, start, end, VM_SEQ_READ, VM_RAND_READ);
      case abi::kMADV_DONTFORK:
        return update_flags(as, start, end, VM_DONTCOPY, 0);
      case abi::kMADV_DOFORK:
        return update_flags(as, start, end, 0, VM_DONTCOPY);
      case abi::kMADV_WIPEONFORK:
        // Only private anonymous memory can be wiped in a child.
        if (!vma.anonymous() || vma.shared()) return abi::Errno::kEINVAL;
        return update_flags(as, start, end, VM_WIPEONFORK, 0);
      case abi::kMADV_KEEPONFORK:
        return update_flags(as, start, end, 0, VM_WIPEONFORK);
      case abi::kMADV_DONTDUMP:
        return update_flags(as, start, end, VM_DONTDUMP, 0);
      case abi::kMADV_DODUMP:
        return update_flags(as, start, end, 0, VM_DONTDUMP);
      case abi::kMADV_MERGEABLE:
        // ksm_madvise leaves VMAs KSM cannot scan as they are, without an error.
        if (vma.flags & (VM_MERGEABLE | VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO |
                         VM_DONTEXPAND | VM_HUGETLB | VM_MIXEDMAP))
          return {};
        as.m_mm.ksm().enter(&as);  // __ksm_enter, once per process
        return update_flags(as, start, end, VM_MERGEABLE, 0);
      case abi::kMADV_UNMERGEABLE:
        if (!(vma.flags & VM_MERGEABLE)) return {};
        // unmerge_ksm_pages: every KSM page in the range becomes a private copy first.
        TRY(as.m_mm.ksm().unmerge_range(as, start, end));
        return update_flags(as, start, end, 0, VM_MERGEABLE);
      case abi::kMADV_HUGEPAGE:
        as.m_khugepaged_entered = true;  // khugepaged_enter_vma: khugepaged has work
        return update_flags(as, start, end, VM_HUGEPAGE, VM_NOHUGEPAGE);
      case abi::kMADV_NOHUGEPAGE:
        return update_flags(as, start, end, VM_NOHUGEPAGE, VM_HUGEPAGE);
      default:
        return abi::Errno::kEINVAL;
    }
  }

  // Calls fn(slot, va) for every leaf slot of [start, end) that holds something (the page
  // table's walker: absent levels are skipped at their full span).
  template <typename Fn>
  static void for_each_leaf(AddressSpace& as, u64 start, u64 end, Fn&& fn) {
    as.m_page_table.for_each_leaf(start, end, [&](u64 va, Pte& slot) { fn(&slot, va); });
  }

  // The frame record of a present entry mapping a real page (not the zero page), mapped
  // by this entry alone: what COLD, PAGEOUT and FREE may act on ("do not interfere with
  // other mappings of this page").
  static PageFrame* exclusive_frame(AddressSpace& as, Pte pte) {
    if (!pte.present() || pte.pfn() == as.m_zero_page) return nullptr;
    PageFrame& record = as.m_mm.frame(pte.pfn());
    return page_mapcount(as.m_mm, pte.pfn()) == 1 ? &record : nullptr;
  }

  // Counts the pages an advice acts on (mapped by this entry alone), for its trace event.
  static void count_exclusive(AddressSpace& as, u64 start, u64 end) {
    for_each_leaf(as, start, end, [&](Pte* slot, u64) {
      if (exclusive_frame(as, *slot)) ++as.m_advised_pages;
    });
  }

  static Result<void> dontneed(AddressSpace& as, u64 start, u64 end, int) {
    // Private anonymous pages read back as zeros; object pages come back from the object.
    if (as.m_mm.tracing(kTraceMadvise))
      for_each_leaf(as, start, end, [&](Pte*, u64) { ++as.m_advised_pages; });
    as.zap_range(start, end);
    return {};
  }

  static Result<void> free(AddressSpace& as, u64 start, u64 end, int) {
    if (!as.find_vma(start)->anonymous()) return abi::Errno::kEINVAL;
    // Lazy free: the pages stay, clean and old, until reclaim discards them; a write
    // before that dirties the entry again and keeps the page (madvise_free_pte_range).
    // Swapped pages in the range are dropped at once.
    if (as.m_mm.tracing(kTraceMadvise)) count_exclusive(as, start, end);
    as.lazyfree_range(start, end);
    return {};
  }

  static Result<void> remove(AddressSpace& as, u64 start, u64 end, int) {
    const Vma& vma = *as.find_vma(start);
    if (vma.anonymous()) return abi::Errno::kEINVAL;
    if ((vma.flags & (VM_SHARED | VM_WRITE)) != (VM_SHARED | VM_WRITE)) return abi::Errno::kEACCES;
    // A hole punched in the object (shmem, tmpfs, memfd): every mapper loses the pages,
    // the size stays.
    return vma.object->punch_hole(vma.offset_of(start), end - start);
  }

  static Result<void> willneed(AddressSpace& as, u64 start, u64 end, int) {
    const Vma& vma = *as.find_vma(start);
    // Anonymous and shared memory: swapped pages are read back (into the swap cache for
    // anonymous memory, into the object for shmem).
    if (vma.anonymous() || vma.object->kind() != ObjectKind::PageCache)
      return as.willneed_range(start, end);
    // A file: read the range into the page cache now (POSIX_FADV_WILLNEED).
    MemoryObject& object = *vma.object;
    const u64 first = vma.page_index(start);
    const u64 last =
        std::min(vma.page_index(end - 1) + 1, page_round_up(object.size()) >> kPageShift);
    for (u64 index = first; index < last; ++index) {
      if (object.find_page(index)) continue;
      if (!object.get_page(index).ok()) break;  // a readahead that fails is no error
      ++as.m_advised_pages;
    }
    return {};
  }

  static Result<void> cold(AddressSpace& as, u64 start, u64 end, int) {
    // Deactivate: the pages look unused to reclaim (old entries, on the inactive list).
    if (as.m_mm.tracing(kTraceMadvise)) count_exclusive(as, start, end);
    as.deactivate_range(start, end);
    return {};
  }

  static Result<void> pageout(AddressSpace& as, u64 start, u64 end, int) {
    // Reclaim now the pages only this mapping uses: anonymous and shared-memory pages to
    // swap (they stay without a swap device, as on Linux), clean page-cache pages dropped.
    as.m_advised_pages += as.pageout_range(start, end);
    return {};
  }

  // MADV_HWPOISON and MADV_SOFT_OFFLINE never walk VMAs: madvise() hands them to the
  // kernel's memory-failure code first (madvise_inject_error), which needs the caller's
  // credentials and processes. A walk that reaches here came another way.
  static Result<void> inject_error(AddressSpace&, u64, u64, int) { return abi::Errno::kEINVAL; }

  static Result<void> collapse(AddressSpace& as, u64 start, u64 end, int) {
    // madvise_collapse(): synchronous, whatever /sys/.../enabled says (huge_memory.cpp).
    return as.collapse_range(start, end);
  }

  static Result<void> populate(AddressSpace& as, u64 start, u64 end, int advice) {
    const bool write = advice == abi::kMADV_POPULATE_WRITE;
    const Vma& vma = *as.find_vma(start);
    // Permission problems and incompatible mappings are EINVAL (faultin_vma_page_range).
    if (vma.flags & (VM_IO | VM_PFNMAP)) return abi::Errno::kEINVAL;
    if (write ? !(vma.flags & VM_WRITE) : !(vma.flags & VM_READ)) return abi::Errno::kEINVAL;
    const u32 code = kFaultUser | (write ? kFaultWrite : 0);
    for (u64 page = start; page < end; page += kPageSize) {
      const Pte pte = as.m_page_table.lookup(page).pte;
      if (pte.present() && (!write || pte.writable())) continue;
      const FaultResult r = as.handle_fault(page, code | (pte.present() ? kFaultPresent : 0));
      if (r.replaced_present) as.m_mm.flush_tlb("cow", page, page + kPageSize);
      if (r.handled()) ++as.m_advised_pages;
      if (!r.handled()) {
        // SIGBUS or SIGSEGV from the fault is EFAULT; no memory is ENOMEM; a hwpoison page
        // (VM_FAULT_HWPOISON under FOLL_HWPOISON) is EHWPOISON.
        if (r.resolution == FaultResolution::BusMceErr) return abi::Errno::kEHWPOISON;
        return r.resolution == FaultResolution::OutOfMemory ? abi::Errno::kENOMEM
                                                            : abi::Errno::kEFAULT;
      }
    }
    return {};
  }
};

namespace {

constexpr u64 kVmSpecial = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
constexpr u64 kLruRefused = VM_LOCKED | VM_PFNMAP | VM_HUGETLB;

// Every advice value of Linux 6.1, in numeric order.
constexpr std::array kAdvice = {
    AdviceInfo{abi::kMADV_NORMAL, "MADV_NORMAL", 0, false, true, AdviceOps::flag_advice,
               "default readahead around file faults"},
    AdviceInfo{abi::kMADV_RANDOM, "MADV_RANDOM", 0, false, true, AdviceOps::flag_advice,
               "no readahead: file faults read one page"},
    AdviceInfo{abi::kMADV_SEQUENTIAL, "MADV_SEQUENTIAL", 0, false, true, AdviceOps::flag_advice,
               "readahead ahead of file faults"},
    AdviceInfo{abi::kMADV_WILLNEED, "MADV_WILLNEED", 0, true, true, AdviceOps::willneed,
               "file pages read into the page cache now"},
    AdviceInfo{abi::kMADV_DONTNEED, "MADV_DONTNEED", VM_LOCKED | VM_PFNMAP, false, true,
               AdviceOps::dontneed, "pages unmapped: anonymous ones read back as zeros"},
    AdviceInfo{abi::kMADV_FREE, "MADV_FREE", VM_LOCKED | VM_PFNMAP, false, true, AdviceOps::free,
               "anonymous pages freed lazily: discarded under pressure unless written again"},
    AdviceInfo{abi::kMADV_REMOVE, "MADV_REMOVE", VM_LOCKED, false, true, AdviceOps::remove,
               "a hole punched in the shared object"},
    AdviceInfo{abi::kMADV_DONTFORK, "MADV_DONTFORK", 0, false, true, AdviceOps::flag_advice,
               "not mapped in a fork child"},
    AdviceInfo{abi::kMADV_DOFORK, "MADV_DOFORK", VM_IO, false, true, AdviceOps::flag_advice,
               "mapped in a fork child again"},
    AdviceInfo{abi::kMADV_MERGEABLE, "MADV_MERGEABLE", 0, false, true, AdviceOps::flag_advice,
               "KSM may merge the pages"},
    AdviceInfo{abi::kMADV_UNMERGEABLE, "MADV_UNMERGEABLE", 0, false, true, AdviceOps::flag_advice,
               "KSM leaves the pages alone"},
    AdviceInfo{abi::kMADV_HUGEPAGE, "MADV_HUGEPAGE", 0, false, true, AdviceOps::flag_advice,
               "transparent huge pages wanted"},
    AdviceInfo{abi::kMADV_NOHUGEPAGE, "MADV_NOHUGEPAGE", 0, false, true, AdviceOps::flag_advice,
               "no transparent huge pages"},
    AdviceInfo{abi::kMADV_DONTDUMP, "MADV_DONTDUMP", 0, false, true, AdviceOps::flag_advice,
               "left out of core dumps"},
    AdviceInfo{abi::kMADV_DODUMP, "MADV_DODUMP", kVmSpecial, false, true, AdviceOps::flag_advice,
               "in core dumps again"},
    AdviceInfo{abi::kMADV_WIPEONFORK, "MADV_WIPEONFORK", 0, false, true, AdviceOps::flag_advice,
               "zero-filled in a fork child"},
    AdviceInfo{abi::kMADV_KEEPONFORK, "MADV_KEEPONFORK", 0, false, true, AdviceOps::flag_advice,
               "inherited by a fork child again"},
    AdviceInfo{abi::kMADV_COLD, "MADV_COLD", kLruRefused, true, true, AdviceOps::cold,
               "pages deactivated: first to go under pressure"},
    AdviceInfo{abi::kMADV_PAGEOUT, "MADV_PAGEOUT", kLruRefused, true, true, AdviceOps::pageout,
               "pages reclaimed now"},
    AdviceInfo{abi::kMADV_POPULATE_READ, "MADV_POPULATE_READ", 0, false, true, AdviceOps::populate,
               "pages faulted in readable"},
    AdviceInfo{abi::kMADV_POPULATE_WRITE, "MADV_POPULATE_WRITE", 0, false, true,
               AdviceOps::populate, "pages faulted in writable"},
    AdviceInfo{abi::kMADV_DONTNEED_LOCKED, "MADV_DONTNEED_LOCKED", VM_PFNMAP, false, true,
               AdviceOps::dontneed, "as MADV_DONTNEED, locked pages too"},
    AdviceInfo{abi::kMADV_COLLAPSE, "MADV_COLLAPSE", 0, true, true, AdviceOps::collapse,
               "ranges collapsed into huge pages now"},
    // Both go to madvise_inject_error (Kernel::inject_memory_error) before any VMA walk.
    AdviceInfo{abi::kMADV_HWPOISON, "MADV_HWPOISON", 0, false, true, AdviceOps::inject_error,
               "memory_failure() on each page: unmapped, hwpoison entries, SIGBUS"},
    AdviceInfo{abi::kMADV_SOFT_OFFLINE, "MADV_SOFT_OFFLINE", 0, false, true,
               AdviceOps::inject_error, "contents moved to a new frame, the old one retired"},
};

}  // namespace

std::span<const AdviceInfo> advice_table() {
  return kAdvice;
}

const AdviceInfo* find_advice(int advice) {
  for (const AdviceInfo& info : kAdvice)
    if (info.value == advice) return &info;
  return nullptr;
}

Result<void> AddressSpace::madvise(u64 start, u64 length, int advice) {
  m_advised_pages = 0;
  const Result<void> result = walk_advice(start, length, advice);
  if (m_mm.tracing(kTraceMadvise)) {
    const AdviceInfo* info = find_advice(advice);
    m_mm.emit("madvise",
              {TraceField::str("advice", info ? info->name : "?"), TraceField::hex("start", start),
               TraceField::hex("end", start + length),
               TraceField::str(
                   "result", result.ok() ? "0" : abi::errno_name(static_cast<int>(result.error()))),
               TraceField::dec("pages", m_advised_pages),
               TraceField::str("effect", info ? info->effect : "")});
  }
  return result;
}

Result<void> AddressSpace::walk_advice(u64 start, u64 length, int advice) {
  const AdviceInfo* info = find_advice(advice);
  if (!info || !info->supported) return abi::Errno::kEINVAL;
  const u64 end = start + length;
  // madvise_walk_vmas: each VMA piece of the range in turn, looked up again by address
  // after every step (a handler may split or merge VMAs).
  bool unmapped = false;
  while (start < end) {
    auto it = vma_from(start);
    if (it == m_vmas.end()) return abi::Errno::kENOMEM;
    if (start < it->second.start) {
      unmapped = true;
      start = it->second.start;
      if (start >= end) break;
    }
    const u64 piece_end = std::min(end, it->second.end);
    if (it->second.flags & info->refused_vm_flags) return abi::Errno::kEINVAL;
    TRY(info->handler(*this, start, piece_end, advice));
    start = piece_end;
  }
  return unmapped ? Result<void>(abi::Errno::kENOMEM) : Result<void>();
}

}  // namespace kernel::mm
