// The page-fault path: decode the error code, find the VMA (growing the stack if the
// address lies just below it), check the access against the VMA, then one handler per
// kind of page: anonymous, file-backed, or write to a read-only present page.
#include "kernel/mm/fault.h"

#include <cstring>

#include "kernel/abi/linux.h"
#include "kernel/fs/file.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"

namespace kernel::mm {

using x86_64::Pte;

const char* fault_resolution_name(FaultResolution r) {
  switch (r) {
    case FaultResolution::ZeroPage:
      return "zero-page";
    case FaultResolution::NewAnonPage:
      return "new-anon-page";
    case FaultResolution::CowZeroPage:
      return "cow-zero-page";
    case FaultResolution::CowCopy:
      return "cow-copy";
    case FaultResolution::CowReuse:
      return "cow-reuse";
    case FaultResolution::FileRead:
      return "file-read";
    case FaultResolution::CacheHit:
      return "cache-hit";
    case FaultResolution::ShmemPage:
      return "shmem-page";
    case FaultResolution::CowFile:
      return "cow-file";
    case FaultResolution::WriteShared:
      return "write-shared";
    case FaultResolution::SwapIn:
      return "swap-in";
    case FaultResolution::HugeZeroPage:
      return "huge-zero-page";
    case FaultResolution::NewHugePage:
      return "new-huge-page";
    case FaultResolution::Spurious:
      return "spurious";
    case FaultResolution::SegvMapErr:
      return "SIGSEGV/SEGV_MAPERR";
    case FaultResolution::SegvAccErr:
      return "SIGSEGV/SEGV_ACCERR";
    case FaultResolution::BusAdrErr:
      return "SIGBUS/BUS_ADRERR";
    case FaultResolution::BusMceErr:
      return "SIGBUS/BUS_MCEERR_AR";
    case FaultResolution::OutOfMemory:
      return "out-of-memory";
  }
  return "?";
}

int FaultResult::signal() const {
  switch (resolution) {
    case FaultResolution::SegvMapErr:
    case FaultResolution::SegvAccErr:
      return abi::kSIGSEGV;
    case FaultResolution::BusAdrErr:
    case FaultResolution::BusMceErr:
      return abi::kSIGBUS;
    case FaultResolution::OutOfMemory:
      return abi::kSIGKILL;
    default:
      return 0;
  }
}

int FaultResult::si_code() const {
  switch (resolution) {
    case FaultResolution::SegvMapErr:
      return abi::kSEGV_MAPERR;
    case FaultResolution::SegvAccErr:
      return abi::kSEGV_ACCERR;
    case FaultResolution::BusAdrErr:
      return abi::kBUS_ADRERR;
    case FaultResolution::BusMceErr:
      return abi::kBUS_MCEERR_AR;
    default:
      return 0;
  }
}

namespace {

// Linux's access_error() for x86: may this VMA take this access at all?
bool access_permitted(const Vma& vma, u32 error_code) {
  if (error_code & kFaultWrite) return vma.flags & VM_WRITE;
  if (error_code & kFaultFetch) return vma.flags & VM_EXEC;
  // A read that faulted on a present page is a protection-key fault: never permitted.
  if (error_code & kFaultPresent) return false;
  return vma.flags & kVmAccessFlags;
}

}  // namespace

bool AddressSpace::try_grow_stack(u64 addr) {
  auto above = m_vmas.upper_bound(addr);
  if (above == m_vmas.end() || !(above->second.flags & VM_GROWSDOWN)) return false;
  Vma& stack = above->second;
  const u64 new_start = page_round_down(addr);
  if (stack.end - new_start > kStackRlimit) return false;
  // Keep the guard gap to whatever lies below (Linux's stack_guard_gap).
  if (above != m_vmas.begin()) {
    const Vma& below = std::prev(above)->second;
    if (new_start < below.end + kStackGuardGap) return false;
  }
  if (new_start < kMmapMinAddr) return false;
  Vma grown = stack;
  grown.start = new_start;
  m_vmas.erase(above);
  m_vmas.emplace(new_start, std::move(grown));
  return true;
}

FaultResult AddressSpace::handle_fault(u64 addr, u32 error_code) {
  FaultResult result;
  auto unresolved = [&](FaultResolution r) {
    ++m_fault_counters.by_resolution[static_cast<int>(r)];
    result.resolution = r;
    return result;
  };
  if (addr >= kTaskSize) return unresolved(FaultResolution::SegvMapErr);
  const Vma* vma = find_vma(addr);
  if (!vma) {
    if (!try_grow_stack(addr)) return unresolved(FaultResolution::SegvMapErr);
    result.stack_grown = true;
    vma = find_vma(addr);
  }
  if (!access_permitted(*vma, error_code)) return unresolved(FaultResolution::SegvAccErr);
  // Free frames below the low watermark: reclaim now, before any entry is held.
  m_mm.balance();
  const u64 page = page_round_down(addr);
  FaultResult outcome;
  // Huge entries live in private anonymous VMAs only: a present one is handled (or split)
  // at its level, an empty directory entry may take a huge page (huge_memory.cpp).
  std::optional<FaultResult> huge;
  Pte* pde = m_page_table.entry(page, 2, x86_64::Allocate::Yes);
  if (!pde) return unresolved(FaultResolution::OutOfMemory);
  if (pde->present() && pde->huge()) {
    huge = fault_huge_present(*vma, addr, error_code, pde);
  } else if (pde->none()) {
    if (vma->anonymous()) {
      if (thp_vma_allowed(*vma, true, true, false))
        huge = fault_huge_anonymous(*vma, addr, error_code, pde);
    } else if (vma->object->kind() != ObjectKind::PageCache) {
      huge = fault_huge_shmem(*vma, addr, error_code, pde);
    }
  }
  Pte* slot = huge ? nullptr : m_page_table.leaf_under(pde, page, x86_64::Allocate::Yes);
  if (!huge && !slot) return unresolved(FaultResolution::OutOfMemory);
  const Pte pte = slot ? *slot : Pte();
  if (huge) {
    outcome = *huge;
  } else if (pte.present()) {
    const bool write = error_code & kFaultWrite;
    if (write && !pte.writable())
      outcome = fault_write_protected(*vma, page, slot);
    else
      outcome.resolution = FaultResolution::Spurious;  // the entry allows it already
  } else if (pte.soft_type() == Pte::SoftType::ProtNone) {
    // The VMA allows the access (checked above), so this entry predates an mprotect that
    // restored access without touching it. Bring it back.
    *slot = leaf_for(*vma, Pfn(pte.soft_value()), false).with(pte.raw() & Pte::kSoftDirty);
    outcome.resolution = FaultResolution::Spurious;
    if (error_code & kFaultWrite) outcome = fault_write_protected(*vma, page, slot);
  } else if (pte.soft_type() == Pte::SoftType::Swap) {
    outcome = fault_swap(*vma, page, error_code);
  } else if (pte.soft_type() == Pte::SoftType::HwPoison) {
    // memory_failure() left this entry where a poisoned page was mapped (do_swap_page's
    // is_hwpoison_entry): VM_FAULT_HWPOISON.
    outcome.resolution = FaultResolution::BusMceErr;
  } else if (vma->anonymous()) {
    outcome = fault_anonymous(*vma, page, error_code);
  } else {
    outcome = fault_object(*vma, page, error_code);
  }
  outcome.stack_grown = result.stack_grown;
  if (outcome.handled()) ++(outcome.major ? m_fault_counters.major : m_fault_counters.minor);
  ++m_fault_counters.by_resolution[static_cast<int>(outcome.resolution)];
  return outcome;
}

FaultResult AddressSpace::fault_anonymous(const Vma& vma, u64 page, u32 error_code) {
  FaultResult result;
  Pte* slot = m_page_table.leaf_entry(page, x86_64::Allocate::No);
  // Reads of private anonymous memory share the zero page until the first write.
  if (!(error_code & kFaultWrite)) {
    // The zero page is never freed, so its mappings are not counted (as in Linux).
    set_leaf(slot, page, leaf_for(vma, m_zero_page, false));
    result.resolution = FaultResolution::ZeroPage;
    return result;
  }
  auto frame = m_frames.allocate();
  if (!frame) {
    result.resolution = FaultResolution::OutOfMemory;
    return result;
  }
  std::memset(m_ram.frame(*frame), 0, kPageSize);
  m_mm.frame(*frame).set(PG_anon);
  set_leaf(slot, page, leaf_for(vma, *frame, vma.flags & VM_WRITE).mkdirty());
  result.resolution = FaultResolution::NewAnonPage;
  return result;
}

void AddressSpace::read_around(const Vma& vma, u64 index) {
  // Linux's do_sync_mmap_readahead with the default 128 KiB window (32 pages): none for
  // MADV_RANDOM, the window ahead of the fault for MADV_SEQUENTIAL, and the window around
  // it otherwise. Pages read ahead join the page cache unmapped (mincore shows them).
  constexpr u64 kWindow = 32;
  if (vma.flags & VM_RAND_READ) return;
  MemoryObject& object = *vma.object;
  const u64 first = (vma.flags & VM_SEQ_READ) ? index : index - std::min(index, kWindow / 2);
  const u64 last = std::min(first + kWindow, page_round_up(object.size()) >> kPageShift);
  for (u64 i = first; i < last; ++i)
    if (!object.find_page(i) && !object.get_page(i).ok()) break;
}

FaultResult AddressSpace::fault_object(const Vma& vma, u64 page, u32 error_code) {
  FaultResult result;
  MemoryObject& object = *vma.object;
  const u64 index = vma.page_index(page);
  // Past the end of the object (a file mapping beyond EOF): SIGBUS, as Linux.
  if (index >= page_round_up(object.size()) >> kPageShift) {
    result.resolution = FaultResolution::BusAdrErr;
    return result;
  }
  const bool had_page = object.find_page(index).has_value();
  const bool swapped = !had_page && object.page_swapped(index);
  auto got = object.get_page(index, vma.flags);
  if (!got.ok()) {
    result.resolution = got.error() == abi::Errno::kENOMEM ? FaultResolution::OutOfMemory
                                                           : FaultResolution::BusAdrErr;
    return result;
  }
  const Pfn frame = got.value();
  // A poisoned page memory_failure() left in its object (shmem keeps them, so that the
  // loss stays visible): VM_FAULT_HWPOISON.
  if (m_mm.frame(frame).test(PG_hwpoison)) {
    result.resolution = FaultResolution::BusMceErr;
    return result;
  }
  if (!had_page && !swapped && object.kind() == ObjectKind::PageCache) read_around(vma, index);
  result.major = swapped;
  if (swapped) ++m_mm.stats().pgmajfault;
  result.resolution = swapped                                  ? FaultResolution::SwapIn
                      : had_page                               ? FaultResolution::CacheHit
                      : object.kind() == ObjectKind::PageCache ? FaultResolution::FileRead
                                                               : FaultResolution::ShmemPage;
  Pte* slot = m_page_table.leaf_entry(page, x86_64::Allocate::No);
  const bool write = error_code & kFaultWrite;
  if (!vma.shared() && write) {
    // A private mapping's first write copies the object's page into a frame of its own.
    // The object's page is pinned meanwhile: the allocation may reclaim.
    m_frames.get(frame);
    auto copy = m_frames.allocate();
    if (!copy) {
      m_frames.put(frame);
      result.resolution = FaultResolution::OutOfMemory;
      return result;
    }
    std::memcpy(m_ram.frame(*copy), m_ram.frame(frame), kPageSize);
    m_frames.put(frame);
    m_mm.frame(*copy).set(PG_anon);
    set_leaf(slot, page, leaf_for(vma, *copy, true).mkdirty());
    result.resolution = FaultResolution::CowFile;
    return result;
  }
  m_frames.get(frame);
  // Shared mappings write the object's page itself; private ones see it read-only until
  // their first write copies it.
  const bool writable = vma.shared() && (vma.flags & VM_WRITE) && may_map_writable(vma, write);
  Pte leaf = leaf_for(vma, frame, writable);
  if (writable && write) {
    leaf = leaf.mkdirty();
    object.mark_dirty(index);
  }
  set_leaf(slot, page, leaf);
  return result;
}

FaultResult AddressSpace::fault_write_protected(const Vma& vma, u64 page, Pte* slot) {
  FaultResult result;
  const Pte old = *slot;
  result.replaced_present = true;
  const Pfn old_frame = old.pfn();
  const PageFrame* record = old_frame == m_zero_page ? nullptr : &m_mm.frame(old_frame);
  const bool from_object = record && record->owner;
  if (record && record->owner && vma.shared()) {
    // A shared mapping writes the object's page in place (after mprotect added PROT_WRITE).
    *slot = leaf_for(vma, old_frame, true).mkdirty();
    record->owner->mark_dirty(record->index);
    result.resolution = FaultResolution::WriteShared;
    return result;
  }
  // do_wp_page()'s reuse: an anonymous page whose only reference is this entry (no other
  // mapper since fork, no swap cache that other swap entries still read) is written in
  // place. Anything more, and the write copies. A KSM page is always copied, whoever
  // else holds it (6.1's do_wp_page goes to copy for any PageKsm).
  const bool ksm = record && record->test(PG_ksm);
  if (record && !record->owner && !ksm && m_frames.refcount(old_frame) == 1) {
    *slot = leaf_for(vma, old_frame, true).mkdirty();
    result.resolution = FaultResolution::CowReuse;
    return result;
  }
  // The frame being copied is pinned while the allocation may reclaim.
  if (record) m_frames.get(old_frame);
  auto frame = m_frames.allocate();
  if (!frame) {
    if (record) m_frames.put(old_frame);
    result.resolution = FaultResolution::OutOfMemory;
    return result;
  }
  if (record) {
    std::memcpy(m_ram.frame(*frame), m_ram.frame(old_frame), kPageSize);
    m_frames.put(old_frame);
  } else {
    std::memset(m_ram.frame(*frame), 0, kPageSize);
  }
  m_mm.frame(*frame).set(PG_anon);
  if (ksm) {
    ++m_mm.stats().cow_ksm;
    if (m_mm.tracing(kTraceKsm)) [[unlikely]]
      m_mm.emit("ksm-cow", {TraceField::hex("addr", page), TraceField::dec("kpfn", old_frame.value),
                            TraceField::dec("pfn", frame->value)});
  }
  drop_leaf(slot, page);
  set_leaf(slot, page, leaf_for(vma, *frame, true).mkdirty());
  result.resolution = !record       ? FaultResolution::CowZeroPage
                      : from_object ? FaultResolution::CowFile
                                    : FaultResolution::CowCopy;
  return result;
}

}  // namespace kernel::mm
