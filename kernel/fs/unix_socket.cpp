#include "kernel/fs/unix_socket.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace kernel::fs {

namespace {

u64 next_socket_inode() {
  static u64 next = 20000;
  return next++;
}

constexpr u64 kErrConnReset = 104;

}  // namespace

UnixSocket::UnixSocket(int type, u64 flags) : m_type(type), m_inode(next_socket_inode()) {
  status_flags = abi::kO_RDWR | (flags & abi::kO_NONBLOCK);
}

UnixSocket::~UnixSocket() {
  // unix_release_sock: a connected stream or seqpacket peer is shut down both ways, with
  // ECONNRESET pending when this end left data unread.
  if (auto peer = m_peer.lock()) {
    if (m_type != kSOCK_DGRAM) {
      peer->m_shutdown = kShutdownMask;
      if (!m_rx.empty()) peer->m_error = static_cast<int>(kErrConnReset);
    }
  }
  for (Message& m : m_rx) *m.sender_unread -= m.data.size() - m.offset;
  m_wait->wake_all();
}

std::pair<std::shared_ptr<UnixSocket>, std::shared_ptr<UnixSocket>> UnixSocket::make_pair(
    int type, u64 flags) {
  auto a = std::make_shared<UnixSocket>(type, flags);
  auto b = std::make_shared<UnixSocket>(type, flags);
  b->m_wait = a->m_wait;
  a->m_peer = b;
  b->m_peer = a;
  a->m_connected = b->m_connected = true;
  return {a, b};
}

UnixSocket* as_unix_socket(File& file) {
  return dynamic_cast<UnixSocket*>(&file);
}

Result<u64> UnixSocket::send(std::span<const u8> data, u32 flags,
                             std::vector<std::shared_ptr<File>> files) {
  if (flags & kMSG_OOB) return abi::Errno::kEOPNOTSUPP;
  if (m_type == kSOCK_STREAM) {
    auto peer = m_peer.lock();
    if (!m_connected) return abi::Errno::kENOTCONN;
    if (m_shutdown & kSendShutdown) return abi::Errno::kEPIPE;
    if (!peer || (peer->m_shutdown & kRcvShutdown)) return abi::Errno::kEPIPE;
    // unix_stream_sendmsg: chunks of at most half the send buffer, each waiting for room.
    const u64 chunk_max = sndbuf / 2 - 64;
    u64 done = 0;
    while (done < data.size() || (data.empty() && done == 0 && !files.empty())) {
      if (*m_unread >= sndbuf) break;
      const u64 n = std::min<u64>(data.size() - done, chunk_max);
      Message m;
      m.data.assign(data.begin() + static_cast<i64>(done),
                    data.begin() + static_cast<i64>(done + n));
      if (done == 0) m.files = std::move(files);
      m.sender_unread = m_unread;
      *m_unread += n;
      peer->m_rx_bytes += n;
      peer->m_rx.push_back(std::move(m));
      done += n;
      if (n == 0) break;
    }
    if (done == 0 && !data.empty()) return would_block(flags) ? abi::Errno::kEAGAIN : abi::kEWAIT;
    wake(abi::kPOLLIN);
    return done;
  }
  // SOCK_DGRAM and SOCK_SEQPACKET (unix_dgram_sendmsg).
  if (m_type == kSOCK_SEQPACKET && !m_connected) return abi::Errno::kENOTCONN;
  if (!m_connected) return abi::Errno::kENOTCONN;
  if (data.size() > sndbuf - 32) return abi::Errno::kEMSGSIZE;
  if (m_shutdown & kSendShutdown) return abi::Errno::kEPIPE;
  auto peer = m_peer.lock();
  if (!peer) {
    if (m_type == kSOCK_SEQPACKET) return abi::Errno::kEPIPE;
    // The first send after the peer went finds it dead and disconnects.
    m_connected = false;
    return abi::Errno::kECONNREFUSED;
  }
  if (peer->m_shutdown & kRcvShutdown) return abi::Errno::kEPIPE;
  if (*m_unread >= sndbuf) return would_block(flags) ? abi::Errno::kEAGAIN : abi::kEWAIT;
  Message m;
  m.data.assign(data.begin(), data.end());
  m.files = std::move(files);
  m.sender_unread = m_unread;
  *m_unread += data.size();
  peer->m_rx_bytes += data.size();
  peer->m_rx.push_back(std::move(m));
  wake(abi::kPOLLIN);
  return data.size();
}

void UnixSocket::consumed(Message& m, u64 bytes) {
  m.offset += bytes;
  m_rx_bytes -= bytes;
  *m.sender_unread -= bytes;
}

