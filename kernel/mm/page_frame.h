// The public record of one physical frame (Linux's struct page), kept small: one exists
// for every 4 KiB of emulated RAM. The frame allocator's free lists and the reclaim LRU
// lists share the link fields, since a frame is never free and on an LRU at once.
#pragma once

#include "kernel/base/types.h"

namespace kernel::mm {

class MemoryObject;

enum PageFlag : u32 {
  PG_free = 1u << 0,        // heads a free buddy block (order in `index`)
  PG_anon = 1u << 1,        // private anonymous memory, owned by page tables
  PG_lru = 1u << 2,         // on an LRU list
  PG_active = 1u << 3,      // on the active list (else the inactive one)
  PG_referenced = 1u << 4,  // seen accessed once while inactive
  PG_dirty = 1u << 5,       // differs from its backing store
  PG_swapcache = 1u << 6,   // has a copy in a swap slot (`index` names it for anon pages)
  PG_hwpoison = 1u << 7,    // hardware-poisoned: never handed out again
  PG_ksm = 1u << 8,         // a KSM-merged page
  PG_head = 1u << 9,        // first frame of a compound (huge) page
  PG_tail = 1u << 10,       // other frames of a compound page
  PG_reserved = 1u << 11,   // the zero page, firmware: never freed
  PG_lazyfree = 1u << 12,   // MADV_FREE: may be discarded while clean
  PG_unevictable = 1u << 13,
  PG_pagetable = 1u << 14,  // a page-table or page-list node
};

struct PageFrame {
  u32 refcount;  // every holder: mappings, an object's page list, transient users
  u32 mapcount;  // page-table entries mapping it: the length of its reverse-map chain
  u32 flags;     // PageFlag bits
  u32 rmap;      // first reverse-map item (ReverseMap index), or kNoLink
  u32 next;      // buddy free list while free; LRU list while on one
  u32 prev;
  u64 index;            // page index in `owner`; the swap slot of an anonymous page; buddy order
  MemoryObject* owner;  // the object whose page list holds it; null for anonymous memory

  static constexpr u32 kNoLink = ~u32{0};
  bool test(PageFlag f) const { return flags & f; }
  void set(PageFlag f) { flags |= f; }
  void clear(PageFlag f) { flags &= ~static_cast<u32>(f); }
};
static_assert(sizeof(PageFrame) == 40, "one record per 4 KiB frame stays small");

}  // namespace kernel::mm
