#include "kernel/fs/pipe.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <deque>
#include <vector>

#include "kernel/proc/wait_queue.h"

namespace kernel::fs {

class PipeBuffer {
 public:
  PipeBuffer() : m_bytes(kPipeDefaultSize) {}

  u64 capacity() const { return m_bytes.size(); }
  u64 used() const { return m_used; }
  u64 space() const { return capacity() - m_used; }
  // Pages in use, as Linux's pipe_occupancy() counts buffers (a packet takes a page).
  u64 occupancy() const {
    return m_packets.empty() ? (m_used + kPipeBuf - 1) / kPipeBuf : m_packets.size();
  }
  bool packet_room() const { return m_packets.size() < capacity() / kPipeBuf; }

  u64 push(std::span<const u8> data, bool packet) {
    const u64 n = std::min<u64>(data.size(), space());
    const u64 cap = capacity();
    for (u64 i = 0; i < n; ++i) m_bytes[(m_head + m_used + i) % cap] = data[i];
    m_used += n;
    if (packet) m_packets.push_back(n);
    return n;
  }
  // Takes up to out.size() bytes; a packet is taken whole, what does not fit is dropped.
  u64 pop(std::span<u8> out) {
    u64 take = std::min<u64>(out.size(), m_used);
    u64 drop = take;
    if (!m_packets.empty()) {
      take = std::min<u64>(out.size(), m_packets.front());
      drop = m_packets.front();
      m_packets.pop_front();
    }
    const u64 cap = capacity();
    for (u64 i = 0; i < take; ++i) out[i] = m_bytes[(m_head + i) % cap];
    m_head = (m_head + drop) % cap;
    m_used -= drop;
    return take;
  }
  void resize(u64 bytes) {
    std::vector<u8> fresh(bytes);
    const u64 cap = capacity();
    for (u64 i = 0; i < m_used; ++i) fresh[i] = m_bytes[(m_head + i) % cap];
    m_bytes = std::move(fresh);
    m_head = 0;
  }

  int readers = 0;
  int writers = 0;
  u64 inode = 0;
  // Woken whenever data, space or an end comes or goes: readers, writers and pollers.
  WaitQueue waiters;

 private:
  std::vector<u8> m_bytes;
  std::deque<u64> m_packets;  // packet sizes, oldest first, while written in packet mode
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
  m_buffer->waiters.wake_all(abi::kPOLLHUP | abi::kPOLLERR);
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
  m_buffer->waiters.wake_all(abi::kPOLLOUT);
  return n;
}

Result<u64> PipeEnd::write(std::span<const u8> buf) {
  if (m_side != Side::Write) return abi::Errno::kEBADF;
  if (m_buffer->readers == 0) return abi::Errno::kEPIPE;
  if (buf.empty()) return u64{0};
  PipeBuffer& b = *m_buffer;
  const bool packet = status_flags & abi::kO_DIRECT;
  // Writes of at most PIPE_BUF bytes are atomic: all or nothing.
  const bool atomic = buf.size() <= kPipeBuf;
  u64 done = 0;
  while (done < buf.size()) {
    const std::span<const u8> rest = buf.subspan(done);
    const u64 piece = packet ? std::min<u64>(rest.size(), kPipeBuf) : rest.size();
    const bool full = b.space() == 0 || (packet && !b.packet_room()) ||
                      (packet && b.space() < piece) || (atomic && b.space() < buf.size());
    if (full) break;
    done += b.push(rest.first(piece), packet);
  }
  if (done == 0) {
    if (status_flags & abi::kO_NONBLOCK) return abi::Errno::kEAGAIN;
    return abi::kEWAIT;
  }
  b.waiters.wake_all(abi::kPOLLIN);
  return done;
}

u32 PipeEnd::poll_ready() {
  const PipeBuffer& b = *m_buffer;
  u32 ready = 0;
  if (m_side == Side::Read) {
    if (b.used() > 0) ready |= abi::kPOLLIN | abi::kPOLLRDNORM;
    if (b.writers == 0) ready |= abi::kPOLLHUP;
  } else {
    // pipe_poll: writable while a page is free.
    if (b.occupancy() < b.capacity() / kPipeBuf) ready |= abi::kPOLLOUT | abi::kPOLLWRNORM;
    if (b.readers == 0) ready |= abi::kPOLLERR;
  }
  return ready;
}

WaitQueue* PipeEnd::poll_queue() {
  return &m_buffer->waiters;
}

u64 PipeEnd::capacity() const {
  return m_buffer->capacity();
}

Result<u64> PipeEnd::set_capacity(u64 bytes, bool privileged) {
  // round_pipe_size()
  if (bytes > (u64{1} << 31)) return abi::Errno::kEINVAL;
  const u64 size = bytes < kPipeBuf ? kPipeBuf : std::bit_ceil(bytes);
  PipeBuffer& b = *m_buffer;
  if (size > b.capacity() && size > kPipeMaxSize && !privileged) return abi::Errno::kEPERM;
  if (size > kPipeHardMaxSize) return abi::Errno::kENOMEM;
  if (size / kPipeBuf < b.occupancy() || size < b.used()) return abi::Errno::kEBUSY;
  b.resize(size);
  b.waiters.wake_all();
  return size;
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
