// The pieces poll, epoll and the event files are made of: readiness rules of pipes and
// eventfds, epoll's level / edge / one-shot bookkeeping, wake-up generations, pipe sizes
// and packet mode.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <memory>

#include "kernel/fs/epoll.h"
#include "kernel/fs/eventfd.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/timerfd.h"
#include "kernel/proc/wait_queue.h"

using namespace kernel;

namespace {

std::span<const u8> bytes(const char* s) {
  return {reinterpret_cast<const u8*>(s), std::strlen(s)};
}

u64 read_u64(fs::File& f) {
  u8 buf[8];
  auto r = f.read(buf);
  REQUIRE(r.ok());
  REQUIRE(r.value() == 8);
  u64 v;
  std::memcpy(&v, buf, 8);
  return v;
}

Result<u64> write_u64(fs::File& f, u64 v) {
  u8 buf[8];
  std::memcpy(buf, &v, 8);
  return f.write(buf);
}

}  // namespace

TEST_CASE("a wait queue counts wake-ups by the class of event", "[poll]") {
  WaitQueue q;
  CHECK(q.generation(abi::kPOLLIN) == 0);
  q.wake_all(abi::kPOLLIN);
  CHECK(q.generation(abi::kPOLLIN) == 1);
  CHECK(q.generation(abi::kPOLLOUT) == 0);
  q.wake_all(abi::kPOLLOUT);
  CHECK(q.generation(abi::kPOLLIN) == 1);
  CHECK(q.generation(abi::kPOLLOUT) == 1);
  q.wake_all(abi::kPOLLHUP);  // a hang-up concerns both
  CHECK(q.generation(abi::kPOLLIN) == 2);
  CHECK(q.generation(abi::kPOLLOUT) == 2);
  q.wake_all();
  CHECK(q.generation(abi::kPOLLIN | abi::kPOLLOUT) == 6);
}

TEST_CASE("pipe readiness follows data, room and the other end", "[poll]") {
  auto [r, w] = fs::make_pipe(0);
  CHECK(r->poll_ready() == 0);
  CHECK(w->poll_ready() == (abi::kPOLLOUT | abi::kPOLLWRNORM));
  REQUIRE(w->write(bytes("abc")).value() == 3);
  CHECK(r->poll_ready() == (abi::kPOLLIN | abi::kPOLLRDNORM));
  w.reset();
  CHECK(r->poll_ready() == (abi::kPOLLIN | abi::kPOLLRDNORM | abi::kPOLLHUP));
  u8 buf[8];
  CHECK(r->read(buf).value() == 3);
  CHECK(r->poll_ready() == abi::kPOLLHUP);
  CHECK(r->read(buf).value() == 0);
}

TEST_CASE("pipe capacity: rounding, EBUSY, EPERM and the write limit", "[poll]") {
  auto [r, w] = fs::make_pipe(abi::kO_NONBLOCK);
  CHECK(r->capacity() == 65536);
  CHECK(r->set_capacity(5000, false).value() == 8192);
  CHECK(r->set_capacity(0, false).value() == 4096);
  CHECK(r->set_capacity((u64{1} << 31) + 1, true).error() == abi::Errno::kEINVAL);
  CHECK(r->set_capacity(2 << 20, false).error() == abi::Errno::kEPERM);
  CHECK(r->set_capacity(2 << 20, true).value() == (2u << 20));
  CHECK(r->set_capacity(4096, false).value() == 4096);
  std::vector<u8> big(10000, 'x');
  CHECK(w->write(big).value() == 4096);
  CHECK(w->write(big).error() == abi::Errno::kEAGAIN);
  CHECK(w->poll_ready() == 0);
  // Content that would not fit a smaller pipe refuses the resize.
  CHECK(r->set_capacity(8192, false).value() == 8192);
  CHECK(w->write(big).value() == 4096);
  CHECK(r->set_capacity(4096, false).error() == abi::Errno::kEBUSY);
}

TEST_CASE("a small pipe write is all or nothing", "[poll]") {
  auto [r, w] = fs::make_pipe(abi::kO_NONBLOCK);
  REQUIRE(r->set_capacity(4096, false).ok());
  std::vector<u8> some(4000, 'a');
  CHECK(w->write(some).value() == 4000);
  std::vector<u8> more(200, 'b');
  CHECK(w->write(more).error() == abi::Errno::kEAGAIN);  // 96 bytes free, 200 atomic
}

