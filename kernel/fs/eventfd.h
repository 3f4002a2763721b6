// eventfd (fs/eventfd.c): a 64-bit counter. write adds to it (waiting while the sum would
// pass 0xfffffffffffffffe), read takes all of it, or 1 in semaphore mode (waiting at 0).
// Reads and writes move exactly 8 bytes; shorter buffers are EINVAL.
#pragma once

#include "kernel/fs/file.h"
#include "kernel/proc/wait_queue.h"

namespace kernel::fs {

inline constexpr u64 kEFD_SEMAPHORE = 1;
inline constexpr u64 kEventfdMax = ~u64{0} - 1;  // ULLONG_MAX - 1

class EventFd final : public File {
 public:
  EventFd(u64 initial, u64 flags);

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> write(std::span<const u8> buf) override;
  Result<void> stat(abi::Stat& out) override;
  u32 poll_ready() override;
  WaitQueue* poll_queue() override { return &m_waiters; }

  u64 count() const { return m_count; }

 private:
  u64 m_count;
  bool m_semaphore;
  WaitQueue m_waiters;
};

}  // namespace kernel::fs
