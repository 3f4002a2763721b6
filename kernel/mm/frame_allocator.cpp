#include "kernel/mm/frame_allocator.h"

#include <algorithm>
#include <cstdlib>

#include "kernel/base/result.h"

namespace kernel::mm {

FrameAllocator::FrameAllocator(Pfn first, u64 count) : m_first(first), m_count(count) {
  VERIFY(count < kNone);
  m_frames = static_cast<Frame*>(std::calloc(count ? count : 1, sizeof(Frame)));
  VERIFY(m_frames != nullptr);
  for (auto& head : m_free_head) head = kNone;
  // The aligned middle of RAM starts as an untouched reserve of largest blocks, carved on
  // demand: putting each on a free list would touch one record page per 4 MiB of RAM at
  // start-up. The unaligned ends go to the free lists as the largest aligned blocks.
  constexpr u64 kBlock = u64{1} << kMaxOrder;
  const u64 aligned_begin = std::min(count, (kBlock - first.value % kBlock) % kBlock);
  const u64 aligned_end = aligned_begin + (count - aligned_begin) / kBlock * kBlock;
  m_reserve_begin = aligned_begin;
  m_reserve_end = aligned_end;
  m_free_frames = aligned_end - aligned_begin;
  auto add_range = [&](u64 idx, u64 end) {
    while (idx < end) {
      unsigned order = kMaxOrder;
      while (order > 0 && (((first.value + idx) & ((u64{1} << order) - 1)) != 0 ||
                           idx + (u64{1} << order) > end))
        --order;
      push_free(idx, order);
      m_free_frames += u64{1} << order;
      idx += u64{1} << order;
    }
  };
  add_range(0, aligned_begin);
  add_range(aligned_end, count);
}

FrameAllocator::~FrameAllocator() {
  std::free(m_frames);
}

void FrameAllocator::push_free(u64 idx, unsigned order) {
  Frame& f = m_frames[idx];
  f.flags = PG_free;
  f.index = order;
  f.prev = kNone;
  f.next = m_free_head[order];
  if (f.next != kNone) m_frames[f.next].prev = static_cast<u32>(idx);
  m_free_head[order] = static_cast<u32>(idx);
  ++m_free_count[order];
}

void FrameAllocator::remove_free(u64 idx, unsigned order) {
  Frame& f = m_frames[idx];
  if (f.prev != kNone)
    m_frames[f.prev].next = f.next;
  else
    m_free_head[order] = f.next;
  if (f.next != kNone) m_frames[f.next].prev = f.prev;
  f.flags = 0;
  --m_free_count[order];
}

std::optional<Pfn> FrameAllocator::allocate(unsigned order) {
  auto block = take_block(order);
  if (block || !m_client || m_reclaiming || order > kMaxOrder) return block;
  m_reclaiming = true;
  m_client->reclaim_frames(u64{1} << order);
  m_reclaiming = false;
  return take_block(order);
}

std::optional<Pfn> FrameAllocator::take_block(unsigned order) {
  if (order > kMaxOrder) return std::nullopt;
  unsigned k = order;
  while (k <= kMaxOrder && m_free_head[k] == kNone) ++k;
  u64 idx;
  if (k <= kMaxOrder) {
    idx = m_free_head[k];
    remove_free(idx, k);
  } else if (m_reserve_begin < m_reserve_end) {
    // Freed memory is reused first; the reserve is carved only when the lists run dry.
    idx = m_reserve_begin;
    m_reserve_begin += u64{1} << kMaxOrder;
    k = kMaxOrder;
  } else {
    return std::nullopt;
  }
  // Split: the upper halves go back to the free lists.
  while (k > order) {
    --k;
    push_free(idx + (u64{1} << k), k);
  }
  m_free_frames -= u64{1} << order;
  for (u64 i = idx; i < idx + (u64{1} << order); ++i) {
    m_frames[i] = Frame{};
    m_frames[i].rmap = kNone;
  }
  m_frames[idx].refcount = 1;
  return Pfn(m_first.value + idx);
}

void FrameAllocator::free(Pfn pfn, unsigned order) {
  VERIFY(pfn.value >= m_first.value && index(pfn) < m_count);
  u64 idx = index(pfn);
  VERIFY(!(m_frames[idx].flags & PG_free));
  VERIFY(m_frames[idx].mapcount == 0);
  VERIFY(!(m_frames[idx].flags & PG_swapcache));
  if ((m_frames[idx].flags & PG_lru) && m_client) m_client->frame_released(pfn);
  VERIFY(!(m_frames[idx].flags & PG_lru));
  m_frames[idx].refcount = 0;
  m_free_frames += u64{1} << order;
  // Merge with the buddy while it is a free block of the same order.
  while (order < kMaxOrder) {
    const u64 abs = m_first.value + idx;
    const u64 buddy_abs = abs ^ (u64{1} << order);
    if (buddy_abs < m_first.value) break;
    const u64 buddy = buddy_abs - m_first.value;
    if (buddy >= m_count || !(m_frames[buddy].flags & PG_free) || m_frames[buddy].index != order)
      break;
    remove_free(buddy, order);
    idx = std::min(idx, buddy);
    ++order;
  }
  push_free(idx, order);
}

void FrameAllocator::get(Pfn pfn) {
  VERIFY(index(pfn) < m_count);
  ++m_frames[index(pfn)].refcount;
}

bool FrameAllocator::put(Pfn pfn) {
  VERIFY(index(pfn) < m_count);
  Frame& f = m_frames[index(pfn)];
  VERIFY(f.refcount > 0);
  if (--f.refcount > 0) return false;
  f.refcount = 1;  // free() expects an owned frame
  // Every frame of a compound page is held by each huge entry mapping it, and the page
  // stops being compound when the last one goes: a head is never released as such.
  VERIFY(!(f.flags & (PG_head | PG_tail)));
  free(pfn, 0);
  return true;
}

bool FrameAllocator::take_off_free(Pfn pfn) {
  if (!manages(pfn) || !is_free(pfn)) return false;
  const u64 idx = index(pfn);
  constexpr u64 kBlock = u64{1} << kMaxOrder;
  if (idx >= m_reserve_begin && idx < m_reserve_end) {
    // Inside the untouched reserve: the reserve's blocks up to this one join the free lists.
    const u64 block_end = m_reserve_begin + ((idx - m_reserve_begin) / kBlock + 1) * kBlock;
    for (u64 b = m_reserve_begin; b < block_end; b += kBlock) push_free(b, kMaxOrder);
    m_reserve_begin = block_end;
  }
  for (unsigned order = 0; order <= kMaxOrder; ++order) {
    const u64 abs_head = (m_first.value + idx) & ~((u64{1} << order) - 1);
    if (abs_head < m_first.value) break;
    u64 head = abs_head - m_first.value;
    const Frame& f = m_frames[head];
    if (!(f.flags & PG_free) || f.index != order) continue;
    remove_free(head, order);
    // Halve the block, freeing the half without the frame, down to the frame itself.
    while (order > 0) {
      --order;
      const u64 upper = head + (u64{1} << order);
      if (idx >= upper) {
        push_free(head, order);
        head = upper;
      } else {
        push_free(upper, order);
      }
    }
    --m_free_frames;
    m_frames[idx] = Frame{};
    m_frames[idx].rmap = kNone;
    m_frames[idx].refcount = 1;
    return true;
  }
  return false;
}

u32 FrameAllocator::refcount(Pfn pfn) const {
  return m_frames[index(pfn)].refcount;
}

u64 FrameAllocator::free_blocks(unsigned order) const {
  if (order > kMaxOrder) return 0;
  return m_free_count[order] +
         (order == kMaxOrder ? (m_reserve_end - m_reserve_begin) >> kMaxOrder : 0);
}

bool FrameAllocator::is_free(Pfn pfn) const {
  // A frame is free when it lies inside some free block: find the block head above it.
  const u64 idx = index(pfn);
  if (idx >= m_reserve_begin && idx < m_reserve_end) return true;
  for (unsigned order = 0; order <= kMaxOrder; ++order) {
    const u64 abs_head = (m_first.value + idx) & ~((u64{1} << order) - 1);
    if (abs_head < m_first.value) break;
    const Frame& head = m_frames[abs_head - m_first.value];
    if ((head.flags & PG_free) && head.index >= order) return true;
  }
  return false;
}

}  // namespace kernel::mm
