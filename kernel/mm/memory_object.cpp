#include "kernel/mm/memory_object.h"

#include <algorithm>
#include <cstring>

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
  const u64 end = kMaxObjectSize >> kPageShift;
  constexpr u64 kPerTable = x86_64::kEntriesPerTable;
  for (u64 index = from; index < end;) {
    // Skip whole absent tables: the walk costs what the object holds.
    if (!m_pages->entry(va_of(index), 2, x86_64::Allocate::No)) {
      index = (index | (kPerTable - 1)) + 1;
      continue;
    }
    const Pte* slot = m_pages->leaf_entry(va_of(index), x86_64::Allocate::No);
    if (slot && !slot->none()) return index;
    ++index;
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
  *slot = Pte::leaf(PhysAddr(*frame), 0);
  PageFrame& record = m_mm.frame(*frame);
  record.owner = this;
  record.index = index;
  ++m_resident;
  if (m_budget) ++m_budget->used;
  return *frame;
}

Result<Pfn> MemoryObject::get_page(u64 index) {
  if (auto pfn = find_page(index)) return *pfn;
  return add_page(index);
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
    if (auto pfn = find_page(pos >> kPageShift))
      std::memcpy(out.data() + done, m_mm.frame_bytes(*pfn) + in_page, chunk);
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
  if (auto pfn = find_page(offset >> kPageShift))
    std::memset(m_mm.frame_bytes(*pfn) + in_page, 0, kPageSize - in_page);
}

void MemoryObject::drop_pages(u64 first, u64 last) {
  if (!m_pages || first > last) return;
  for (auto index = next_page(first); index && *index <= last; index = next_page(*index + 1)) {
    Pte* slot = m_pages->leaf_entry(va_of(*index), x86_64::Allocate::No);
    const Pte old = *slot;
    *slot = Pte();
    if (old.present()) {
      // Every mapping goes first, so no page table keeps a frame the object gave up.
      m_mm.unmap_everywhere(old.pfn());
      m_mm.frame(old.pfn()).owner = nullptr;
      m_mm.frames().put(old.pfn());
      --m_resident;
    } else {
      --m_swapped;
    }
    if (m_budget) --m_budget->used;
  }
  m_pages->free_empty_tables(va_of(first), va_of(last) + kPageSize);
}

Result<void> MemoryObject::resize(u64 new_size) {
  if (new_size > kMaxObjectSize) return abi::Errno::kEFBIG;
  if (new_size < m_size) {
    zero_tail(new_size);
    drop_pages(page_round_up(new_size) >> kPageShift, (kMaxObjectSize >> kPageShift) - 1);
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
    if (auto pfn = find_page(from >> kPageShift))
      std::memset(m_mm.frame_bytes(*pfn) + (from & kPageMask), 0, to - from);
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