Result<UnixSocket::Received> UnixSocket::receive_stream(std::span<u8> buf, u32 flags) {
  if (!m_connected) return abi::Errno::kEINVAL;
  Received r;
  const bool peek = flags & kMSG_PEEK;
  auto peer = m_peer.lock();
  const bool eof = (m_shutdown & kRcvShutdown) || !peer;
  if (m_rx.empty()) {
    if (int e = take_error()) return static_cast<abi::Errno>(e);
    if (eof || buf.empty()) return r;
    return would_block(flags) ? abi::Errno::kEAGAIN : abi::kEWAIT;
  }
  // MSG_WAITALL: wait until the whole request is there, the stream ends, or the sender
  // could not send more anyway.
  if ((flags & kMSG_WAITALL) && !peek && !would_block(flags) && m_rx_bytes < buf.size() && !eof &&
      peer && *peer->m_unread < peer->sndbuf)
    return abi::kEWAIT;
  for (auto it = m_rx.begin(); it != m_rx.end() && r.copied < buf.size();) {
    Message& m = *it;
    const u64 n = std::min<u64>(m.data.size() - m.offset, buf.size() - r.copied);
    if (n) std::memcpy(buf.data() + r.copied, m.data.data() + m.offset, n);
    r.copied += n;
    const bool had_files = !m.files.empty();
    if (had_files) r.files = peek ? m.files : std::move(m.files);
    if (peek) {
      ++it;
    } else {
      consumed(m, n);
      if (m.offset == m.data.size()) {
        it = m_rx.erase(it);
      } else {
        ++it;
      }
    }
    // A message that carried files ends the read (unix_stream_read_generic).
    if (had_files) break;
  }
  r.length = r.copied;
  if (!peek) wake(abi::kPOLLOUT);
  return r;
}

Result<UnixSocket::Received> UnixSocket::receive_message(std::span<u8> buf, u32 flags) {
  if (m_type == kSOCK_SEQPACKET && !m_connected) return abi::Errno::kENOTCONN;
  Received r;
  if (m_rx.empty()) {
    if (int e = take_error()) return static_cast<abi::Errno>(e);
    if (m_shutdown & kRcvShutdown) return r;
    return would_block(flags) ? abi::Errno::kEAGAIN : abi::kEWAIT;
  }
  Message& m = m_rx.front();
  r.length = m.data.size();
  r.copied = std::min<u64>(buf.size(), m.data.size());
  // An empty message has no bytes (and its vector no storage) to copy.
  if (r.copied) std::memcpy(buf.data(), m.data.data(), r.copied);
  if (r.copied < m.data.size()) r.msg_flags |= kMSG_TRUNC;
  if (flags & kMSG_PEEK) {
    r.files = m.files;
    return r;
  }
  r.files = std::move(m.files);
  consumed(m, m.data.size());
  m_rx.pop_front();
  wake(abi::kPOLLOUT);
  return r;
}

Result<UnixSocket::Received> UnixSocket::receive(std::span<u8> buf, u32 flags) {
  if (flags & kMSG_OOB) return abi::Errno::kEOPNOTSUPP;
  if (m_type == kSOCK_STREAM) return receive_stream(buf, flags);
  return receive_message(buf, flags);
}

Result<void> UnixSocket::shutdown(int how) {
  if (how < 0 || how > 2) return abi::Errno::kEINVAL;
  const u8 mode = static_cast<u8>(how + 1);
  m_shutdown |= mode;
  if (m_type != kSOCK_DGRAM) {
    if (auto peer = m_peer.lock()) {
      u8 peer_mode = 0;
      if (mode & kRcvShutdown) peer_mode |= kSendShutdown;
      if (mode & kSendShutdown) peer_mode |= kRcvShutdown;
      peer->m_shutdown |= peer_mode;
    }
  }
  wake(abi::kPOLLHUP | abi::kPOLLIN | abi::kPOLLOUT);
  return {};
}

Result<u64> UnixSocket::read(std::span<u8> buf) {
  auto r = TRY(receive(buf, 0));
  return r.copied;
}

Result<u64> UnixSocket::write(std::span<const u8> buf) {
  return send(buf, 0, {});
}

u32 UnixSocket::poll_ready() {
  u32 mask = 0;
  if (m_error) mask |= abi::kPOLLERR;
  if (m_shutdown == kShutdownMask) mask |= abi::kPOLLHUP;
  if (m_shutdown & kRcvShutdown) mask |= abi::kPOLLRDHUP | abi::kPOLLIN | abi::kPOLLRDNORM;
  if (!m_rx.empty()) mask |= abi::kPOLLIN | abi::kPOLLRDNORM;
  // A connection-oriented socket never connected is closed: POLLHUP.
  if (m_type != kSOCK_DGRAM && !m_connected) mask |= abi::kPOLLHUP;
  // unix_writable: the unread bytes sent are at most a quarter of the send buffer.
  if (*m_unread * 4 <= sndbuf) mask |= abi::kPOLLOUT | abi::kPOLLWRNORM | abi::kPOLLWRBAND;
  return mask;
}

Result<void> UnixSocket::stat(abi::Stat& out) {
  out = {};
  out.st_dev = 0x8;  // sockfs
  out.st_ino = m_inode;
  out.st_nlink = 1;
  out.st_mode = 0140777;  // S_IFSOCK | 0777
  out.st_uid = getuid();
  out.st_gid = getgid();
  out.st_blksize = 4096;
  return {};
}

}  // namespace kernel::fs
