// The kernel timer list (ordering, periodic timers and their overruns), the pending-signal
// sets' queue accounting, and RLIMIT_SIGPENDING and POSIX timers through the syscalls.
#include <time.h>

#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_timers.h"
#include "kernel/proc/sig_pending.h"
#include "kernel/proc/thread.h"
#include "kernel/proc/timers.h"

using namespace kernel;

namespace {

// Records each expiry: its name and the overruns it was told.
struct Recorder {
  std::vector<std::string> fired;
};

class NamedTimer final : public KernelTimer {
 public:
  NamedTimer(Recorder& r, std::string name) : m_r(r), m_name(std::move(name)) {}
  u64 last_overruns = 0;

 protected:
  void expired(u64 overruns) override {
    last_overruns = overruns;
    m_r.fired.push_back(m_name + ":" + std::to_string(overruns));
  }

 private:
  Recorder& m_r;
  std::string m_name;
};

abi::Siginfo info_of(int sig, int code, u64 value = 0) {
  abi::Siginfo i{};
  i.si_signo = sig;
  i.si_code = code;
  i.fields.rt.value = value;
  return i;
}

constexpr i64 err(abi::Errno e) {
  return -static_cast<i64>(e);
}

}  // namespace

TEST_CASE("timers fire in deadline order, equal deadlines in arming order", "[timers]") {
  Recorder r;
  TimerList list;
  NamedTimer a(r, "a"), b(r, "b"), c(r, "c"), d(r, "d");
  list.arm(a, 30, 0);
  list.arm(b, 10, 0);
  list.arm(c, 20, 0);
  list.arm(d, 20, 0);
  CHECK(list.nearest() == 10);
  CHECK(list.expire(9) == 0);
  CHECK(list.expire(25) == 3);
  CHECK(r.fired == std::vector<std::string>{"b:0", "c:0", "d:0"});
  CHECK(!b.armed());
  CHECK(b.deadline_ns() == 0);
  CHECK(list.nearest() == 30);
  CHECK(list.size() == 1);
}

TEST_CASE("re-arming moves a timer, disarming and destruction take it off", "[timers]") {
  Recorder r;
  TimerList list;
  NamedTimer a(r, "a");
  list.arm(a, 50, 0);
  list.arm(a, 5, 0);
  CHECK(list.size() == 1);
  CHECK(list.nearest() == 5);
  list.disarm(a);
  CHECK(list.nearest() == 0);
  {
    NamedTimer temp(r, "temp");
    list.arm(temp, 7, 0);
    CHECK(list.size() == 1);
  }
  CHECK(list.size() == 0);
  CHECK(list.expire(100) == 0);
  CHECK(r.fired.empty());
}

TEST_CASE("a periodic timer moves past now and counts the intervals it missed", "[timers]") {
  Recorder r;
  TimerList list;
  NamedTimer p(r, "p");
  list.arm(p, 100, 10);
  CHECK(list.expire(100) == 1);  // exactly on time: no overrun
  CHECK(p.deadline_ns() == 110);
  CHECK(list.expire(135) == 1);  // 110, 120 and 130 passed: fired once, two overruns
  CHECK(p.last_overruns == 2);
  CHECK(p.deadline_ns() == 140);
  CHECK(p.interval_ns() == 10);
  CHECK(r.fired == std::vector<std::string>{"p:0", "p:2"});
  CHECK(intervals_elapsed(100, 10, 99) == 0);
  CHECK(intervals_elapsed(100, 10, 100) == 1);
  CHECK(intervals_elapsed(100, 10, 129) == 3);
  CHECK(intervals_elapsed(100, 0, 500) == 1);
}

TEST_CASE("a timer may disarm itself or arm another while firing", "[timers]") {
  Recorder r;
  TimerList list;
  struct Chain final : KernelTimer {
    TimerList* list = nullptr;
    KernelTimer* next = nullptr;
    int fired = 0;
    void expired(u64) override {
      ++fired;
      list->disarm(*this);
      if (next) list->arm(*next, 1, 0);  // already due: fires in the same pass
    }
  };
  NamedTimer tail(r, "tail");
  Chain head;
  head.list = &list;
  head.next = &tail;
  list.arm(head, 10, 5);
  CHECK(list.expire(10) == 2);
  CHECK(head.fired == 1);
  CHECK(!head.armed());
  CHECK(r.fired == std::vector<std::string>{"tail:0"});
}

TEST_CASE("queued siginfo are charged to a count until taken or discarded", "[timers]") {
  u64 count = 0;
  {
    SigPending pending;
    CHECK(pending.add(info_of(34, abi::kSI_QUEUE, 1), &count));
    CHECK(pending.add(info_of(34, abi::kSI_QUEUE, 2), &count));
    CHECK(pending.add(info_of(10, abi::kSI_QUEUE, 3), &count));
    CHECK_FALSE(pending.add(info_of(10, abi::kSI_USER), &count));  // standard: one pending
    CHECK(count == 3);
    // Real-time signals come out oldest first, with their values.
    CHECK(pending.take(34).fields.rt.value == 1);
    CHECK(pending.has(34));
    CHECK(pending.take(34).fields.rt.value == 2);
    CHECK_FALSE(pending.has(34));
    CHECK(count == 1);
    // Marked without a siginfo: taken as SI_USER from nobody.
    pending.mark(12);
    const abi::Siginfo lost = pending.take(12);
    CHECK(lost.si_signo == 12);
    CHECK(lost.si_code == abi::kSI_USER);
    CHECK(lost.fields.kill.pid == 0);
    CHECK(pending.add(info_of(40, abi::kSI_QUEUE), &count));
    pending.discard(sigbit(10));
    CHECK(count == 1);
  }
  CHECK(count == 0);  // the set went with one still queued
}

