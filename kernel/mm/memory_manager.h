// The machine-wide memory state every address space and memory object shares: emulated
// RAM, the frame allocator and the shared zero page. Reclaim, the LRU lists, the swap
// device and the reverse map hang off it as they arrive.
#pragma once

#include "kernel/base/types.h"
#include "kernel/hal.h"
#include "kernel/mm/frame_allocator.h"

namespace kernel::mm {

class MemoryManager {
 public:
  // Frame 0 is never handed out (a zero PTE can never map real memory); the zero page is
  // the first frame allocated.
  MemoryManager(const hal::PhysMemory& ram, hal::Cpu& cpu);
  MemoryManager(const MemoryManager&) = delete;
  MemoryManager& operator=(const MemoryManager&) = delete;

  const hal::PhysMemory& ram() const { return m_ram; }
  FrameAllocator& frames() { return m_frames; }
  const FrameAllocator& frames() const { return m_frames; }
  hal::Cpu& cpu() { return m_cpu; }
  Pfn zero_page() const { return m_zero_page; }
  u8* frame_bytes(Pfn pfn) const { return m_ram.frame(pfn); }

 private:
  hal::PhysMemory m_ram;
  hal::Cpu& m_cpu;
  FrameAllocator m_frames;
  Pfn m_zero_page;
};

}  // namespace kernel::mm
