// The memory manager's bookkeeping checked against the page tables: the reverse map, the
// reference counts, the LRU and the swap slots' counts. Tests call it after every step.
#pragma once

#include <catch2/catch_test_macros.hpp>
#include <map>
#include <vector>

#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/swap.h"

namespace test {

using namespace kernel;
using x86_64::Pte;

// Every frame-mapping entry has its
// reverse-map item; references are mappers (a huge entry holds each frame of its page) +
// object + swap cache; each slot's count is the
// swap entries naming it plus the swap cache's hold.
inline void check_consistent(mm::MemoryManager& memory,
                             const std::vector<mm::AddressSpace*>& spaces,
                             const std::vector<mm::MemoryObject*>& objects = {}) {
  std::map<u64, u32> per_frame;  // reverse-map items expected on each frame's chain
  std::map<u64, u32> held;       // references the page tables hold on each frame
  std::map<u64, u32> huge_maps;  // huge entries per compound head
  std::map<u64, u32> per_slot;
  u64 leaves = 0;
  for (mm::AddressSpace* as : spaces) {
    u64 huge_entries = 0;
    for (const auto& [start, vma] : as->vmas()) {
      for (u64 va = vma.start; va < vma.end; va += kPageSize) {
        const auto found = as->page_table().lookup(va);
        const Pte pte = found.pte;
        if (found.level == 2 && pte.present()) {
          // A huge entry: one reverse-map item on the head, at the aligned address, and
          // one reference on every frame of the page. The huge zero page is never counted.
          REQUIRE(pte.huge());
          if (va & (kHugePageSize - 1)) continue;
          ++huge_entries;
          if (memory.is_huge_zero(pte.pfn())) continue;
          REQUIRE(memory.frame(pte.pfn()).test(mm::PG_head));
          for (u64 i = 1; i < 512; ++i) {
            const mm::PageFrame& tail = memory.frame(Pfn(pte.pfn().value + i));
            REQUIRE(tail.test(mm::PG_tail));
            REQUIRE_FALSE(tail.test(mm::PG_lru));
          }
          for (u64 i = 0; i < 512; ++i) ++held[pte.pfn().value + i];
          REQUIRE(memory.rmap().contains(pte.pfn(), as, va));
          ++per_frame[pte.pfn().value];
          ++huge_maps[pte.pfn().value];
          ++leaves;
          continue;
        }
        Pfn frame;
        if (pte.present()) {
          frame = pte.pfn();
        } else if (pte.soft_type() == Pte::SoftType::ProtNone) {
          frame = Pfn(pte.soft_value());
        } else {
          if (pte.soft_type() == Pte::SoftType::Swap) ++per_slot[pte.soft_value()];
          continue;
        }
        if (frame == memory.zero_page()) continue;
        INFO("va " << std::hex << va);
        REQUIRE(memory.rmap().contains(frame, as, va));
        ++per_frame[frame.value];
        ++held[frame.value];
        ++leaves;
      }
    }
    // One deposited page table per huge entry (what splitting it will use).
    REQUIRE(as->deposited_tables() == huge_entries);
  }
  for (const auto& [pfn, count] : per_frame) REQUIRE(memory.rmap().mapcount(Pfn(pfn)) == count);
  for (const auto& [head, count] : huge_maps)
    REQUIRE(mm::compound_mapcount(memory, Pfn(head)) == count);
  for (const auto& [pfn, count] : held) {
    INFO("pfn " << pfn);
    const mm::PageFrame& record = memory.frame(Pfn(pfn));
    if (!record.owner && (record.test(mm::PG_head) || record.test(mm::PG_tail))) {
      // An anonymous page stays compound only while a huge entry maps it (small entries
      // may map its frames too, after one process split its own entry); a shmem one
      // stays compound in its object.
      REQUIRE(huge_maps.count(pfn & ~u64{511}) == 1);
    }
    if (!record.test(mm::PG_tail)) REQUIRE(record.test(mm::PG_lru));
    const u32 swapcache = record.test(mm::PG_swapcache) ? 1 : 0;
    // memory_failure keeps a reference of its own on a poisoned page it left mapped (KSM).
    const u32 poison = record.test(mm::PG_hwpoison) ? 1 : 0;
    REQUIRE(memory.frames().refcount(Pfn(pfn)) ==
            count + (record.owner ? 1u : 0u) + swapcache + poison);
  }
  REQUIRE(memory.rmap().items_in_use() == leaves);
  mm::SwapDevice& swap = memory.swap();
  u64 object_slots = 0;
  for (mm::MemoryObject* object : objects) object_slots += object->swapped_pages();
  u64 slots_named = 0;
  for (const auto& [slot, count] : per_slot) {
    const u32 cache = swap.cached(slot) ? 1 : 0;
    // Object page lists may name a slot too: count at least what the page tables say.
    REQUIRE(swap.count(slot) >= count + cache);
    if (objects.empty()) REQUIRE(swap.count(slot) == count + cache);
    ++slots_named;
  }
  if (objects.empty()) {
    // Slots held only by the swap cache would be a leak.
    REQUIRE(swap.total_slots() - swap.free_slots() == slots_named);
  } else {
    REQUIRE(swap.total_slots() - swap.free_slots() <= slots_named + object_slots);
  }
}

}  // namespace test