TEST_CASE("RLIMIT_SIGPENDING: sigqueue fails with EAGAIN, kill still sends", "[timers]") {
  test::BootedKernel k;
  if (!k.start()) SKIP("no " << test::BootedKernel::kProgram);
  Process& p = k.kernel.current();
  Thread& t = k.kernel.current_thread();
  const i64 page = k.call(9, 0, 4096, 3, 0x22, ~u64{0}, 0);
  REQUIRE(page > 0);
  const u64 buf = static_cast<u64>(page);
  constexpr int kRt = 34, kUsr1 = 10;
  t.signal_mask() = sigbit(kRt) | sigbit(kRt + 1) | sigbit(kUsr1);  // all stay pending
  p.rlimits()[abi::kRLIMIT_SIGPENDING] = {2, 2};
  abi::Siginfo si = info_of(kRt, abi::kSI_QUEUE, 77);
  REQUIRE(mm::write_user(p.address_space(), buf, si).ok());
  const u64 pid = static_cast<u64>(p.pid());
  CHECK(k.call(129, pid, kRt, buf) == 0);
  CHECK(k.call(129, pid, kRt + 1, buf) == 0);
  CHECK(k.kernel.sigqueue_count(p.creds().uid) == 2);
  CHECK(k.call(129, pid, kRt, buf) == err(abi::Errno::kEAGAIN));
  // kill's standard signal goes over the limit, with its siginfo.
  CHECK(k.call(62, pid, kUsr1) == 0);
  CHECK(k.kernel.sigqueue_count(p.creds().uid) == 3);
  // rt_sigtimedwait takes them lowest first: the user's values come back.
  const abi::Timespec zero{0, 0};
  const u64 set = sigbit(kRt) | sigbit(kRt + 1) | sigbit(kUsr1);
  REQUIRE(mm::write_user(p.address_space(), buf + 256, set).ok());
  REQUIRE(mm::write_user(p.address_space(), buf + 512, zero).ok());
  CHECK(k.call(128, buf + 256, buf + 1024, buf + 512, 8) == kUsr1);
  CHECK(k.call(128, buf + 256, buf + 1024, buf + 512, 8) == kRt);
  const abi::Siginfo got = mm::read_user<abi::Siginfo>(p.address_space(), buf + 1024).value();
  CHECK(got.si_code == abi::kSI_QUEUE);
  CHECK(got.fields.rt.value == 77);
  CHECK(k.call(128, buf + 256, buf + 1024, buf + 512, 8) == kRt + 1);
  CHECK(k.call(128, buf + 256, buf + 1024, buf + 512, 8) == err(abi::Errno::kEAGAIN));
  CHECK(k.kernel.sigqueue_count(p.creds().uid) == 0);
  // Another process may not pose as kill.
  si.si_code = abi::kSI_USER;
  REQUIRE(mm::write_user(p.address_space(), buf, si).ok());
  CHECK(k.call(129, pid + 1000, kRt, buf) == err(abi::Errno::kEPERM));
}

TEST_CASE("a POSIX timer fires from Kernel::tick with its siginfo and overruns", "[timers]") {
  test::BootedKernel k;
  if (!k.start()) SKIP("no " << test::BootedKernel::kProgram);
  Process& p = k.kernel.current();
  Thread& t = k.kernel.current_thread();
  const u64 buf = static_cast<u64>(k.call(9, 0, 4096, 3, 0x22, ~u64{0}, 0));
  constexpr int kRt = 35;
  t.signal_mask() = sigbit(kRt);
  struct {
    u64 value;
    i32 signo, notify;
    u8 rest[48];
  } ev{};
  ev.value = 4242;
  ev.signo = kRt;
  ev.notify = abi::kSIGEV_SIGNAL;
  REQUIRE(mm::copy_to_user(p.address_space(), buf, &ev, sizeof ev).ok());
  CHECK(k.call(222, abi::kCLOCK_MONOTONIC, buf, buf + 128) == 0);
  const i32 id = mm::read_user<i32>(p.address_space(), buf + 128).value();
  CHECK(id == 0);  // ids count from 0 in each process
  // Every millisecond from one millisecond on.
  const abi::Timespec spec[2] = {{0, 1'000'000}, {0, 1'000'000}};
  REQUIRE(mm::copy_to_user(p.address_space(), buf + 256, spec, sizeof spec).ok());
  CHECK(k.call(223, static_cast<u64>(id), 0, buf + 256, 0) == 0);
  CHECK(k.kernel.timers().nearest() != 0);
  const timespec nap{0, 5'000'000};
  nanosleep(&nap, nullptr);
  k.kernel.tick();
  CHECK(p.shared_pending().has(kRt));
  // The timer waits for its signal to be taken before running again.
  CHECK(k.kernel.timers().nearest() == 0);
  nanosleep(&nap, nullptr);
  const abi::Siginfo info = k.kernel.dequeue_signal(t, sigbit(kRt));
  CHECK(info.si_code == abi::kSI_TIMER);
  CHECK(info.fields.rt.pid_or_tid == id);
  CHECK(info.fields.rt.value == 4242);
  CHECK(info.fields.rt.uid_or_overrun >= 5);  // 5 ms passed since it fired
  CHECK(k.call(225, static_cast<u64>(id)) == static_cast<i64>(info.fields.rt.uid_or_overrun));
  CHECK(k.kernel.timers().nearest() != 0);  // running again
  CHECK(k.call(226, static_cast<u64>(id)) == 0);
  CHECK(k.kernel.timers().nearest() == 0);
  CHECK(k.call(226, static_cast<u64>(id)) == err(abi::Errno::kEINVAL));
}
