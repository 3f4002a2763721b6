// Futex wait queues (Linux's futex hash), keyed as get_futex_key keys them: a private
// futex, or any futex in private memory, by (address space, address); a shared futex in
// a shared mapping by (memory object, offset), so that processes mapping the same file
// or shared memory at different addresses meet on the same queue.
#pragma once

#include <map>
#include <memory>
#include <utility>

#include "kernel/base/result.h"
#include "kernel/proc/wait_queue.h"

namespace kernel::mm {
class AddressSpace;
}

namespace kernel {

struct FutexKey {
  const void* base = nullptr;  // the AddressSpace or the MemoryObject
  u64 offset = 0;              // the address, or the offset in the object
  // A shared futex in private memory is keyed by the address space and address as a
  // private one is, but the two never meet (Linux marks it FUT_OFF_MMSHARED).
  bool shared_op = false;
  auto operator<=>(const FutexKey&) const = default;
};

class FutexTable {
 public:
  // The key for the u32 at uaddr: EINVAL unless 4-byte aligned, EFAULT outside any VMA.
  static Result<FutexKey> key(mm::AddressSpace& as, u64 uaddr, bool is_private);
  // The queue for `key`, made when first needed.
  WaitQueue& queue(const FutexKey& key);
  // Wakes up to n waiters on `key` whose wait bitset meets `bitset`, oldest first.
  int wake(const FutexKey& key, int n, u32 bitset);
  // Moves up to n waiters from one key to another (FUTEX_REQUEUE), oldest first, to wait
  // behind those already there. Returns how many it took, counting, as Linux does, those
  // "moved" onto the same key.
  int requeue(const FutexKey& from, const FutexKey& to, int n);
  // Forgets queues with no waiter left (keeps the table as small as its waiters).
  void trim(const FutexKey& key);

 private:
  std::map<FutexKey, std::unique_ptr<WaitQueue>> m_queues;
};

}  // namespace kernel
