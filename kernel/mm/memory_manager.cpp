#include "kernel/mm/memory_manager.h"

#include <cstring>

#include "kernel/base/result.h"

namespace kernel::mm {

MemoryManager::MemoryManager(const hal::PhysMemory& ram, hal::Cpu& cpu)
    : m_ram(ram), m_cpu(cpu), m_frames(Pfn(1), ram.frame_count() - 1) {
  auto zero = m_frames.allocate();
  VERIFY(zero.has_value());
  m_zero_page = *zero;
  std::memset(m_ram.frame(m_zero_page), 0, kPageSize);
}

}  // namespace kernel::mm
