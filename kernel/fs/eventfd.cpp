#include "kernel/fs/eventfd.h"

#include <cstring>

#include "kernel/fs/anon_inode.h"

namespace kernel::fs {

EventFd::EventFd(u64 initial, u64 flags) : m_count(initial), m_semaphore(flags & kEFD_SEMAPHORE) {
  status_flags = abi::kO_RDWR | (flags & abi::kO_NONBLOCK);
}

Result<u64> EventFd::read(std::span<u8> buf) {
  if (buf.size() < sizeof(u64)) return abi::Errno::kEINVAL;
  if (m_count == 0) return (status_flags & abi::kO_NONBLOCK) ? abi::Errno::kEAGAIN : abi::kEWAIT;
  const u64 value = m_semaphore ? 1 : m_count;
  m_count -= value;
  std::memcpy(buf.data(), &value, sizeof value);
  m_waiters.wake_all(abi::kPOLLOUT);
  return sizeof(u64);
}

Result<u64> EventFd::write(std::span<const u8> buf) {
  if (buf.size() < sizeof(u64)) return abi::Errno::kEINVAL;
  u64 value;
  std::memcpy(&value, buf.data(), sizeof value);
  if (value == ~u64{0}) return abi::Errno::kEINVAL;
  if (kEventfdMax - m_count < value)
    return (status_flags & abi::kO_NONBLOCK) ? abi::Errno::kEAGAIN : abi::kEWAIT;
  m_count += value;
  if (value) m_waiters.wake_all(abi::kPOLLIN);
  return sizeof(u64);
}

u32 EventFd::poll_ready() {
  u32 ready = 0;
  if (m_count > 0) ready |= abi::kPOLLIN | abi::kPOLLRDNORM;
  if (m_count == ~u64{0}) ready |= abi::kPOLLERR;
  if (m_count < kEventfdMax) ready |= abi::kPOLLOUT | abi::kPOLLWRNORM;
  return ready;
}

Result<void> EventFd::stat(abi::Stat& out) {
  fs::anon_inode_stat(out);
  return {};
}

}  // namespace kernel::fs
