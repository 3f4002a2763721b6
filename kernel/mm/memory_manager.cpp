#include "kernel/mm/memory_manager.h"

#include <algorithm>
#include <cstring>

#include "kernel/base/result.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/memory_object.h"

namespace kernel::mm {

namespace {

// Frames the kernel's records take: a PageFrame and one reverse-map item per frame (the
// pool's initial size), and a count and a swap-cache link per swap slot.
u64 record_frames_for(u64 frame_count, u64 swap_bytes) {
  constexpr u64 kRmapItem = 24;
  const u64 bytes = frame_count * (sizeof(PageFrame) + kRmapItem) + (swap_bytes >> kPageShift) * 8;
  return page_round_up(bytes) >> kPageShift;
}

}  // namespace

MemoryManager::MemoryManager(const hal::PhysMemory& ram, hal::Cpu& cpu, MemoryOptions options)
    : m_ram(ram),
      m_cpu(cpu),
      m_record_frames(record_frames_for(ram.frame_count(), options.swap_bytes.value_or(ram.size))),
      m_frames(Pfn(1 + m_record_frames), ram.frame_count() - 1 - m_record_frames),
      m_rmap(m_frames),
      m_lru(m_frames),
      m_swap(options.swap_bytes.value_or(ram.size)),
      m_reclaimer(*this),
      m_ksm(*this) {
  auto zero = m_frames.allocate();
  VERIFY(zero.has_value());
  m_zero_page = *zero;
  std::memset(m_ram.frame(m_zero_page), 0, kPageSize);
  m_frames.frame(m_zero_page).set(PG_reserved);
  // Linux scales min_free_kbytes with the square root of RAM; a fixed fraction with a
  // floor is close enough at emu's sizes.
  m_low_watermark = std::clamp<u64>(m_frames.total_frames() / 64, 16, 4096);
  m_high_watermark = m_low_watermark + m_low_watermark / 2;
  m_frames.set_client(this);
}

void MemoryManager::frame_released(Pfn pfn) {
  m_lru.remove(pfn);
}

void MemoryManager::reclaim_frames(u64 wanted) {
  // Some headroom beyond the request, so the next allocations do not each reclaim.
  m_reclaimer.reclaim(std::max<u64>(wanted, kReclaimBatch));
}

void MemoryManager::balance_slow() {
  if (m_balance_backoff > 0) {
    --m_balance_backoff;
    return;
  }
  const u64 free = m_frames.free_frames();
  if (m_reclaimer.reclaim(m_high_watermark - free) == 0) m_balance_backoff = 64;
}

void MemoryManager::free_swap_entry(u64 slot) {
  if (m_swap.put(slot) == 1 && m_swap.cached(slot)) drop_swap_cache(slot);
}

void MemoryManager::drop_swap_cache(u64 slot) {
  const Pfn pfn = *m_swap.cached(slot);
  PageFrame& record = frame(pfn);
  m_swap.uncache(slot);
  record.clear(PG_swapcache);
  // What is in RAM is now the only copy.
  record.set(PG_dirty);
  m_swap.put(slot);
  m_frames.put(pfn);
}

u32 MemoryManager::unmap_everywhere(Pfn pfn) {
  u32 count = 0;
  m_rmap.for_each(pfn, [&](ReverseMap::Mapping m) {
    m.as->unmap_page(m.va, pfn);
    ++count;
  });
  return count;
}

std::shared_ptr<MemoryObject> MemoryManager::cached_object(FileKey key) const {
  auto it = m_page_caches.find(key);
  return it == m_page_caches.end() ? nullptr : it->second.lock();
}

void MemoryManager::zap_object_range(const MemoryObject* object, u64 first, u64 last) {
  for (AddressSpace* as : m_spaces) as->zap_object_range(object, first, last);
}

bool MemoryManager::maps_shared_writable(const MemoryObject* object) const {
  for (const AddressSpace* as : m_spaces)
    for (const auto& [start, vma] : as->vmas())
      if (vma.object.get() == object && vma.shared() && (vma.flags & VM_MAYWRITE)) return true;
  return false;
}

void MemoryManager::sync_page_caches() {
  for (auto& [key, weak] : m_page_caches)
    if (auto object = weak.lock()) (void)object->sync(0, (kMaxObjectSize >> kPageShift) - 1);
}

void MemoryManager::remember_object(FileKey key, const std::shared_ptr<MemoryObject>& object) {
  // Forget caches nobody holds any more, so the table stays as small as the open files.
  std::erase_if(m_page_caches, [](const auto& entry) { return entry.second.expired(); });
  m_page_caches[key] = object;
}

}  // namespace kernel::mm
