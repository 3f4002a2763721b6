#include "kernel/mm/memory_object.h"

#include <algorithm>
#include <cstring>

#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::mm {

using x86_64::Pte;

namespace {

constexpr u64 va_of(u64 index) {
  return index << kPageShift;
}

}  // namespace

const char* object_kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Tmpfs:
      return "tmpfs";
    case ObjectKind::Memfd:
      return "memfd";
    case ObjectKind::SharedAnon:
      return "shmem";
    case ObjectKind::PageCache:
      return "page-cache";
  }
  return "?";
}

MemoryObject::MemoryObject(MemoryManager& mm, ObjectKind kind, PageBudget* budget)
    : m_mm(mm), m_kind(kind), m_budget(budget) {}

MemoryObject::~MemoryObject() {
  if (m_pages) drop_pages(0, (kMaxObjectSize >> kPageShift) - 1);
}

Result<void> MemoryObject::fill(u64 index, u8* page) {
  (void)index;
  std::memset(page, 0, kPageSize);
  return {};
}

std::optional<Pfn> MemoryObject::find_page(u64 index) const {
  if (!m_pages || index >= (kMaxObjectSize >> kPageShift)) return std::nullopt;
  const Pte* slot = m_pages->leaf_entry(va_of(index), x86_64::Allocate::No);
  if (!slot || !slot->present()) return std::nullopt;
  return slot->pfn();
}

std::optional<u64> MemoryObject::next_page(u64 from) const {
  if (!m_pages) return std::nullopt;
  // Absent tables are skipped at the full span of their level, so a sparse object costs
  // what it holds, not the range of indices.
  for (u64 va = va_of(from); va < kMaxObjectSize;) {
    bool skipped = false;
    for (int level = x86_64::kLevels; level >= 2; --level) {
      const Pte* e = m_pages->entry(va, level, x86_64::Allocate::No);
      if (!e || !e->present()) {
        va = (va | (x86_64::level_span(level) - 1)) + 1;
        skipped = true;
        break;
      }
    }
    if (skipped) continue;
    const Pte* slot = m_pages->leaf_entry(va, x86_64::Allocate::No);
    if (slot && !slot->none()) return va >> kPageShift;
    va += kPageSize;
  }
  return std::nullopt;
}

Result<Pfn> MemoryObject::add_page(u64 index) {
  if (index >= (kMaxObjectSize >> kPageShift)) return abi::Errno::kEFBIG;
  if (m_budget && m_budget->used >= m_budget->limit) return abi::Errno::kENOSPC;
  FrameAllocator& frames = m_mm.frames();
  if (!m_pages) {
    if (frames.free_frames() == 0) return abi::Errno::kENOMEM;
    m_pages = std::make_unique<x86_64::PageTable>(m_mm.ram(), frames);
  }
  Pte* slot = m_pages->leaf_entry(va_of(index), x86_64::Allocate::Yes);
  if (!slot) return abi::Errno::kENOMEM;
  auto frame = frames.allocate();
  if (!frame) return abi::Errno::kENOMEM;
  if (auto filled = fill(index, m_mm.frame_bytes(*frame)); !filled.ok()) {
    frames.put(*frame);
    return filled.error();
  }
  // The allocation may have reclaimed, but never frees page-list tables: `slot` stands.
  *slot = Pte::leaf(PhysAddr(*frame), 0);
  PageFrame& record = m_mm.frame(*frame);
  record.owner = this;
  record.index = index;
  m_mm.lru().add(*frame);
  ++m_resident;
  if (m_budget) ++m_budget->used;
  return *frame;
}

Result<Pfn> MemoryObject::swap_in(u64 index, Pte entry) {
  const u64 swap_slot = entry.soft_value();
  auto frame = m_mm.frames().allocate();
  if (!frame) return abi::Errno::kENOMEM;
  m_mm.swap().read(swap_slot, m_mm.frame_bytes(*frame));
  ++m_mm.stats().pswpin;
  if (m_mm.tracing(kTraceSwap))
    m_mm.emit("swap-in", {TraceField::dec("index", index), TraceField::dec("slot", swap_slot),
                          TraceField::dec("pfn", frame->value),
                          TraceField::str("kind", object_kind_name(m_kind))});
  Pte* slot = m_pages->leaf_entry(va_of(index), x86_64::Allocate::No);
  VERIFY(slot && *slot == entry);
  *slot = Pte::leaf(PhysAddr(*frame), 0);
  m_mm.free_swap_entry(swap_slot);
  PageFrame& record = m_mm.frame(*frame);
  record.owner = this;
  record.index = index;
  record.set(PG_dirty);  // RAM holds the only copy now
  m_mm.lru().add(*frame);
  --m_swapped;
  ++m_resident;
  return *frame;
}

