#include "kernel/mm/frame_allocator.h"

#include <algorithm>
#include <cstdlib>

#include "kernel/base/result.h"

namespace kernel::mm {

struct FrameAllocator::Frame {
  u32 refcount;
  u32 next;  // free-list links, valid while this frame heads a free block
  u32 prev;
  u8 order;  // order of the free block this frame heads
  u8 free;   // 1 while this frame heads a free block
  u16 unused;
};
static_assert(sizeof(FrameAllocator::Frame) == 16, "the per-frame record stays small");

FrameAllocator::FrameAllocator(Pfn first, u64 count) : m_first(first), m_count(count) {
  VERIFY(count < kNone);
  m_frames = static_cast<Frame*>(std::calloc(count ? count : 1, sizeof(Frame)));
  VERIFY(m_frames != nullptr);
  for (auto& head : m_free_head) head = kNone;
  // Hand every frame to the free lists as the largest naturally aligned blocks.
  u64 idx = 0;
  while (idx < count) {
    unsigned order = kMaxOrder;
    while (order > 0 && (((first.value + idx) & ((u64{1} << order) - 1)) != 0 ||
                         idx + (u64{1} << order) > count))
      --order;
    push_free(idx, order);
    m_free_frames += u64{1} << order;
    idx += u64{1} << order;
  }
}

FrameAllocator::~FrameAllocator() {
  std::free(m_frames);
}

void FrameAllocator::push_free(u64 idx, unsigned order) {
  Frame& f = m_frames[idx];
  f.free = 1;
  f.order = static_cast<u8>(order);
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
  f.free = 0;
  --m_free_count[order];
}

std::optional<Pfn> FrameAllocator::allocate(unsigned order) {
  if (order > kMaxOrder) return std::nullopt;
  unsigned k = order;
  while (k <= kMaxOrder && m_free_head[k] == kNone) ++k;
  if (k > kMaxOrder) return std::nullopt;
  const u64 idx = m_free_head[k];
  remove_free(idx, k);
  // Split: the upper halves go back to the free lists.
  while (k > order) {
    --k;
    push_free(idx + (u64{1} << k), k);
  }
  m_free_frames -= u64{1} << order;
  m_frames[idx].refcount = 1;
  return Pfn(m_first.value + idx);
}

void FrameAllocator::free(Pfn pfn, unsigned order) {
  VERIFY(pfn.value >= m_first.value && index(pfn) < m_count);
  u64 idx = index(pfn);
  VERIFY(!m_frames[idx].free);
  m_frames[idx].refcount = 0;
  m_free_frames += u64{1} << order;
  // Merge with the buddy while it is a free block of the same order.
  while (order < kMaxOrder) {
    const u64 abs = m_first.value + idx;
    const u64 buddy_abs = abs ^ (u64{1} << order);
    if (buddy_abs < m_first.value) break;
    const u64 buddy = buddy_abs - m_first.value;
    if (buddy >= m_count || !m_frames[buddy].free || m_frames[buddy].order != order) break;
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
  free(pfn, 0);
  return true;
}

u32 FrameAllocator::refcount(Pfn pfn) const {
  return m_frames[index(pfn)].refcount;
}

u64 FrameAllocator::free_blocks(unsigned order) const {
  return order <= kMaxOrder ? m_free_count[order] : 0;
}

bool FrameAllocator::is_free(Pfn pfn) const {
  // A frame is free when it lies inside some free block: find the block head above it.
  const u64 idx = index(pfn);
  for (unsigned order = 0; order <= kMaxOrder; ++order) {
    const u64 abs_head = (m_first.value + idx) & ~((u64{1} << order) - 1);
    if (abs_head < m_first.value) break;
    const Frame& head = m_frames[abs_head - m_first.value];
    if (head.free && head.order >= order) return true;
  }
  return false;
}

}  // namespace kernel::mm
