#include "kernel/arch/x86_64/page_table.h"

#include <cstring>

#include "kernel/mm/frame_allocator.h"

namespace kernel::x86_64 {

PageTable::PageTable(const hal::PhysMemory& ram, mm::FrameAllocator& frames)
    : m_ram(ram), m_frames(frames) {
  auto pfn = m_frames.allocate();
  VERIFY(pfn.has_value());
  m_root = PhysAddr(*pfn);
  std::memset(m_ram.at(m_root), 0, kPageSize);
  m_table_pages = 1;
}

PageTable::~PageTable() {
  free_tree(m_root, kLevels);
}

void PageTable::free_tree(PhysAddr table, int level) {
  if (level > 1) {
    Pte* entries = table_at(table);
    for (int i = 0; i < kEntriesPerTable; ++i) {
      if (entries[i].present() && !entries[i].huge()) free_tree(entries[i].address(), level - 1);
    }
  }
  m_frames.free(table.pfn());
  --m_table_pages;
}

Pte* PageTable::entry(u64 va, int level, Allocate allocate) {
  PhysAddr table = m_root;
  for (int l = kLevels; l > level; --l) {
    Pte& e = table_at(table)[table_index(va, l)];
    if (!e.present()) {
      if (allocate == Allocate::No || !e.none()) return nullptr;
      auto pfn = m_frames.allocate();
      if (!pfn) return nullptr;
      std::memset(m_ram.frame(*pfn), 0, kPageSize);
      ++m_table_pages;
      e = Pte::table(PhysAddr(*pfn));
    } else if (e.huge()) {
      return nullptr;
    }
    table = e.address();
  }
  return &table_at(table)[table_index(va, level)];
}

Pte* PageTable::leaf_under(Pte* pde, u64 va, Allocate allocate) {
  if (!pde->present()) {
    if (allocate == Allocate::No || !pde->none()) return nullptr;
    auto pfn = m_frames.allocate();
    if (!pfn) return nullptr;
    std::memset(m_ram.frame(*pfn), 0, kPageSize);
    ++m_table_pages;
    *pde = Pte::table(PhysAddr(*pfn));
  } else if (pde->huge()) {
    return nullptr;
  }
  return &table_at(pde->address())[table_index(va, 1)];
}

PageTable::Lookup PageTable::lookup(u64 va) const {
  PhysAddr table = m_root;
  for (int l = kLevels; l >= 1; --l) {
    const Pte e = table_at(table)[table_index(va, l)];
    if (l == 1 || !e.present() || e.huge()) return {e, l};
    table = e.address();
  }
  return {};
}

Result<void> PageTable::map(u64 va, Pte leaf) {
  Pte* e = leaf_entry(va, Allocate::Yes);
  if (!e) return abi::Errno::kENOMEM;
  *e = leaf;
  return {};
}

Pte PageTable::clear(u64 va) {
  Pte* e = leaf_entry(va, Allocate::No);
  if (!e) return Pte();
  const Pte old = *e;
  *e = Pte();
  return old;
}

// Returns true when the table at `table` maps nothing any more (and may be freed).
bool PageTable::prune(PhysAddr table, int level, u64 base, u64 start, u64 end) {
  Pte* entries = table_at(table);
  bool empty = true;
  for (int i = 0; i < kEntriesPerTable; ++i) {
    const u64 lo = base + static_cast<u64>(i) * level_span(level);
    const u64 hi = lo + level_span(level);
    Pte& e = entries[i];
    if (level > 1 && e.present() && !e.huge() && lo < end && hi > start) {
      if (prune(e.address(), level - 1, lo, start, end)) {
        m_frames.free(e.pfn());
        --m_table_pages;
        e = Pte();
      }
    }
    if (!e.none()) empty = false;
  }
  return empty;
}

void PageTable::free_empty_tables(u64 start, u64 end) {
  if (start >= end) return;
  prune(m_root, kLevels, 0, start, end);
}

}  // namespace kernel::x86_64
