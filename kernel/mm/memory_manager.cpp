#include "kernel/mm/memory_manager.h"

#include <cstring>

#include "kernel/base/result.h"
#include "kernel/mm/address_space.h"

namespace kernel::mm {

MemoryManager::MemoryManager(const hal::PhysMemory& ram, hal::Cpu& cpu)
    : m_ram(ram), m_cpu(cpu), m_frames(Pfn(1), ram.frame_count() - 1), m_rmap(m_frames) {
  auto zero = m_frames.allocate();
  VERIFY(zero.has_value());
  m_zero_page = *zero;
  std::memset(m_ram.frame(m_zero_page), 0, kPageSize);
  m_frames.frame(m_zero_page).set(PG_reserved);
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

void MemoryManager::remember_object(FileKey key, const std::shared_ptr<MemoryObject>& object) {
  // Forget caches nobody holds any more, so the table stays as small as the open files.
  std::erase_if(m_page_caches, [](const auto& entry) { return entry.second.expired(); });
  m_page_caches[key] = object;
}

}  // namespace kernel::mm
