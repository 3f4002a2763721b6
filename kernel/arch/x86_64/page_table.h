// x86-64 4-level page tables kept in emulated physical RAM, in hardware format, so the
// machine's MMU walks exactly what the kernel wrote. Every operation goes through one
// walk (like xv6's walkpgdir); table pages come from the frame allocator.
#pragma once

#include <algorithm>

#include "kernel/arch/x86_64/pte.h"
#include "kernel/base/result.h"
#include "kernel/hal.h"

namespace kernel::mm {
class FrameAllocator;
}

namespace kernel::x86_64 {

enum class Allocate : bool { No, Yes };

class PageTable {
 public:
  // Allocates an empty top-level table; VERIFY-fails when RAM cannot hold even that.
  PageTable(const hal::PhysMemory& ram, mm::FrameAllocator& frames);
  ~PageTable();  // frees every table page (not the frames the leaves map)
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;

  PhysAddr root() const { return m_root; }

  // The entry that maps va at `level` (1 = PT ... 4 = PML4), creating missing tables when
  // asked. nullptr when a table is missing (and not created), when a PS leaf sits above
  // `level`, or when a table page cannot be allocated.
  Pte* entry(u64 va, int level, Allocate allocate);
  Pte* leaf_entry(u64 va, Allocate allocate) { return entry(va, 1, allocate); }
  // The same, from the directory entry `pde` that entry(va, 2, ...) gave: one walk serves
  // both levels on the fault path.
  Pte* leaf_under(Pte* pde, u64 va, Allocate allocate);

  // The leaf entry that translates va (a 4 KiB PTE, or a 2 MiB / 1 GiB PS entry), with its
  // level; an empty Pte when nothing maps va.
  struct Lookup {
    Pte pte;
    int level = 0;
  };
  Lookup lookup(u64 va) const;

  // Installs a 4 KiB leaf; ENOMEM when a table page cannot be allocated.
  Result<void> map(u64 va, Pte leaf);
  // Clears the 4 KiB leaf for va and returns what it held.
  Pte clear(u64 va);

  // Frees the page-table pages that map nothing inside [start, end). Called after ranges
  // are unmapped, as Linux's free_pgtables() does.
  void free_empty_tables(u64 start, u64 end);

  u64 table_pages() const { return m_table_pages; }
  // Makes the zeroed-or-filled page `table` the page table under the directory entry `pde`
  // (a huge entry being split): the tree owns it from now on.
  void install_table(Pte* pde, PhysAddr table) {
    *pde = Pte::table(table);
    ++m_table_pages;
  }
  // Takes the page table under `pde` out of the tree (a range being collapsed into one huge
  // entry): the caller owns the page and rewrites the entry.
  PhysAddr remove_table(Pte* pde) {
    --m_table_pages;
    return pde->address();
  }

  // Calls fn(va, Pte& slot) for every non-empty 4 KiB leaf slot in [start, end), in address
  // order. A missing table is skipped at the full span of its level (512 GiB, 1 GiB,
  // 2 MiB), so the cost follows what is mapped rather than the length of the range. The
  // range is clipped to the user half: a non-canonical address never aliases a low one.
  // fn may rewrite or clear the slot; it must not add or free tables.
  template <typename Fn>
  void for_each_leaf(u64 start, u64 end, Fn&& fn) {
    end = std::min(end, kUserAddressEnd);
    if (start < end) walk_leaves(m_root, kLevels, start, end, fn);
  }

  // Calls fn(haddr, Pte& pde) for every 2 MiB PS entry overlapping [start, end), in
  // address order, skipping absent tables as for_each_leaf does. haddr is the entry's
  // aligned start, which may lie below `start`. fn may rewrite the entry (split it into a
  // table, or clear it).
  template <typename Fn>
  void for_each_huge(u64 start, u64 end, Fn&& fn) {
    end = std::min(end, kUserAddressEnd);
    if (start < end) walk_huge(m_root, kLevels, start, end, fn);
  }

 private:
  template <typename Fn>
  void walk_huge(PhysAddr table, int level, u64 start, u64 end, Fn& fn) {
    Pte* entries = table_at(table);
    const u64 span = level_span(level);
    for (u64 va = start; va < end;) {
      const u64 next = (va | (span - 1)) + 1;
      Pte& e = entries[table_index(va, level)];
      if (e.present()) {
        if (level == 2 && e.huge())
          fn(va & ~(span - 1), e);
        else if (level > 2 && !e.huge())
          walk_huge(e.address(), level - 1, va, std::min(next, end), fn);
      }
      va = next;
    }
  }

  template <typename Fn>
  void walk_leaves(PhysAddr table, int level, u64 start, u64 end, Fn& fn) {
    Pte* entries = table_at(table);
    const u64 span = level_span(level);
    for (u64 va = start; va < end;) {
      const u64 next = (va | (span - 1)) + 1;
      Pte& e = entries[table_index(va, level)];
      if (level == 1) {
        if (!e.none()) fn(va, e);
      } else if (e.present() && !e.huge()) {
        walk_leaves(e.address(), level - 1, va, std::min(next, end), fn);
      }
      va = next;
    }
  }

  Pte* table_at(PhysAddr pa) const { return reinterpret_cast<Pte*>(m_ram.at(pa)); }
  void free_tree(PhysAddr table, int level);
  bool prune(PhysAddr table, int level, u64 base, u64 start, u64 end);

  hal::PhysMemory m_ram;
  mm::FrameAllocator& m_frames;
  PhysAddr m_root;
  u64 m_table_pages = 0;
};

}  // namespace kernel::x86_64
