// socket, socketpair and the socket calls on AF_UNIX sockets (net/socket.c, af_unix.c).
// There is no network: any family but AF_UNIX is EAFNOSUPPORT, and an AF_UNIX socket can
// be connected only by socketpair (connecting to a path finds no listener).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernel/fs/unix_socket.h"
#include "kernel/fs/vfs.h"
#include "kernel/syscalls/fs_args.h"

namespace kernel::syscalls {

using abi::Errno;
using fs::UnixSocket;

namespace {

constexpr int kNProto = 46;   // NPROTO
constexpr int kSockMax = 11;  // SOCK_MAX
constexpr int kSOCK_RAW = 3;
constexpr u64 kSOCK_NONBLOCK = abi::kO_NONBLOCK, kSOCK_CLOEXEC = abi::kO_CLOEXEC;
constexpr int kSOL_SOCKET = 1, kSCM_RIGHTS = 1, kSCM_CREDENTIALS = 2;
constexpr int kSO_TYPE = 3, kSO_ERROR = 4, kSO_SNDBUF = 7, kSO_RCVBUF = 8, kSO_PASSCRED = 16;
constexpr int kSO_PEERCRED = 17, kSO_ACCEPTCONN = 30, kSO_PROTOCOL = 38, kSO_DOMAIN = 39;
constexpr int kSO_SNDBUFFORCE = 32, kSO_RCVBUFFORCE = 33;
constexpr u64 kUioMaxIov = 1024;
constexpr u64 kOptMemMax = 20480;      // net.core.optmem_max
constexpr u64 kMaxRw = 0x7ffff000;     // MAX_RW_COUNT
constexpr u64 kSockaddrStorage = 128;  // sizeof(struct sockaddr_storage)
constexpr u64 kSockaddrUn = 110;       // sizeof(struct sockaddr_un)

struct MsgHdr {
  u64 name;
  u32 namelen;
  u32 pad0;
  u64 iov;
  u64 iovlen;
  u64 control;
  u64 controllen;
  i32 flags;
  u32 pad1;
};
static_assert(sizeof(MsgHdr) == 56);

struct CmsgHdr {
  u64 len;
  i32 level;
  i32 type;
};
constexpr u64 cmsg_align(u64 n) {
  return (n + 7) & ~u64{7};
}

Result<UnixSocket*> socket_of(SyscallContext& ctx, u64 fd, std::shared_ptr<fs::File>& keep) {
  keep = TRY(file_of(ctx, fd));
  UnixSocket* s = fs::as_unix_socket(*keep);
  if (!s) return Errno::kENOTSOCK;
  return s;
}

// Type and flags of socket()/socketpair(): EINVAL / EAFNOSUPPORT / ESOCKTNOSUPPORT /
// EPROTONOSUPPORT, in __sys_socket's and unix_create's order.
Result<int> check_socket_args(int family, u64 type_arg, int protocol, u64& flags) {
  int type = static_cast<int>(type_arg & 0xf);
  flags = type_arg & ~u64{0xf} & 0xffffffff;
  if (flags & ~(kSOCK_CLOEXEC | kSOCK_NONBLOCK)) return Errno::kEINVAL;
  if (family < 0 || family >= kNProto) return Errno::kEAFNOSUPPORT;
  if (type < 0 || type >= kSockMax) return Errno::kEINVAL;
  if (family != fs::kAF_UNIX) return Errno::kEAFNOSUPPORT;
  if (protocol && protocol != fs::kAF_UNIX) return Errno::kEPROTONOSUPPORT;
  if (type == kSOCK_RAW) type = fs::kSOCK_DGRAM;  // unix_create takes SOCK_RAW as datagrams
  if (type != fs::kSOCK_STREAM && type != fs::kSOCK_DGRAM && type != fs::kSOCK_SEQPACKET)
    return Errno::kESOCKTNOSUPPORT;
  return type;
}

// unix_validate_addr + unix_find_other for an address nobody listens at: ENOENT for a path
// that does not exist, ECONNREFUSED for anything else.
Result<void> find_listener(SyscallContext& ctx, u64 addr, u64 len) {
  if (len > kSockaddrStorage) return Errno::kEINVAL;
  char buf[kSockaddrStorage + 1] = {};
  TRY(mm::copy_from_user(memory(ctx), buf, addr, len));
  if (len <= 2 || len > kSockaddrUn) return Errno::kEINVAL;
  u16 family;
  std::memcpy(&family, buf, 2);
  if (family != fs::kAF_UNIX) return Errno::kEINVAL;
  if (buf[2] == 0) return Errno::kECONNREFUSED;  // abstract: no one bound it
  const std::string path(buf + 2, strnlen(buf + 2, len - 2));
  TRY(ctx.kernel.vfs().stat(caller_of(ctx), nullptr, path, fs::FollowSymlinks::Yes));
  return Errno::kECONNREFUSED;
}

struct Iov {
  u64 base;
  u64 len;
};

Result<std::vector<Iov>> import_iovec(SyscallContext& ctx, u64 addr, u64 count, u64& total) {
  if (count > kUioMaxIov) return Errno::kEMSGSIZE;
  std::vector<Iov> iov(count);
  if (count) TRY(mm::copy_from_user(memory(ctx), iov.data(), addr, count * sizeof(Iov)));
  total = 0;
  for (Iov& v : iov) {
    if (static_cast<i64>(v.len) < 0) return Errno::kEINVAL;
    if (v.len > mm::kTaskSize || v.base > mm::kTaskSize - v.len) return Errno::kEFAULT;
    v.len = std::min(v.len, kMaxRw - total);
    total += v.len;
  }
  return iov;
}

// SCM_RIGHTS and SCM_CREDENTIALS of a sendmsg (__scm_send).
Result<std::vector<std::shared_ptr<fs::File>>> files_to_send(SyscallContext& ctx, u64 control,
                                                             u64 controllen) {
  std::vector<std::shared_ptr<fs::File>> files;
  if (!controllen) return files;
  if (controllen > static_cast<u64>(INT32_MAX)) return Errno::kENOBUFS;
  if (controllen > kOptMemMax) return Errno::kENOBUFS;
  std::vector<u8> buf(controllen);
  TRY(mm::copy_from_user(memory(ctx), buf.data(), control, controllen));
  for (u64 off = 0; off + sizeof(CmsgHdr) <= controllen;) {
    CmsgHdr h;
    std::memcpy(&h, buf.data() + off, sizeof h);
    if (h.len < sizeof(CmsgHdr) || h.len > controllen - off) return Errno::kEINVAL;
    if (h.level == kSOL_SOCKET) {
      if (h.type == kSCM_RIGHTS) {
        const u64 n = (h.len - sizeof(CmsgHdr)) / sizeof(i32);
        if (files.size() + n > static_cast<u64>(fs::kScmMaxFd)) return Errno::kEINVAL;
        for (u64 i = 0; i < n; ++i) {
          i32 fd;
          std::memcpy(&fd, buf.data() + off + sizeof(CmsgHdr) + i * sizeof(i32), sizeof fd);
          files.push_back(TRY(ctx.process.fds().get(fd)));
        }
      } else if (h.type == kSCM_CREDENTIALS) {
        if (h.len != sizeof(CmsgHdr) + 12) return Errno::kEINVAL;
        i32 cred[3];
        std::memcpy(cred, buf.data() + off + sizeof(CmsgHdr), sizeof cred);
        // scm_check_creds: one's own pid and ids, unless privileged.
        const Credentials& c = ctx.process.creds();
        if (cred[0] != ctx.process.pid() && !capable(c, cap::kSysAdmin)) return Errno::kEPERM;
        const u32 uid = static_cast<u32>(cred[1]), gid = static_cast<u32>(cred[2]);
        if (uid != c.uid && uid != c.euid && uid != c.suid && !capable(c, cap::kSetuid))
          return Errno::kEPERM;
        if (gid != c.gid && gid != c.egid && gid != c.sgid && !capable(c, cap::kSetgid))
          return Errno::kEPERM;
      } else {
        return Errno::kEINVAL;
      }
    }
    off += cmsg_align(h.len);
  }
  return files;
}

// The send half of send/sendto/sendmsg: gathers the guest's segments and sends them.
Result<i64> do_send(SyscallContext& ctx, UnixSocket& sock, const std::vector<Iov>& iov, u64 total,
                    u32 flags, std::vector<std::shared_ptr<fs::File>> files) {
  const std::span<u8> bounce = ctx.kernel.bounce_buffer();
  std::vector<u8> big;
  std::span<u8> buf = bounce;
  if (total > bounce.size()) {
    // A datagram is sent whole; a stream send this large is cut to what fits.
    if (sock.type() == fs::kSOCK_STREAM) {
      total = bounce.size();
    } else {
      if (total > sock.sndbuf) return Errno::kEMSGSIZE;
      big.resize(total);
      buf = big;
    }
  }
  u64 have = 0;
  for (const Iov& v : iov) {
    const u64 n = std::min(v.len, total - have);
    if (!n) continue;
    TRY(mm::copy_from_user(memory(ctx), buf.data() + have, v.base, n));
    have += n;
  }
  auto sent = sock.send(buf.first(have), flags, std::move(files));
  if (!sent.ok()) {
    if (sent.error() == abi::kEWAIT) return ctx.block({sock.poll_queue()}, 0, abi::kERESTARTSYS);
    // unix_stream_sendmsg's pipe_err: SIGPIPE unless MSG_NOSIGNAL.
    if (sent.error() == Errno::kEPIPE && sock.type() == fs::kSOCK_STREAM &&
        !(flags & fs::kMSG_NOSIGNAL))
      ctx.kernel.send_signal(abi::kSIGPIPE, abi::kSI_USER);
    return sent.error();
  }
  return static_cast<i64>(sent.value());
}

struct RecvOut {
  i64 result;
  u32 msg_flags;
  std::vector<std::shared_ptr<fs::File>> files;
};

// The receive half of recv/recvfrom/recvmsg: receives and scatters into the segments.
Result<RecvOut> do_recv(SyscallContext& ctx, UnixSocket& sock, const std::vector<Iov>& iov,
                        u64 total, u32 flags) {
  const std::span<u8> bounce = ctx.kernel.bounce_buffer();
  std::vector<u8> big;
  std::span<u8> buf = bounce.first(std::min<u64>(total, bounce.size()));
  if (total > bounce.size() && sock.type() != fs::kSOCK_STREAM) {
    big.resize(std::min<u64>(total, sock.sndbuf));
    buf = big;
  }
  auto got = sock.receive(buf, flags);
  if (!got.ok()) {
    if (got.error() == abi::kEWAIT) return ctx.block({sock.poll_queue()}, 0, abi::kERESTARTSYS);
    return got.error();
  }
  UnixSocket::Received r = std::move(got.value());
  u64 put = 0;
  for (const Iov& v : iov) {
    const u64 n = std::min(v.len, r.copied - put);
    if (!n) continue;
    TRY(mm::copy_to_user(memory(ctx), v.base, buf.data() + put, n));
    put += n;
  }
  const bool trunc_len = (flags & fs::kMSG_TRUNC) && sock.type() != fs::kSOCK_STREAM;
  return RecvOut{static_cast<i64>(trunc_len ? r.length : r.copied), r.msg_flags,
                 std::move(r.files)};
}

// scm_detach_fds: installs received files and writes the SCM_RIGHTS header; returns the
// control bytes used.
Result<u64> deliver_files(SyscallContext& ctx, u64 control, u64 controllen,
                          std::vector<std::shared_ptr<fs::File>>& files, u32 flags,
                          u32& msg_flags) {
  if (files.empty()) return u64{0};
  const u64 fit = controllen <= sizeof(CmsgHdr) ? 0 : (controllen - sizeof(CmsgHdr)) / 4;
  const u64 n = std::min<u64>(fit, files.size());
  if (n < files.size()) msg_flags |= fs::kMSG_CTRUNC;
  if (!n) return u64{0};
  const auto cloexec = (flags & fs::kMSG_CMSG_CLOEXEC) ? fs::CloseOnExec::Yes : fs::CloseOnExec::No;
  std::vector<i32> fds;
  for (u64 i = 0; i < n; ++i) {
    auto fd = ctx.process.fds().allocate(files[i], cloexec);
    if (!fd.ok()) {
      msg_flags |= fs::kMSG_CTRUNC;
      break;
    }
    fds.push_back(fd.value());
  }
  if (fds.empty()) return u64{0};
  const CmsgHdr h{sizeof(CmsgHdr) + fds.size() * 4, kSOL_SOCKET, kSCM_RIGHTS};
  TRY(mm::copy_to_user(memory(ctx), control, &h, sizeof h));
  TRY(mm::copy_to_user(memory(ctx), control + sizeof h, fds.data(), fds.size() * 4));
  return std::min<u64>(cmsg_align(h.len), controllen);
}

Result<i64> do_sendto(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  UnixSocket* sock = TRY(socket_of(ctx, args.a[0], keep));
  const u64 len = std::min<u64>(args.a[2], kMaxRw);
  if (len > mm::kTaskSize || args.a[1] > mm::kTaskSize - len) return Errno::kEFAULT;
  const u32 flags = static_cast<u32>(args.a[3]);
  if (args.a[4] && static_cast<u32>(args.a[5])) {
    // An address on a connected socket: a stream says EISCONN; a datagram goes where the
    // address says, and nobody listens there.
    if (sock->type() != fs::kSOCK_DGRAM)
      return sock->connected() ? Errno::kEISCONN : Errno::kEOPNOTSUPP;
    TRY(find_listener(ctx, args.a[4], static_cast<u32>(args.a[5])));
  }
  return do_send(ctx, *sock, {{args.a[1], len}}, len, flags, {});
}

}  // namespace

Result<i64> sys_socket(SyscallContext& ctx, const SyscallArgs& args) {
  u64 flags = 0;
  const int type = TRY(check_socket_args(static_cast<int>(args.a[0]), static_cast<u32>(args.a[1]),
                                         static_cast<int>(args.a[2]), flags));
  auto sock = std::make_shared<UnixSocket>(type, flags);
  const auto cloexec = (flags & kSOCK_CLOEXEC) ? fs::CloseOnExec::Yes : fs::CloseOnExec::No;
  return static_cast<i64>(TRY(ctx.process.fds().allocate(std::move(sock), cloexec)));
}

Result<i64> sys_socketpair(SyscallContext& ctx, const SyscallArgs& args) {
  u64 flags = 0;
  const int type = TRY(check_socket_args(static_cast<int>(args.a[0]), static_cast<u32>(args.a[1]),
                                         static_cast<int>(args.a[2]), flags));
  auto [a, b] = UnixSocket::make_pair(type, flags);
  const Credentials& c = ctx.process.creds();
  a->peer_cred = b->peer_cred = {ctx.process.pid(), c.euid, c.egid};
  const auto cloexec = (flags & kSOCK_CLOEXEC) ? fs::CloseOnExec::Yes : fs::CloseOnExec::No;
  auto& fds = ctx.process.fds();
  const int fa = TRY(fds.allocate(a, cloexec));
  auto fb = fds.allocate(b, cloexec);
  if (!fb.ok()) {
    (void)fds.close(fa);
    return fb.error();
  }
  const i32 pair[2] = {fa, fb.value()};
  if (auto put = mm::copy_to_user(memory(ctx), args.a[3], pair, sizeof pair); !put.ok()) {
    (void)fds.close(pair[0]);
    (void)fds.close(pair[1]);
    return put.error();
  }
  return 0;
}

Result<i64> sys_connect(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  UnixSocket* sock = TRY(socket_of(ctx, args.a[0], keep));
  (void)sock;
  TRY(find_listener(ctx, args.a[1], static_cast<u32>(args.a[2])));
  return 0;
}

Result<i64> sys_sendto(SyscallContext& ctx, const SyscallArgs& args) {
  return do_sendto(ctx, args);
}

Result<i64> sys_recvfrom(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  UnixSocket* sock = TRY(socket_of(ctx, args.a[0], keep));
  const u64 len = std::min<u64>(args.a[2], kMaxRw);
  if (len > mm::kTaskSize || args.a[1] > mm::kTaskSize - len) return Errno::kEFAULT;
  const u32 flags = static_cast<u32>(args.a[3]);
  auto out = TRY(do_recv(ctx, *sock, {{args.a[1], len}}, len, flags));
  // The sender of a socketpair has no address: the length written is 0.
  if (args.a[4] && args.a[5]) {
    const i32 addrlen = TRY(mm::read_user<i32>(memory(ctx), args.a[5]));
    if (addrlen < 0) return Errno::kEINVAL;
    TRY(mm::write_user<i32>(memory(ctx), args.a[5], 0));
  }
  return out.result;
}

Result<i64> sys_sendmsg(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  UnixSocket* sock = TRY(socket_of(ctx, args.a[0], keep));
  const u32 flags = static_cast<u32>(args.a[2]);
  const MsgHdr m = TRY(mm::read_user<MsgHdr>(memory(ctx), args.a[1]));
  if (m.name && m.namelen) {
    if (sock->type() != fs::kSOCK_DGRAM)
      return sock->connected() ? Errno::kEISCONN : Errno::kEOPNOTSUPP;
  }
  u64 total = 0;
  const auto iov = TRY(import_iovec(ctx, m.iov, m.iovlen, total));
  auto files = TRY(files_to_send(ctx, m.control, m.controllen));
  if (m.name && m.namelen && sock->type() == fs::kSOCK_DGRAM)
    TRY(find_listener(ctx, m.name, m.namelen));
  return do_send(ctx, *sock, iov, total, flags, std::move(files));
}

Result<i64> sys_recvmsg(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  UnixSocket* sock = TRY(socket_of(ctx, args.a[0], keep));
  const u32 flags = static_cast<u32>(args.a[2]);
  MsgHdr m = TRY(mm::read_user<MsgHdr>(memory(ctx), args.a[1]));
  u64 total = 0;
  const auto iov = TRY(import_iovec(ctx, m.iov, m.iovlen, total));
  auto out = TRY(do_recv(ctx, *sock, iov, total, flags));
  u32 msg_flags = out.msg_flags;
  u64 used = 0;
  if (m.control) {
    used = TRY(deliver_files(ctx, m.control, m.controllen, out.files, flags, msg_flags));
  } else if (!out.files.empty()) {
    msg_flags |= fs::kMSG_CTRUNC;
  }
  m.controllen = used;
  m.namelen = 0;
  m.flags = static_cast<i32>(msg_flags);
  TRY(mm::write_user(memory(ctx), args.a[1], m));
  return out.result;
}

Result<i64> sys_shutdown(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  UnixSocket* sock = TRY(socket_of(ctx, args.a[0], keep));
  TRY(sock->shutdown(static_cast<int>(args.a[1])));
  return 0;
}

Result<i64> sys_getsockname(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  TRY(socket_of(ctx, args.a[0], keep));
  const i32 len = TRY(mm::read_user<i32>(memory(ctx), args.a[2]));
  if (len < 0) return Errno::kEINVAL;
  // An unbound AF_UNIX socket's name is the family alone.
  const u16 family = fs::kAF_UNIX;
  TRY(mm::copy_to_user(memory(ctx), args.a[1], &family, std::min<u64>(2, static_cast<u64>(len))));
  TRY(mm::write_user<i32>(memory(ctx), args.a[2], 2));
  return 0;
}

Result<i64> sys_getpeername(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  UnixSocket* sock = TRY(socket_of(ctx, args.a[0], keep));
  if (!sock->connected()) return Errno::kENOTCONN;
  return sys_getsockname(ctx, args);
}

Result<i64> sys_getsockopt(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  UnixSocket* sock = TRY(socket_of(ctx, args.a[0], keep));
  const int level = static_cast<int>(args.a[1]);
  const int name = static_cast<int>(args.a[2]);
  if (level != kSOL_SOCKET) return Errno::kEOPNOTSUPP;
  i32 len = TRY(mm::read_user<i32>(memory(ctx), args.a[4]));
  if (len < 0) return Errno::kEINVAL;
  if (name == kSO_PEERCRED) {
    const UnixSocket::PeerCred pc = sock->peer_cred;
    const u64 n = std::min<u64>(static_cast<u64>(len), sizeof pc);
    TRY(mm::copy_to_user(memory(ctx), args.a[3], &pc, n));
    TRY(mm::write_user<i32>(memory(ctx), args.a[4], static_cast<i32>(n)));
    return 0;
  }
  i32 v = 0;
  switch (name) {
    case kSO_TYPE:
      v = sock->type();
      break;
    case kSO_ERROR:
      v = sock->take_error();
      break;
    case kSO_SNDBUF:
      v = static_cast<i32>(sock->sndbuf);
      break;
    case kSO_RCVBUF:
      v = static_cast<i32>(sock->rcvbuf);
      break;
    case kSO_DOMAIN:
      v = fs::kAF_UNIX;
      break;
    case kSO_PROTOCOL:
    case kSO_ACCEPTCONN:
      v = 0;
      break;
    case 2:
    case 5:
    case 6:
    case 9:
    case 10:
    case 12:
    case 15:
    case kSO_PASSCRED:
    case 18:
      v = sock->int_options[name];
      if (name == 18 && !v) v = 1;  // SO_RCVLOWAT starts at 1
      break;
    default:
      return Errno::kENOPROTOOPT;
  }
  const u64 n = std::min<u64>(static_cast<u64>(len), sizeof v);
  TRY(mm::copy_to_user(memory(ctx), args.a[3], &v, n));
  TRY(mm::write_user<i32>(memory(ctx), args.a[4], static_cast<i32>(n)));
  return 0;
}

Result<i64> sys_setsockopt(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  UnixSocket* sock = TRY(socket_of(ctx, args.a[0], keep));
  const int level = static_cast<int>(args.a[1]);
  const int name = static_cast<int>(args.a[2]);
  const i32 optlen = static_cast<i32>(args.a[4]);
  if (optlen < 0) return Errno::kEINVAL;
  if (level != kSOL_SOCKET) return Errno::kEOPNOTSUPP;
  if (optlen < static_cast<i32>(sizeof(i32))) return Errno::kEINVAL;
  const i32 v = TRY(mm::read_user<i32>(memory(ctx), args.a[3]));
  const bool privileged = capable(ctx.process.creds(), cap::kNetAdmin);
  switch (name) {
    case kSO_SNDBUF:
    case kSO_SNDBUFFORCE:
    case kSO_RCVBUF:
    case kSO_RCVBUFFORCE: {
      const bool force = name == kSO_SNDBUFFORCE || name == kSO_RCVBUFFORCE;
      if (force && !privileged) return Errno::kEPERM;
      // sock_setsockopt: bounded by wmem_max/rmem_max (unless forced), doubled for the
      // bookkeeping overhead, and at least SOCK_MIN_SNDBUF.
      u64 want = static_cast<u32>(v);
      if (!force) want = std::min<u64>(want, fs::kSockBufDefault);
      want = std::min<u64>(want, u64{INT32_MAX} / 2);
      const u64 size = std::max<u64>(want * 2, fs::kSockMinBuf);
      (name == kSO_SNDBUF || name == kSO_SNDBUFFORCE ? sock->sndbuf : sock->rcvbuf) = size;
      return 0;
    }
    case 2:
    case 5:
    case 6:
    case 9:
    case 10:
    case 15:
    case kSO_PASSCRED:
      sock->int_options[name] = v ? 1 : 0;
      return 0;
    case 12:  // SO_PRIORITY: 0-6 for anyone, more with CAP_NET_ADMIN
      if ((v < 0 || v > 6) && !privileged) return Errno::kEPERM;
      sock->int_options[name] = v;
      return 0;
    case 18:  // SO_RCVLOWAT
      sock->int_options[name] = v < 0 ? INT32_MAX : (v ? v : 1);
      return 0;
    default:
      return Errno::kENOPROTOOPT;
  }
}

}  // namespace kernel::syscalls
