#include "kernel/proc/futex.h"

#include <algorithm>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/vma.h"
#include "kernel/proc/scheduler.h"
#include "kernel/proc/thread.h"

namespace kernel {

Result<FutexKey> FutexTable::key(mm::AddressSpace& as, u64 uaddr, bool is_private) {
  if (uaddr % sizeof(u32)) return abi::Errno::kEINVAL;
  if (is_private) return FutexKey{&as, uaddr};
  const mm::Vma* vma = as.find_vma(uaddr);
  if (!vma || uaddr < vma->start) return abi::Errno::kEFAULT;
  // Only memory that is really shared has a key beyond this address space: a private
  // mapping's pages are this process's own (after a write, or a fork, at least).
  if (vma->shared() && vma->object) return FutexKey{vma->object.get(), vma->offset_of(uaddr), true};
  return FutexKey{&as, uaddr, true};
}

WaitQueue& FutexTable::queue(const FutexKey& key) {
  auto& slot = m_queues[key];
  if (!slot) slot = std::make_unique<WaitQueue>();
  return *slot;
}

int FutexTable::wake(const FutexKey& key, int n, u32 bitset) {
  const auto it = m_queues.find(key);
  if (it == m_queues.end()) return 0;
  WaitQueue& q = *it->second;
  std::vector<Thread*> chosen;
  for (Thread* t : q.waiters()) {
    if (static_cast<int>(chosen.size()) >= n) break;
    if (t->call().futex_bitset & bitset) chosen.push_back(t);
  }
  for (Thread* t : chosen) {
    t->call().futex_woken = true;
    Scheduler::wake(*t, WakeReason::Event);
  }
  trim(key);
  return static_cast<int>(chosen.size());
}

int FutexTable::requeue(const FutexKey& from, const FutexKey& to, int n) {
  if (n <= 0) return 0;
  const auto it = m_queues.find(from);
  if (it == m_queues.end()) return 0;
  WaitQueue& src = *it->second;
  if (from == to) return std::min<int>(n, static_cast<int>(src.waiters().size()));
  WaitQueue& dst = queue(to);
  int moved = 0;
  while (moved < n && !src.empty()) {
    src.move_to(*src.waiters().front(), dst);
    ++moved;
  }
  trim(from);
  return moved;
}

void FutexTable::trim(const FutexKey& key) {
  const auto it = m_queues.find(key);
  if (it != m_queues.end() && it->second->empty()) m_queues.erase(it);
}

}  // namespace kernel
