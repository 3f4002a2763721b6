#include "kernel/fs/pipe.h"

#include <unistd.h>

#include <algorithm>

#include "kernel/proc/wait_queue.h"

namespace kernel::fs {

class PipeBuffer {
 public:
  static constexpr u64 kCapacity = 64 * 1024;

  u64 used() const { return m_used; }
  u64 space() const { return kCapacity - m_used; }

  u64 push(std::span<const u8> data) {
    const u64 n = std::min<u64>(data.size(), space());
    for (u64 i = 0; i < n; ++i) m_bytes[(m_head + m_used + i) % kCapacity] = data[i];
    m_used += n;
    return n;
  }
  u64 pop(std::span<u8> out) {
    const u64 n = std::min<u64>(out.size(), m_used);
    for (u64 i = 0; i < n; ++i) out[i] = m_bytes[(m_head + i) % kCapacity];
    m_head = (m_head + n) % kCapacity;
    m_used -= n;
    return n;
  }

  int readers = 0;
  int writers = 0;
  u64 inode = 0;
  // Woken whenever data, space or an end comes or goes: readers, writers and pollers.
  WaitQueue waiters;

 private:
  std::array<u8, kCapacity> m_bytes{};
  u64 m_head = 0;
  u64 m_used = 0;
};

namespace {

u64 next_pipe_inode() {
  static u64 next = 1000;
  return next++;
}

}  // namespace

PipeEnd::PipeEnd(std::shared_ptr<PipeBuffer> buffer, Side side, u64 flags)
    : m_buffer(std::move(buffer)), m_side(side) {
  status_flags = (side == Side::Read ? abi::kO_RDONLY : abi::kO_WRONLY) |
                 (flags & (abi::kO_NONBLOCK | abi::kO_DIRECT));
  (side == Side::Read ? m_buffer->readers : m_buffer->writers)++;
}

PipeEnd::~PipeEnd() {
  (m_side == Side::Read ? m_buffer->readers : m_buffer->writers)--;
  m_buffer->waiters.wake_all();
}

Result<u64> PipeEnd::read(std::span<u8> buf) {
  if (m_side != Side::Read) return abi::Errno::kEBADF;
  if (buf.empty()) return u64{0};
  if (m_buffer->used() == 0) {
    if (m_buffer->writers == 0) return u64{0};  // end of file
    if (status_flags & abi::kO_NONBLOCK) return abi::Errno::kEAGAIN;
    return abi::kEWAIT;
  }
  const u64 n = m_buffer->pop(buf);
  m_buffer->waiters.wake_all();
  return n;
}

Result<u64> PipeEnd::write(std::span<const u8> buf) {
  if (m_side != Side::Write) return abi::Errno::kEBADF;
  if (m_buffer->readers == 0) return abi::Errno::kEPIPE;
  if (buf.empty()) return u64{0};
  // Writes of at most PIPE_BUF (4096) bytes are atomic: all or nothing.
  const bool atomic = buf.size() <= 4096;
  if (m_buffer->space() == 0 || (atomic && m_buffer->space() < buf.size())) {
    if (status_flags & abi::kO_NONBLOCK) return abi::Errno::kEAGAIN;
    return abi::kEWAIT;
  }
  const u64 n = m_buffer->push(buf);
  m_buffer->waiters.wake_all();
  return n;
}

u32 PipeEnd::poll_ready() {
  const PipeBuffer& b = *m_buffer;
  u32 ready = 0;
  if (m_side == Side::Read) {
    if (b.used() > 0) ready |= abi::kPOLLIN | abi::kPOLLRDNORM;
    if (b.writers == 0) ready |= abi::kPOLLHUP;
  } else {
    // pipe_poll: writable while a whole PIPE_BUF fits.
    if (b.space() >= 4096) ready |= abi::kPOLLOUT | abi::kPOLLWRNORM;
    if (b.readers == 0) ready |= abi::kPOLLERR;
  }
  return ready;
}

WaitQueue* PipeEnd::poll_queue() {
  return &m_buffer->waiters;
}

Result<void> PipeEnd::stat(abi::Stat& out) {
  out = {};
  out.st_dev = 0xd;  // pipefs
  out.st_ino = m_buffer->inode;
  out.st_nlink = 1;
  out.st_mode = abi::kS_IFIFO | 0600;
  out.st_uid = getuid();
  out.st_gid = getgid();
  out.st_blksize = 4096;
  return {};
}

std::pair<std::shared_ptr<PipeEnd>, std::shared_ptr<PipeEnd>> make_pipe(u64 flags) {
  auto buffer = std::make_shared<PipeBuffer>();
  buffer->inode = next_pipe_inode();
  return {std::make_shared<PipeEnd>(buffer, PipeEnd::Side::Read, flags),
          std::make_shared<PipeEnd>(buffer, PipeEnd::Side::Write, flags)};
}

}  // namespace kernel::fs
