#include "kernel/mm/rmap.h"

#include "kernel/base/result.h"
#include "kernel/mm/frame_allocator.h"

namespace kernel::mm {

ReverseMap::ReverseMap(FrameAllocator& frames) : m_frames(frames) {
  // Most mapped frames have one mapper: room for one item per frame up front, so the
  // pool grows on the fault path only once sharing exceeds that.
  m_items.reserve(frames.total_frames());
}

u32 ReverseMap::head(Pfn pfn) const {
  return m_frames.frame(pfn).rmap;
}

void ReverseMap::set_head(Pfn pfn, u32 item) {
  m_frames.frame(pfn).rmap = item;
}

void ReverseMap::add(Pfn pfn, AddressSpace* as, u64 va) {
  u32 index;
  if (m_free != kNone) {
    index = m_free;
    m_free = m_items[index].next;
  } else {
    VERIFY(m_items.size() < kNone);
    index = static_cast<u32>(m_items.size());
    m_items.push_back({});
  }
  m_items[index] = {as, va, head(pfn)};
  set_head(pfn, index);
  ++m_frames.frame(pfn).mapcount;
  ++m_in_use;
}

void ReverseMap::remove(Pfn pfn, AddressSpace* as, u64 va) {
  u32* link = &m_frames.frame(pfn).rmap;
  while (*link != kNone) {
    Item& item = m_items[*link];
    if (item.as == as && item.va == va) {
      const u32 index = *link;
      *link = item.next;
      item = {nullptr, 0, m_free};
      m_free = index;
      --m_frames.frame(pfn).mapcount;
      --m_in_use;
      return;
    }
    link = &item.next;
  }
  VERIFY(!"reverse-map item to remove exists");
}

void ReverseMap::move(Pfn pfn, AddressSpace* as, u64 from, u64 to) {
  for (u32 i = head(pfn); i != kNone; i = m_items[i].next) {
    if (m_items[i].as == as && m_items[i].va == from) {
      m_items[i].va = to;
      return;
    }
  }
  VERIFY(!"reverse-map item to move exists");
}

bool ReverseMap::contains(Pfn pfn, const AddressSpace* as, u64 va) const {
  for (u32 i = head(pfn); i != kNone; i = m_items[i].next)
    if (m_items[i].as == as && m_items[i].va == va) return true;
  return false;
}

u32 ReverseMap::mapcount(Pfn pfn) const {
  return m_frames.frame(pfn).mapcount;
}

}  // namespace kernel::mm