TEST_CASE("packet-mode pipes keep message boundaries", "[poll]") {
  auto [r, w] = fs::make_pipe(abi::kO_DIRECT);
  REQUIRE(w->write(bytes("abc")).value() == 3);
  REQUIRE(w->write(bytes("defgh")).value() == 5);
  u8 buf[16];
  CHECK(r->read(buf).value() == 3);
  CHECK(std::memcmp(buf, "abc", 3) == 0);
  CHECK(r->read({buf, 2}).value() == 2);
  CHECK(std::memcmp(buf, "de", 2) == 0);
  // The rest of the packet was dropped.
  r->status_flags |= abi::kO_NONBLOCK;
  CHECK(r->read(buf).error() == abi::Errno::kEAGAIN);
}

TEST_CASE("eventfd counter rules", "[eventfd]") {
  fs::EventFd e(0, abi::kO_NONBLOCK);
  u8 small[4];
  CHECK(e.read(small).error() == abi::Errno::kEINVAL);
  CHECK(e.write(std::span<const u8>(small, 4)).error() == abi::Errno::kEINVAL);
  u8 buf[8];
  CHECK(e.read(buf).error() == abi::Errno::kEAGAIN);
  CHECK(e.poll_ready() == (abi::kPOLLOUT | abi::kPOLLWRNORM));
  CHECK(write_u64(e, ~u64{0}).error() == abi::Errno::kEINVAL);
  CHECK(write_u64(e, fs::kEventfdMax).value() == 8);
  CHECK(e.poll_ready() == (abi::kPOLLIN | abi::kPOLLRDNORM));
  CHECK(write_u64(e, 1).error() == abi::Errno::kEAGAIN);
  CHECK(write_u64(e, 0).value() == 8);  // adding nothing always fits
  CHECK(read_u64(e) == fs::kEventfdMax);
  CHECK(e.count() == 0);

  fs::EventFd blocking(0, 0);
  CHECK(blocking.read(buf).error() == abi::kEWAIT);
  REQUIRE(write_u64(blocking, fs::kEventfdMax).ok());
  CHECK(write_u64(blocking, 5).error() == abi::kEWAIT);
}

TEST_CASE("eventfd semaphore mode reads one at a time", "[eventfd]") {
  fs::EventFd e(3, fs::kEFD_SEMAPHORE | abi::kO_NONBLOCK);
  CHECK(read_u64(e) == 1);
  CHECK(read_u64(e) == 1);
  CHECK(read_u64(e) == 1);
  u8 buf[8];
  CHECK(e.read(buf).error() == abi::Errno::kEAGAIN);
}

TEST_CASE("epoll level-triggered items report while ready", "[epoll]") {
  fs::Epoll ep;
  auto [r, w] = fs::make_pipe(0);
  REQUIRE(ep.add(3, r, fs::kEPOLLIN, 42).ok());
  fs::EpollEvent out[4];
  CHECK(ep.collect(out) == 0);
  CHECK(ep.poll_ready() == 0);
  REQUIRE(w->write(bytes("x")).ok());
  CHECK(ep.poll_ready() == (abi::kPOLLIN | abi::kPOLLRDNORM));
  REQUIRE(ep.collect(out) == 1);
  CHECK(out[0].events == fs::kEPOLLIN);
  CHECK(out[0].data == 42);
  CHECK(ep.collect(out) == 1);
  CHECK(ep.add(3, r, fs::kEPOLLIN, 1).error() == abi::Errno::kEEXIST);
  CHECK(ep.modify(4, *r, fs::kEPOLLIN, 1).error() == abi::Errno::kENOENT);
  CHECK(ep.remove(3, *r).ok());
  CHECK(ep.remove(3, *r).error() == abi::Errno::kENOENT);
  CHECK(ep.collect(out) == 0);
}

TEST_CASE("epoll edge-triggered items report once per change", "[epoll]") {
  fs::Epoll ep;
  auto [r, w] = fs::make_pipe(0);
  REQUIRE(ep.add(3, r, fs::kEPOLLIN | fs::kEPOLLET, 7).ok());
  fs::EpollEvent out[4];
  CHECK(ep.collect(out) == 0);
  REQUIRE(w->write(bytes("ab")).ok());
  CHECK(ep.collect(out) == 1);
  CHECK(ep.collect(out) == 0);  // still readable, but nothing new
  u8 c;
  REQUIRE(r->read({&c, 1}).value() == 1);
  CHECK(ep.collect(out) == 0);  // a read is no new input
  REQUIRE(w->write(bytes("c")).ok());
  CHECK(ep.collect(out) == 1);
  // MOD re-arms an item that is ready now.
  REQUIRE(ep.modify(3, *r, fs::kEPOLLIN | fs::kEPOLLET, 8).ok());
  REQUIRE(ep.collect(out) == 1);
  CHECK(out[0].data == 8);
}