Result<Pfn> MemoryObject::get_page(u64 index, std::optional<u64> vm_flags) {
  if (m_pages && index < (kMaxObjectSize >> kPageShift)) {
    const Pte* slot = m_pages->leaf_entry(va_of(index), x86_64::Allocate::No);
    if (slot && slot->present()) return slot->pfn();
    if (slot && slot->soft_type() == Pte::SoftType::Swap) return swap_in(index, *slot);
  }
  if (huge_allowed(index, vm_flags)) {
    const u64 hindex = index & ~(kHugePages - 1);
    if (auto head = add_huge_page(hindex, vm_flags)) return Pfn(head->value + (index - hindex));
  }
  return add_page(index);
}

bool MemoryObject::huge_allowed(u64 index, std::optional<u64> vm_flags) const {
  if (m_kind == ObjectKind::PageCache) return false;  // no file huge pages
  if (vm_flags && (*vm_flags & VM_NOHUGEPAGE)) return false;
  const ShmemHuge global = m_mm.thp().shmem_enabled;
  if (global == ShmemHuge::Force) return true;
  if (global == ShmemHuge::Deny) return false;
  // memfd and shared anonymous memory live on the kernel's internal shm mount, whose
  // setting is shmem_enabled; emu's tmpfs mounts are huge=never (there is no mount(2) to
  // give them huge=).
  const ShmemHuge mode = m_kind == ObjectKind::Tmpfs ? ShmemHuge::Never : global;
  switch (mode) {
    case ShmemHuge::Always:
      return true;
    case ShmemHuge::WithinSize: {
      // The whole huge page lies inside the file's size.
      const u64 hend = (index + kHugePages) & ~(kHugePages - 1);
      if ((page_round_up(m_size) >> kPageShift) >= hend) return true;
      [[fallthrough]];
    }
    case ShmemHuge::Advise:
      return vm_flags && (*vm_flags & VM_HUGEPAGE);
    default:
      return false;
  }
}

std::optional<Pfn> MemoryObject::add_huge_page(u64 hindex, std::optional<u64> vm_flags) {
  if (hindex + kHugePages > (kMaxObjectSize >> kPageShift)) return std::nullopt;
  VmStats& stats = m_mm.stats();
  // shmem_alloc_and_acct_folio: the budget is charged for all 512 pages, and any page
  // already in the range (or in swap) means a small page instead.
  if (m_budget && m_budget->used + kHugePages > m_budget->limit) {
    ++stats.thp_file_fallback;
    return std::nullopt;
  }
  if (const auto used = next_page(hindex); used && *used < hindex + kHugePages) {
    ++stats.thp_file_fallback;
    return std::nullopt;
  }
  FrameAllocator& frames = m_mm.frames();
  if (!m_pages) {
    if (frames.free_frames() == 0) return std::nullopt;
    m_pages = std::make_unique<x86_64::PageTable>(m_mm.ram(), frames);
  }
  // The 512 aligned indices share one leaf table.
  Pte* slots = m_pages->leaf_entry(va_of(hindex), x86_64::Allocate::Yes);
  if (!slots) return std::nullopt;
  auto block = thp_may_stall(m_mm.thp(), vm_flags.value_or(0))
                   ? frames.allocate(kHugeOrder)
                   : frames.allocate_no_reclaim(kHugeOrder);
  if (!block) {
    ++stats.thp_file_fallback;
    return std::nullopt;
  }
  // Reclaim while allocating never fills a hole of this object nor frees its tables.
  prep_compound(m_mm, *block);
  for (u64 i = 0; i < kHugePages; ++i) {
    const Pfn pfn(block->value + i);
    std::memset(m_mm.frame_bytes(pfn), 0, kPageSize);
    VERIFY(slots[i].none());
    slots[i] = Pte::leaf(PhysAddr(pfn), 0);
    PageFrame& record = m_mm.frame(pfn);
    record.owner = this;
    record.index = hindex + i;
  }
  m_mm.lru().add(*block);
  m_resident += kHugePages;
  if (m_budget) m_budget->used += kHugePages;
  ++stats.thp_file_alloc;
  ++stats.nr_shmem_thps;
  return block;
}

