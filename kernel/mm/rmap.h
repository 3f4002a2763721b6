// The reverse map: from a frame to every page-table entry that maps it, as (address space,
// virtual address) pairs. Swap-out, hole punching, poison, KSM merging and huge-page
// splitting find and rewrite every mapper through it.
//
// Each frame's record heads a chain of small items; the chain's length is the frame's
// mapcount. Items live in one pool whose free items are reused, so adding and removing on
// the fault path touches no host allocator once the pool has grown to the working set.
#pragma once

#include <vector>

#include "kernel/base/types.h"

namespace kernel::mm {

class AddressSpace;
class FrameAllocator;

class ReverseMap {
 public:
  explicit ReverseMap(FrameAllocator& frames);

  // Records that `as` maps `pfn` at `va` (one page-table entry).
  void add(Pfn pfn, AddressSpace* as, u64 va);
  // Forgets that mapping; it must exist.
  void remove(Pfn pfn, AddressSpace* as, u64 va);
  // The entry moved (mremap): same frame, same address space, new address.
  void move(Pfn pfn, AddressSpace* as, u64 from, u64 to);
  bool contains(Pfn pfn, const AddressSpace* as, u64 va) const;
  u32 mapcount(Pfn pfn) const;

  struct Mapping {
    AddressSpace* as;
    u64 va;
  };
  // Calls fn(Mapping) for every mapper of pfn. fn may remove the mapping it is given
  // (and only that one): the walk has already moved past it.
  template <typename Fn>
  void for_each(Pfn pfn, Fn&& fn);

  // Items in use, and the pool's size (for /proc/meminfo's kernel memory and tests).
  u64 items_in_use() const { return m_in_use; }
  u64 pool_size() const { return m_items.size(); }

 private:
  struct Item {
    AddressSpace* as;
    u64 va;
    u32 next;
  };
  static constexpr u32 kNone = ~u32{0};

  u32 head(Pfn pfn) const;
  void set_head(Pfn pfn, u32 item);

  FrameAllocator& m_frames;
  std::vector<Item> m_items;
  u32 m_free = kNone;
  u64 m_in_use = 0;
};

template <typename Fn>
void ReverseMap::for_each(Pfn pfn, Fn&& fn) {
  for (u32 i = head(pfn); i != kNone;) {
    const Item item = m_items[i];
    i = item.next;
    fn(Mapping{item.as, item.va});
  }
}

}  // namespace kernel::mm
