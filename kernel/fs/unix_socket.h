// AF_UNIX sockets inside the guest (net/unix/af_unix.c), as socketpair() makes them: two
// connected ends of type SOCK_STREAM (a byte stream), SOCK_DGRAM or SOCK_SEQPACKET (each
// send one message, read whole or truncated). Each end has a receive queue of messages,
// which may carry open files (SCM_RIGHTS). A sender may have at most its send buffer's
// worth of bytes unread in its peer's queue. shutdown() and closing an end behave as
// Linux: a stream peer sees end of file, and writing to it gives EPIPE.
// A socket() that was never connected answers as an unconnected Linux socket does.
#pragma once

#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "kernel/fs/file.h"
#include "kernel/proc/wait_queue.h"

namespace kernel::fs {

inline constexpr int kAF_UNIX = 1;
inline constexpr int kSOCK_STREAM = 1, kSOCK_DGRAM = 2, kSOCK_SEQPACKET = 5;
inline constexpr u32 kMSG_OOB = 0x1, kMSG_PEEK = 0x2, kMSG_TRUNC = 0x20, kMSG_DONTWAIT = 0x40;
inline constexpr u32 kMSG_EOR = 0x80, kMSG_WAITALL = 0x100, kMSG_NOSIGNAL = 0x4000;
inline constexpr u32 kMSG_CTRUNC = 0x8, kMSG_CMSG_CLOEXEC = 0x40000000;
inline constexpr u8 kRcvShutdown = 1, kSendShutdown = 2, kShutdownMask = 3;
// net.core.wmem_default / rmem_default, and SO_SNDBUF's floor (SOCK_MIN_SNDBUF).
inline constexpr u64 kSockBufDefault = 212992;
inline constexpr u64 kSockMinBuf = 4608;
inline constexpr int kScmMaxFd = 253;  // SCM_MAX_FD

class UnixSocket final : public File {
 public:
  UnixSocket(int type, u64 flags);
  ~UnixSocket() override;

  // socketpair(): two connected ends.
  static std::pair<std::shared_ptr<UnixSocket>, std::shared_ptr<UnixSocket>> make_pair(int type,
                                                                                       u64 flags);

  struct Received {
    u64 copied = 0;  // bytes put in the buffer
    u64 length = 0;  // the message's length (datagrams; MSG_TRUNC returns it)
    u32 msg_flags = 0;
    std::vector<std::shared_ptr<File>> files;  // SCM_RIGHTS
  };
  // sendmsg(): kEWAIT when it must wait (not with MSG_DONTWAIT or O_NONBLOCK). EPIPE
  // from a stream socket also means SIGPIPE unless MSG_NOSIGNAL (the caller sends it).
  Result<u64> send(std::span<const u8> data, u32 flags, std::vector<std::shared_ptr<File>> files);
  Result<Received> receive(std::span<u8> buf, u32 flags);
  // shutdown(): how is SHUT_RD, SHUT_WR or SHUT_RDWR.
  Result<void> shutdown(int how);

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> write(std::span<const u8> buf) override;
  Result<void> stat(abi::Stat& out) override;
  u32 poll_ready() override;
  WaitQueue* poll_queue() override { return m_wait.get(); }
  bool pollable() override { return true; }

  int type() const { return m_type; }
  bool connected() const { return m_connected; }
  // SO_SNDBUF / SO_RCVBUF as setsockopt stores them (twice the value asked, bounded).
  u64 sndbuf = kSockBufDefault;
  u64 rcvbuf = kSockBufDefault;
  // SO_PEERCRED: who made the pair (its pid, uid and gid then).
  struct PeerCred {
    i32 pid = 0;
    u32 uid = ~0u;
    u32 gid = ~0u;
  } peer_cred;
  // The plain integer options (SO_REUSEADDR, SO_KEEPALIVE, SO_PASSCRED ...), as set.
  i32 int_options[64] = {};
  // SO_ERROR: read and cleared.
  int take_error() { return std::exchange(m_error, 0); }
  u64 queued_bytes() const { return m_rx_bytes; }

 private:
  struct Message {
    std::vector<u8> data;
    u64 offset = 0;  // stream: what has been read of it
    std::vector<std::shared_ptr<File>> files;
    std::shared_ptr<u64> sender_unread;  // the sender's count of its unread bytes
  };

  void wake(u32 key) { m_wait->wake_all(key); }
  bool would_block(u32 flags) const {
    return (flags & kMSG_DONTWAIT) || (status_flags & abi::kO_NONBLOCK);
  }
  Result<Received> receive_stream(std::span<u8> buf, u32 flags);
  Result<Received> receive_message(std::span<u8> buf, u32 flags);
  void consumed(Message& m, u64 bytes);

  int m_type;
  u64 m_inode;
  bool m_connected = false;
  std::weak_ptr<UnixSocket> m_peer;
  std::deque<Message> m_rx;
  u64 m_rx_bytes = 0;
  u8 m_shutdown = 0;
  int m_error = 0;
  // Bytes this end sent that its peer has not read yet (sk_wmem_alloc).
  std::shared_ptr<u64> m_unread = std::make_shared<u64>(0);
  // One queue for both ends: any change wakes readers, writers and pollers of either.
  std::shared_ptr<WaitQueue> m_wait = std::make_shared<WaitQueue>();
};

UnixSocket* as_unix_socket(File& file);

}  // namespace kernel::fs