TEST_CASE("epoll one-shot items disarm until modified", "[epoll]") {
  fs::Epoll ep;
  auto e = std::make_shared<fs::EventFd>(1, 0);
  REQUIRE(ep.add(5, e, fs::kEPOLLIN | fs::kEPOLLONESHOT, 9).ok());
  fs::EpollEvent out[2];
  CHECK(ep.collect(out) == 1);
  CHECK(ep.collect(out) == 0);
  REQUIRE(ep.modify(5, *e, fs::kEPOLLIN | fs::kEPOLLONESHOT, 10).ok());
  REQUIRE(ep.collect(out) == 1);
  CHECK(out[0].data == 10);
}

TEST_CASE("epoll always reports errors and hang-ups, and drops closed files", "[epoll]") {
  fs::Epoll ep;
  auto [r, w] = fs::make_pipe(0);
  REQUIRE(ep.add(4, w, fs::kEPOLLOUT, 1).ok());
  r.reset();
  fs::EpollEvent out[2];
  REQUIRE(ep.collect(out) == 1);
  CHECK(out[0].events == (fs::kEPOLLOUT | fs::kEPOLLERR));
  CHECK(ep.size() == 1);
  w.reset();
  CHECK(ep.size() == 0);
  CHECK(ep.collect(out) == 0);
}

TEST_CASE("epoll refuses loops and deep nesting", "[epoll]") {
  auto a = std::make_shared<fs::Epoll>();
  auto b = std::make_shared<fs::Epoll>();
  REQUIRE(a->add(1, b, fs::kEPOLLIN, 0).ok());
  CHECK(b->add(2, a, fs::kEPOLLIN, 0).error() == abi::Errno::kELOOP);
  auto c = std::make_shared<fs::Epoll>();
  auto d = std::make_shared<fs::Epoll>();
  auto e = std::make_shared<fs::Epoll>();
  REQUIRE(c->add(1, a, fs::kEPOLLIN, 0).ok());  // c > a > b
  REQUIRE(d->add(1, c, fs::kEPOLLIN, 0).ok());  // d > c > a > b
  CHECK(e->add(1, d, fs::kEPOLLIN, 0).error() == abi::Errno::kELOOP);
}

TEST_CASE("a level-triggered item that reported goes to the back", "[epoll]") {
  fs::Epoll ep;
  auto e1 = std::make_shared<fs::EventFd>(1, 0);
  auto e2 = std::make_shared<fs::EventFd>(1, 0);
  REQUIRE(ep.add(1, e1, fs::kEPOLLIN, 1).ok());
  REQUIRE(ep.add(2, e2, fs::kEPOLLIN, 2).ok());
  fs::EpollEvent out[1];
  REQUIRE(ep.collect(out) == 1);
  CHECK(out[0].data == 1);
  REQUIRE(ep.collect(out) == 1);
  CHECK(out[0].data == 2);
  REQUIRE(ep.collect(out) == 1);
  CHECK(out[0].data == 1);
}

TEST_CASE("a timerfd counts expirations from the clock", "[poll]") {
  fs::TimerFd t(abi::kCLOCK_MONOTONIC, abi::kO_NONBLOCK);
  u8 buf[8];
  CHECK(t.read(buf).error() == abi::Errno::kEAGAIN);
  CHECK(t.poll_deadline_ns() == 0);
  // An absolute expiry long past with a 1 ns interval: many expirations at once.
  fs::Itimerspec spec{{0, 1000}, {0, 1}};
  t.set(fs::kTFD_TIMER_ABSTIME, spec);
  CHECK(t.poll_ready() == (abi::kPOLLIN | abi::kPOLLRDNORM));
  CHECK(read_u64(t) > 1000);
  fs::Itimerspec far{{0, 0}, {1000, 0}};
  const fs::Itimerspec old = t.set(0, far);
  CHECK(old.interval.tv_nsec == 1000);
  CHECK(t.poll_ready() == 0);
  CHECK(t.poll_deadline_ns() > 0);
  CHECK(t.get().value.tv_sec >= 999);
}