Result<void> MemoryObject::sync(u64 first, u64 last) {
  if (m_kind != ObjectKind::PageCache || !m_pages) return {};
  Result<void> result;
  m_pages->for_each_leaf(va_of(first), va_of(last) + kPageSize, [&](u64 va, Pte& slot) {
    if (!slot.present()) return;
    const Pfn pfn = slot.pfn();
    PageFrame& record = m_mm.frame(pfn);
    // A write through a mapping shows only in that entry's dirty bit: clean the entries
    // (so the next write marks them again) and move the bit to the page.
    bool flush = false;
    m_mm.rmap().for_each(pfn, [&](ReverseMap::Mapping m) {
      if (m.as->clean_entry(m.va)) {
        record.set(PG_dirty);
        flush = true;
      }
    });
    if (flush) m_mm.flush_tlb("writeback", va, va + kPageSize);
    if (!record.test(PG_dirty)) return;
    if (auto w = write_back(va >> kPageShift, m_mm.frame_bytes(pfn)); !w.ok()) {
      result = w;
      return;
    }
    record.clear(PG_dirty);
  });
  return result;
}

Result<std::optional<Pfn>> MemoryObject::page_with_data(u64 index) {
  if (auto pfn = find_page(index)) return std::optional<Pfn>(*pfn);
  if (!page_swapped(index)) return std::optional<Pfn>();
  return std::optional<Pfn>(TRY(get_page(index)));
}

bool MemoryObject::page_swapped(u64 index) const {
  if (!m_pages || index >= (kMaxObjectSize >> kPageShift)) return false;
  const Pte* slot = m_pages->leaf_entry(va_of(index), x86_64::Allocate::No);
  return slot && slot->soft_type() == Pte::SoftType::Swap;
}

void MemoryObject::evict_page(u64 index, std::optional<u64> swap_slot) {
  Pte* slot = m_pages->leaf_entry(va_of(index), x86_64::Allocate::No);
  VERIFY(slot && slot->present());
  const Pfn pfn = slot->pfn();
  PageFrame& record = m_mm.frame(pfn);
  VERIFY(record.mapcount == 0 && record.owner == this);
  --m_resident;
  if (swap_slot) {
    *slot = Pte::soft(Pte::SoftType::Swap, *swap_slot);
    ++m_swapped;
  } else {
    *slot = Pte();
    if (m_budget) --m_budget->used;
  }
  record.owner = nullptr;
  record.clear(PG_dirty);
  m_mm.frames().put(pfn);
}

bool MemoryObject::evict_clean(u64 index) {
  if (m_kind != ObjectKind::PageCache) return false;
  auto pfn = find_page(index);
  if (!pfn) return false;
  const PageFrame& record = m_mm.frame(*pfn);
  if (record.mapcount != 0 || record.test(PG_dirty)) return false;
  drop_pages(index, index);
  return true;
}

void MemoryObject::remove_error_page(u64 index, Pfn pfn) {
  Pte* slot = m_pages ? m_pages->leaf_entry(va_of(index), x86_64::Allocate::No) : nullptr;
  if (!slot || !slot->present() || slot->pfn() != pfn) return;
  *slot = Pte();
  PageFrame& record = m_mm.frame(pfn);
  VERIFY(record.mapcount == 0);
  record.owner = nullptr;
  record.clear(PG_dirty);
  m_mm.frames().put(pfn);
  --m_resident;
  if (m_budget) --m_budget->used;
}

void MemoryObject::replace_page(u64 index, Pfn from, Pfn to) {
  Pte* slot = m_pages ? m_pages->leaf_entry(va_of(index), x86_64::Allocate::No) : nullptr;
  VERIFY(slot && slot->present() && slot->pfn() == from);
  *slot = Pte::leaf(PhysAddr(to), 0);
  m_mm.frames().get(to);
  m_mm.frames().put(from);
}

void MemoryObject::mark_dirty(u64 index) {
  if (!m_pages) return;
  Pte* slot = m_pages->leaf_entry(va_of(index), x86_64::Allocate::No);
  if (slot && slot->present()) m_mm.frame(slot->pfn()).set(PG_dirty);
}

Result<u64> MemoryObject::read(std::span<u8> out, u64 offset) {
  if (offset >= m_size) return 0;
  const u64 total = std::min<u64>(out.size(), m_size - offset);
  for (u64 done = 0; done < total;) {
    const u64 pos = offset + done;
    const u64 in_page = pos & kPageMask;
    const u64 chunk = std::min(total - done, kPageSize - in_page);
    // A swapped page comes back into RAM to be read, as shmem_file_read_iter does.
    auto page = page_with_data(pos >> kPageShift);
    if (page.ok() && page.value() && m_mm.frame(*page.value()).test(PG_hwpoison))
      page = abi::Errno::kEIO;  // a shmem page memory_failure() kept (shmem_file_read_iter)
    if (!page.ok()) {
      if (done == 0) return page.error();
      return done;
    }
    if (page.value())
      std::memcpy(out.data() + done, m_mm.frame_bytes(*page.value()) + in_page, chunk);
    else
      std::memset(out.data() + done, 0, chunk);
    done += chunk;
  }
  return total;
}

