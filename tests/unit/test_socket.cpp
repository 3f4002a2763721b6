// AF_UNIX socket pairs: stream and datagram buffers, peeking, truncation, shutdown, a
// closed peer, passing files, and the record locks' range rules.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <memory>

#include "kernel/fs/eventfd.h"
#include "kernel/fs/file_locks.h"
#include "kernel/fs/unix_socket.h"

using namespace kernel;
using fs::UnixSocket;

namespace {

std::span<const u8> bytes(const char* s) {
  return {reinterpret_cast<const u8*>(s), std::strlen(s)};
}

std::string text(const u8* p, u64 n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

}  // namespace

TEST_CASE("a stream pair merges writes and peeks without taking", "[socket]") {
  auto [a, b] = UnixSocket::make_pair(fs::kSOCK_STREAM, abi::kO_NONBLOCK);
  REQUIRE(a->send(bytes("hello "), 0, {}).value() == 6);
  REQUIRE(a->send(bytes("world"), 0, {}).value() == 5);
  u8 buf[32];
  auto peek = b->receive({buf, 3}, fs::kMSG_PEEK).value();
  CHECK(text(buf, peek.copied) == "hel");
  auto got = b->receive(buf, 0).value();
  CHECK(text(buf, got.copied) == "hello world");
  CHECK(b->receive(buf, 0).error() == abi::Errno::kEAGAIN);
  CHECK(b->queued_bytes() == 0);
}

TEST_CASE("stream shutdown and close", "[socket]") {
  auto [a, b] = UnixSocket::make_pair(fs::kSOCK_STREAM, abi::kO_NONBLOCK);
  REQUIRE(b->shutdown(1).ok());  // SHUT_WR
  CHECK((a->poll_ready() & (abi::kPOLLIN | abi::kPOLLRDHUP)) == (abi::kPOLLIN | abi::kPOLLRDHUP));
  CHECK((a->poll_ready() & abi::kPOLLHUP) == 0);
  u8 buf[4];
  CHECK(a->receive(buf, 0).value().copied == 0);
  CHECK(b->send(bytes("x"), 0, {}).error() == abi::Errno::kEPIPE);
  CHECK(a->send(bytes("y"), 0, {}).value() == 1);
  CHECK(b->shutdown(5).error() == abi::Errno::kEINVAL);
  b.reset();
  CHECK((a->poll_ready() & abi::kPOLLHUP) == abi::kPOLLHUP);
  CHECK(a->send(bytes("z"), 0, {}).error() == abi::Errno::kEPIPE);
}

TEST_CASE("a stream peer that closes with unread data resets the connection", "[socket]") {
  auto [a, b] = UnixSocket::make_pair(fs::kSOCK_STREAM, abi::kO_NONBLOCK);
  REQUIRE(a->send(bytes("lost"), 0, {}).ok());
  b.reset();
  u8 buf[4];
  CHECK(a->receive(buf, 0).error() == abi::Errno::kECONNRESET);
  CHECK(a->receive(buf, 0).value().copied == 0);
}

TEST_CASE("datagrams keep boundaries and truncate", "[socket]") {
  auto [a, b] = UnixSocket::make_pair(fs::kSOCK_DGRAM, abi::kO_NONBLOCK);
  REQUIRE(a->send(bytes("one"), 0, {}).value() == 3);
  REQUIRE(a->send(bytes("second"), 0, {}).value() == 6);
  u8 buf[16];
  auto m = b->receive(buf, 0).value();
  CHECK(text(buf, m.copied) == "one");
  m = b->receive({buf, 3}, 0).value();
  CHECK(m.copied == 3);
  CHECK(m.length == 6);
  CHECK(m.msg_flags == fs::kMSG_TRUNC);
  CHECK(b->receive(buf, 0).error() == abi::Errno::kEAGAIN);
  // Too big for the send buffer.
  std::vector<u8> big(fs::kSockBufDefault, 0);
  CHECK(a->send(big, 0, {}).error() == abi::Errno::kEMSGSIZE);
  // A closed datagram peer: refused once, then not connected.
  b.reset();
  CHECK(a->send(bytes("x"), 0, {}).error() == abi::Errno::kECONNREFUSED);
  CHECK(a->send(bytes("x"), 0, {}).error() == abi::Errno::kENOTCONN);
}

TEST_CASE("a sender waits once its unread bytes fill the send buffer", "[socket]") {
  auto [a, b] = UnixSocket::make_pair(fs::kSOCK_DGRAM, 0);
  a->sndbuf = 8192;
  std::vector<u8> msg(4096, 1);
  REQUIRE(a->send(msg, 0, {}).ok());
  CHECK((a->poll_ready() & abi::kPOLLOUT) == 0);  // more than a quarter unread
  REQUIRE(a->send(msg, 0, {}).ok());
  CHECK(a->send(msg, 0, {}).error() == abi::kEWAIT);
  CHECK(a->send(msg, fs::kMSG_DONTWAIT, {}).error() == abi::Errno::kEAGAIN);
  u8 buf[4096];
  REQUIRE(b->receive(buf, 0).ok());
  CHECK(a->send(msg, 0, {}).ok());
}

TEST_CASE("files ride along with a message", "[socket]") {
  auto [a, b] = UnixSocket::make_pair(fs::kSOCK_STREAM, abi::kO_NONBLOCK);
  auto passed = std::make_shared<fs::EventFd>(7, 0);
  REQUIRE(a->send(bytes("fd"), 0, {passed}).ok());
  REQUIRE(a->send(bytes("after"), 0, {}).ok());
  u8 buf[16];
  auto m = b->receive(buf, 0).value();
  // A message that carried files ends the read.
  CHECK(text(buf, m.copied) == "fd");
  REQUIRE(m.files.size() == 1);
  CHECK(m.files[0] == passed);
  m = b->receive(buf, 0).value();
  CHECK(text(buf, m.copied) == "after");
  CHECK(m.files.empty());
}

TEST_CASE("flock ranges as Linux computes them", "[socket][locks]") {
  fs::Flock fl{};
  fl.l_whence = abi::kSEEK_SET;
  fl.l_start = 5;
  fl.l_len = 0;
  CHECK(fs::flock_range(fl, 0, 0).value() == std::pair<u64, u64>{5, fs::kOffsetMax});
  fl.l_len = -3;
  CHECK(fs::flock_range(fl, 0, 0).value() == std::pair<u64, u64>{2, 4});
  fl.l_len = -6;
  CHECK(fs::flock_range(fl, 0, 0).error() == abi::Errno::kEINVAL);
  fl.l_whence = abi::kSEEK_END;
  fl.l_start = -2;
  fl.l_len = 2;
  CHECK(fs::flock_range(fl, 0, 10).value() == std::pair<u64, u64>{8, 9});
  fl.l_whence = abi::kSEEK_CUR;
  fl.l_start = 0;
  fl.l_len = 0x7fffffffffffffff;
  CHECK(fs::flock_range(fl, 2, 0).error() == abi::Errno::kEOVERFLOW);
  fl.l_whence = 7;
  CHECK(fs::flock_range(fl, 0, 0).error() == abi::Errno::kEINVAL);
}

TEST_CASE("record locks conflict, split and merge", "[socket][locks]") {
  fs::FileLocks locks;
  int file = 0, owner_a = 0, owner_b = 0;
  auto lock = [&](const void* owner, std::int16_t type, u64 s, u64 e) {
    locks.apply({&file, owner, false, 1, type, s, e, {}});
  };
  lock(&owner_a, fs::kF_WRLCK, 0, 9);
  CHECK(locks.conflict(&file, &owner_b, fs::kF_RDLCK, 5, 5).has_value());
  CHECK_FALSE(locks.conflict(&file, &owner_a, fs::kF_WRLCK, 5, 5).has_value());
  CHECK_FALSE(locks.conflict(&file, &owner_b, fs::kF_RDLCK, 10, 20).has_value());
  // Unlocking the middle leaves two pieces.
  lock(&owner_a, fs::kF_UNLCK, 3, 5);
  CHECK(locks.locks().size() == 2);
  CHECK_FALSE(locks.conflict(&file, &owner_b, fs::kF_WRLCK, 3, 5).has_value());
  CHECK(locks.conflict(&file, &owner_b, fs::kF_WRLCK, 2, 2)->end == 2);
  // The same type over the gap merges them back into one.
  lock(&owner_a, fs::kF_WRLCK, 3, 5);
  REQUIRE(locks.locks().size() == 1);
  CHECK(locks.locks()[0].start == 0);
  CHECK(locks.locks()[0].end == 9);
  // Read locks share.
  lock(&owner_a, fs::kF_RDLCK, 0, 9);
  lock(&owner_b, fs::kF_RDLCK, 0, 9);
  CHECK(locks.locks().size() == 2);
  locks.release(&owner_a);
  locks.release(&owner_b);
  CHECK(locks.locks().empty());
  // A cycle of waiters is a deadlock.
  locks.set_waiting(&owner_a, &owner_b);
  CHECK(locks.would_deadlock(&owner_b, &owner_a));
  CHECK_FALSE(locks.would_deadlock(&owner_a, &owner_b));
}