Result<u64> MemoryObject::write(std::span<const u8> in, u64 offset) {
  if (in.empty()) return 0;
  if (offset >= kMaxObjectSize) return abi::Errno::kEFBIG;
  const u64 total = std::min<u64>(in.size(), kMaxObjectSize - offset);
  u64 done = 0;
  while (done < total) {
    const u64 pos = offset + done;
    const u64 in_page = pos & kPageMask;
    const u64 chunk = std::min(total - done, kPageSize - in_page);
    auto pfn = get_page(pos >> kPageShift);
    if (pfn.ok() && m_mm.frame(pfn.value()).test(PG_hwpoison)) pfn = abi::Errno::kEIO;
    if (!pfn.ok()) {
      if (done == 0) return pfn.error();
      break;
    }
    std::memcpy(m_mm.frame_bytes(pfn.value()) + in_page, in.data() + done, chunk);
    mark_dirty(pos >> kPageShift);
    done += chunk;
  }
  m_size = std::max(m_size, offset + done);
  return done;
}

void MemoryObject::zero_tail(u64 offset) {
  const u64 in_page = offset & kPageMask;
  if (in_page == 0) return;
  auto page = page_with_data(offset >> kPageShift);
  if (page.ok() && page.value())
    std::memset(m_mm.frame_bytes(*page.value()) + in_page, 0, kPageSize - in_page);
}

void MemoryObject::drop_pages(u64 first, u64 last) {
  if (!m_pages || first > last) return;
  const u64 end = va_of(last) + kPageSize;
  m_pages->for_each_leaf(va_of(first), end, [&](u64, Pte& slot) {
    // A huge page loses its huge entries and becomes small pages first: the ones outside
    // the range stay (truncate_inode_partial_folio splits too).
    if (slot.present() &&
        (m_mm.frame(slot.pfn()).test(PG_head) || m_mm.frame(slot.pfn()).test(PG_tail)))
      (void)split_huge_page(m_mm, compound_head(m_mm, slot.pfn()));
    const Pte old = slot;
    slot = Pte();
    if (old.present()) {
      // Every mapping goes first, so no page table keeps a frame the object gave up.
      m_mm.unmap_everywhere(old.pfn());
      m_mm.frame(old.pfn()).owner = nullptr;
      m_mm.frames().put(old.pfn());
      --m_resident;
    } else {
      VERIFY(old.soft_type() == Pte::SoftType::Swap);
      m_mm.free_swap_entry(old.soft_value());
      --m_swapped;
    }
    if (m_budget) --m_budget->used;
  });
  m_pages->free_empty_tables(va_of(first), end);
}

Result<void> MemoryObject::resize(u64 new_size) {
  if (new_size > kMaxObjectSize) return abi::Errno::kEFBIG;
  if (new_size < m_size) {
    zero_tail(new_size);
    const u64 first = page_round_up(new_size) >> kPageShift;
    const u64 last = (page_round_up(m_size) >> kPageShift) - 1;
    // Truncation takes private copies of the lost pages too (unmap_mapping_range with
    // even_cows): a mapping past the new end faults SIGBUS, as on Linux.
    if (first <= last) m_mm.zap_object_range(this, first, last);
    drop_pages(first, (kMaxObjectSize >> kPageShift) - 1);
  }
  m_size = new_size;
  return {};
}

Result<void> MemoryObject::punch_hole(u64 offset, u64 length) {
  if (length == 0 || offset >= m_size) return {};
  const u64 end = std::min(m_size, offset + std::min(length, kMaxObjectSize));
  const u64 first_whole = page_round_up(offset) >> kPageShift;
  const u64 end_whole = page_round_down(end) >> kPageShift;  // exclusive
  // Partial pages at either edge keep their frame and are zeroed in place.
  auto zero_range = [&](u64 from, u64 to) {
    if (from >= to) return;
    auto page = page_with_data(from >> kPageShift);
    if (page.ok() && page.value())
      std::memset(m_mm.frame_bytes(*page.value()) + (from & kPageMask), 0, to - from);
  };
  if (first_whole > end_whole) {
    zero_range(offset, end);  // inside one page
    return {};
  }
  zero_range(offset, first_whole << kPageShift);
  if (end_whole > first_whole) drop_pages(first_whole, end_whole - 1);
  zero_range(end_whole << kPageShift, end);
  return {};
}

Result<void> MemoryObject::allocate(u64 offset, u64 length, bool keep_size) {
  if (offset > kMaxObjectSize || length > kMaxObjectSize - offset) return abi::Errno::kEFBIG;
  const u64 end = offset + length;
  for (u64 index = offset >> kPageShift; index < page_round_up(end) >> kPageShift; ++index)
    TRY(get_page(index));
  if (!keep_size) m_size = std::max(m_size, end);
  return {};
}

}  // namespace kernel::mm
