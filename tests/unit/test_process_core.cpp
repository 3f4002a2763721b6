// The process and thread core checked against Linux 6.1: the scheduler's round robin and
// deadlines, futex keys and the order futex wake-ups and requeues take waiters in, clone
// and clone3 argument checks, wait4/waitid option checks, and fork's copy-on-write through
// the syscall (both address spaces' frames and the reverse map).
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/process.h"
#include "kernel/proc/scheduler.h"
#include "kernel/proc/thread.h"
#include "mm_consistency.h"

using namespace kernel;
using x86_64::Pte;

namespace {

constexpr i64 err(abi::Errno e) {
  return -static_cast<i64>(e);
}

// Threads in processes that have no memory: enough for the scheduler and wait queues.
struct Threads {
  std::vector<std::shared_ptr<Process>> processes;
  std::vector<std::unique_ptr<Thread>> threads;
  Scheduler scheduler;

  Process& process(int pid) {
    for (auto& p : processes)
      if (p->pid() == pid) return *p;
    processes.push_back(std::make_shared<Process>(pid, nullptr));
    return *processes.back();
  }
  // A runnable thread `tid` in process `pid`.
  Thread& add(int tid, int pid) {
    process(pid);
    std::shared_ptr<Process> owner;
    for (auto& p : processes)
      if (p->pid() == pid) owner = p;
    threads.push_back(std::make_unique<Thread>(tid, owner));
    scheduler.add(*threads.back());
    return *threads.back();
  }
  // The tids of the next `n` picks, each pick the running thread from then on.
  std::vector<int> run(int n, Thread*& current) {
    std::vector<int> order;
    for (int i = 0; i < n; ++i) {
      current = scheduler.pick_next(current);
      order.push_back(current ? current->tid() : 0);
    }
    return order;
  }
  // The running thread waits on `queues` until `deadline`.
  void block(Thread& t, std::vector<WaitQueue*> queues, u64 deadline = 0) {
    for (WaitQueue* q : queues) q->add(t);
    t.call().deadline_ns = deadline;
    scheduler.block(t);
  }
};

std::vector<int> tids(const std::vector<Thread*>& list) {
  std::vector<int> out;
  for (Thread* t : list) out.push_back(t->tid());
  return out;
}

}  // namespace

// --- The scheduler ---

TEST_CASE("round robin: every runnable thread is picked in turn", "[sched]") {
  Threads s;
  s.add(1, 1);
  s.add(2, 1);
  s.add(3, 2);
  s.add(4, 3);
  Thread* current = nullptr;
  CHECK(s.run(8, current) == std::vector<int>{1, 2, 3, 4, 1, 2, 3, 4});
  CHECK(s.scheduler.runnable_count() == 4);
  // One thread alone runs on and on, and that is not a switch.
  Threads one;
  one.add(7, 7);
  Thread* cur = nullptr;
  CHECK(one.run(3, cur) == std::vector<int>{7, 7, 7});
  CHECK(one.scheduler.switches() == 1);
}

TEST_CASE("a woken thread goes to the back of the line", "[sched]") {
  Threads s;
  Thread& t1 = s.add(1, 1);
  s.add(2, 1);
  s.add(3, 1);
  WaitQueue q;
  Thread* current = nullptr;
  CHECK(s.run(1, current) == std::vector<int>{1});
  s.block(t1, {&q});
  CHECK(t1.blocked());
  CHECK(s.run(1, current) == std::vector<int>{2});
  CHECK(q.wake(1) == 1);
  CHECK(t1.state() == ThreadState::Runnable);
  CHECK(t1.call().reason == WakeReason::Event);
  CHECK(t1.call().queues.empty());
  // 3 waited longer than 1, which woke only now; 2 ran last.
  CHECK(s.run(4, current) == std::vector<int>{3, 1, 2, 3});
  // Waking a thread that does not wait changes nothing.
  Scheduler::wake(t1, WakeReason::Timeout);
  CHECK(t1.call().reason == WakeReason::Event);
  CHECK(s.run(3, current) == std::vector<int>{1, 2, 3});
}

TEST_CASE("a stopped process's threads are passed over until it continues", "[sched]") {
  Threads s;
  s.add(1, 1);
  s.add(2, 2);
  s.add(3, 2);
  s.add(4, 3);
  Thread* current = nullptr;
  CHECK(s.run(1, current) == std::vector<int>{1});
  s.process(2).stopped() = true;
  CHECK(s.run(4, current) == std::vector<int>{4, 1, 4, 1});
  s.process(2).stopped() = false;
  // They kept their places in the queue.
  CHECK(s.run(4, current) == std::vector<int>{2, 3, 4, 1});
  // Everyone stopped: nothing to run.
  for (int pid : {1, 2, 3}) s.process(pid).stopped() = true;
  CHECK(s.scheduler.pick_next(current) == nullptr);
}

TEST_CASE("deadlines expire in the order they fall due", "[sched]") {
  Threads s;
  Thread& a = s.add(1, 1);
  Thread& b = s.add(2, 1);
  Thread& c = s.add(3, 1);
  Thread& d = s.add(4, 1);
  WaitQueue q;
  s.block(a, {&q}, 300);
  s.block(b, {&q}, 100);
  s.block(c, {&q}, 200);
  s.block(d, {&q});  // no deadline
  CHECK(s.scheduler.runnable_count() == 0);
  CHECK(s.scheduler.expire(50) == 100);
  CHECK(s.scheduler.runnable_count() == 0);
  CHECK(s.scheduler.expire(150) == 200);
  CHECK(b.state() == ThreadState::Runnable);
  CHECK(b.call().reason == WakeReason::Timeout);
  CHECK(tids(q.waiters()) == std::vector<int>{1, 3, 4});
  // Two fall due together: the earlier deadline wakes (and so runs) first.
  CHECK(s.scheduler.expire(1000) == 0);
  CHECK(tids(q.waiters()) == std::vector<int>{4});
  Thread* current = nullptr;
  CHECK(s.run(3, current) == std::vector<int>{2, 3, 1});
  CHECK(d.blocked());
  q.wake_all();
  CHECK(d.call().reason == WakeReason::Event);
}

TEST_CASE("a wait queue that goes away wakes its waiters", "[sched]") {
  Threads s;
  Thread& a = s.add(1, 1);
  WaitQueue other;
  {
    WaitQueue q;
    s.block(a, {&q, &other});
    CHECK(other.waiters().size() == 1);
  }
  CHECK(a.state() == ThreadState::Runnable);
  CHECK(other.empty());  // off every queue it waited on
}

// --- Futex wake order ---

namespace {

struct Futexes : Threads {
  FutexTable table;
  int dummy_base = 0;
  FutexKey key(u64 offset) { return FutexKey{&dummy_base, offset}; }
  Thread& wait(int tid, const FutexKey& k, u32 bitset = ~u32{0}) {
    Thread& t = add(tid, 1);
    t.call().futex_bitset = bitset;
    block(t, {&table.queue(k)});
    return t;
  }
  std::vector<int> woken() {
    std::vector<int> out;
    for (auto& t : threads)
      if (t->call().futex_woken) out.push_back(t->tid());
    return out;
  }
};

}  // namespace

TEST_CASE("futex wake takes waiters oldest first, as many as asked", "[futex]") {
  Futexes f;
  const FutexKey k = f.key(0x1000), other = f.key(0x2000);
  for (int tid = 1; tid <= 5; ++tid) f.wait(tid, k);
  f.wait(9, other);
  CHECK(f.table.wake(k, 2, ~u32{0}) == 2);
  CHECK(f.woken() == std::vector<int>{1, 2});
  CHECK(tids(f.table.queue(k).waiters()) == std::vector<int>{3, 4, 5});
  // They run in the order they were woken.
  Thread* current = nullptr;
  CHECK(f.run(2, current) == std::vector<int>{1, 2});
  CHECK(f.table.wake(k, 100, ~u32{0}) == 3);
  CHECK(f.woken() == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(f.table.wake(k, 1, ~u32{0}) == 0);  // nobody left
  CHECK(tids(f.table.queue(other).waiters()) == std::vector<int>{9});
}

TEST_CASE("futex wake with a bitset wakes only the waiters it meets, in order", "[futex]") {
  Futexes f;
  const FutexKey k = f.key(0x1000);
  f.wait(1, k, 0b0001);
  f.wait(2, k, 0b0010);
  f.wait(3, k, 0b0011);
  f.wait(4, k, 0b0100);
  f.wait(5, k, 0b0010);
  CHECK(f.table.wake(k, 2, 0b0010) == 2);
  CHECK(f.woken() == std::vector<int>{2, 3});
  CHECK(f.table.wake(k, 5, 0b1000) == 0);
  CHECK(f.table.wake(k, 5, 0b0110) == 2);
  CHECK(f.woken() == std::vector<int>{2, 3, 4, 5});
  CHECK(tids(f.table.queue(k).waiters()) == std::vector<int>{1});
}

TEST_CASE("futex requeue moves waiters in order behind those already waiting", "[futex]") {
  Futexes f;
  const FutexKey from = f.key(0x1000), to = f.key(0x2000);
  for (int tid = 1; tid <= 5; ++tid) f.wait(tid, from);
  f.wait(8, to);
  CHECK(f.table.requeue(from, to, 2) == 2);
  CHECK(tids(f.table.queue(from).waiters()) == std::vector<int>{3, 4, 5});
  CHECK(tids(f.table.queue(to).waiters()) == std::vector<int>{8, 1, 2});
  CHECK(f.woken().empty());
  // A requeued waiter is woken from its new queue, and only there.
  CHECK(f.table.wake(to, 2, ~u32{0}) == 2);
  CHECK(f.woken() == std::vector<int>{1, 8});
  CHECK(tids(f.table.queue(to).waiters()) == std::vector<int>{2});
  CHECK(f.threads[0]->call().queues.empty());
  // Onto the same key: Linux counts them, and they keep their places.
  CHECK(f.table.requeue(from, from, 2) == 2);
  CHECK(tids(f.table.queue(from).waiters()) == std::vector<int>{3, 4, 5});
  CHECK(f.table.requeue(from, to, 0) == 0);
}

// --- Through the syscalls: keys, wake counts ---

namespace {

constexpr u64 kSysMmap = 9, kSysClone = 56, kSysFork = 57, kSysWait4 = 61, kSysFutex = 202,
              kSysWaitid = 247, kSysMemfdCreate = 319, kSysClone3 = 435, kSysPrctl = 157,
              kSysSetpgid = 109;
constexpr int kFutexWait = 0, kFutexWake = 1, kFutexRequeue = 3, kFutexCmpRequeue = 4,
              kFutexWakeOp = 5, kFutexWaitBitset = 9, kFutexPrivate = 128;

struct Booted : test::BootedKernel {
  i64 mmap(u64 len, u64 flags, i64 fd = -1, u64 addr = 0) {
    return call(kSysMmap, addr, len, abi::kPROT_READ | abi::kPROT_WRITE, flags,
                static_cast<u64>(fd), 0);
  }
  // Guest memory holding `bytes`.
  u64 put(const void* bytes, u64 len) {
    const i64 at = mmap(kPageSize, abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS);
    REQUIRE(at > 0);
    REQUIRE(mm::copy_to_user(as(), static_cast<u64>(at), bytes, len).ok());
    return static_cast<u64>(at);
  }
  Process& child(i64 pid) {
    Process* p = kernel.find_process(static_cast<int>(pid));
    REQUIRE(p);
    return *p;
  }
};

}  // namespace

TEST_CASE("futex keys: private per address space, shared memory by object and offset", "[futex]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  const u64 name = b.put("futex", 6);
  const i64 fd = b.call(kSysMemfdCreate, name, 0);
  REQUIRE(fd >= 0);
  REQUIRE(b.call(77 /* ftruncate */, static_cast<u64>(fd), 2 * kPageSize) == 0);
  // One memfd at two addresses, the second mapping starting one page in.
  const i64 a = b.mmap(2 * kPageSize, abi::kMAP_SHARED, fd);
  REQUIRE(a > 0);
  const i64 c = b.call(kSysMmap, 0, kPageSize, abi::kPROT_READ | abi::kPROT_WRITE, abi::kMAP_SHARED,
                       static_cast<u64>(fd), kPageSize);
  REQUIRE(c > 0);
  const i64 shared_anon = b.mmap(kPageSize, abi::kMAP_SHARED | abi::kMAP_ANONYMOUS);
  const i64 priv = b.mmap(kPageSize, abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS);
  REQUIRE(shared_anon > 0);
  REQUIRE(priv > 0);
  mm::AddressSpace& parent = b.as();
  auto key = [](mm::AddressSpace& as, i64 addr, bool is_private) {
    auto k = FutexTable::key(as, static_cast<u64>(addr), is_private);
    REQUIRE(k.ok());
    return k.value();
  };
  const u64 page = kPageSize;
  CHECK(key(parent, a + page + 8, false) == key(parent, c + 8, false));
  CHECK(key(parent, a + 8, false) != key(parent, c + 8, false));
  // A private futex is this address space's own, whatever the memory.
  CHECK(key(parent, a + page + 8, true) != key(parent, c + 8, true));
  // Private and shared operations on the same private word never meet (FUT_OFF_MMSHARED).
  CHECK(key(parent, priv, true) != key(parent, priv, false));

  const i64 pid = b.call(kSysFork);
  REQUIRE(pid > 0);
  mm::AddressSpace& child = b.child(pid).address_space();
  REQUIRE(&child != &parent);
  // Shared memory: the child's mapping of the memfd meets the parent's other mapping.
  CHECK(key(child, a + page + 8, false) == key(parent, c + 8, false));
  CHECK(key(child, shared_anon + 4, false) == key(parent, shared_anon + 4, false));
  // Private memory after fork is each process's own.
  CHECK(key(child, priv + 4, false) != key(parent, priv + 4, false));
  CHECK(key(child, priv + 4, true) != key(parent, priv + 4, true));
  // Misaligned is EINVAL; outside any mapping a shared key is EFAULT.
  CHECK(FutexTable::key(parent, static_cast<u64>(priv) + 2, false).error() == abi::Errno::kEINVAL);
  CHECK(FutexTable::key(parent, static_cast<u64>(priv) + 2, true).error() == abi::Errno::kEINVAL);
  CHECK(FutexTable::key(parent, 0x1000, false).error() == abi::Errno::kEFAULT);
}

TEST_CASE("futex syscalls: wake counts, requeue checks and wake-op's errors", "[futex]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  const i64 w = b.mmap(kPageSize, abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS);
  REQUIRE(w > 0);
  const u64 word = static_cast<u64>(w), word2 = word + 64;
  REQUIRE(mm::write_user<u32>(b.as(), word, 5).ok());
  Thread& me = b.kernel.current_thread();
  FutexTable& table = b.kernel.futexes();
  // No waiters: 0, whatever the count.
  CHECK(b.call(kSysFutex, word, kFutexWake | kFutexPrivate, 0) == 0);
  // A wait whose value differs is EAGAIN; a zero bitset EINVAL; misaligned EINVAL.
  CHECK(b.call(kSysFutex, word, kFutexWait | kFutexPrivate, 4) == err(abi::Errno::kEAGAIN));
  CHECK(b.call(kSysFutex, word, kFutexWaitBitset | kFutexPrivate, 5, 0, 0, 0) ==
        err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysFutex, word + 1, kFutexWake | kFutexPrivate, 1) == err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysFutex, word, kFutexRequeue | kFutexPrivate, ~u64{0}, 1, word2) ==
        err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysFutex, word, kFutexCmpRequeue | kFutexPrivate, 1, 1, word2, 6) ==
        err(abi::Errno::kEAGAIN));
  CHECK(b.call(kSysFutex, word, 99) == err(abi::Errno::kENOSYS));
  CHECK(b.call(kSysFutex, word, kFutexWait | 256 /* CLOCK_REALTIME */, 5) ==
        err(abi::Errno::kENOSYS));

  // Waiters made by hand on the private key of `word` (threads of a second process).
  const FutexKey key = FutexTable::key(b.as(), word, true).value();
  std::vector<std::unique_ptr<Thread>> waiters;
  auto add_waiter = [&](int tid) {
    waiters.push_back(std::make_unique<Thread>(tid, b.kernel.current_thread().process_ptr()));
    Thread& t = *waiters.back();
    b.kernel.scheduler().add(t);
    t.call().futex_bitset = ~u32{0};
    table.queue(key).add(t);
    b.kernel.scheduler().block(t);
  };
  for (int tid = 9001; tid <= 9004; ++tid) add_waiter(tid);
  // 6.1's futex_wake wakes one even when asked for none (or a negative count).
  CHECK(b.call(kSysFutex, word, kFutexWake | kFutexPrivate, 0) == 1);
  CHECK(waiters[0]->call().futex_woken);
  CHECK(b.call(kSysFutex, word, kFutexWake | kFutexPrivate, 0xffffffff) == 1);
  CHECK(waiters[1]->call().futex_woken);
  // The shared key of a private word is not the private one.
  CHECK(b.call(kSysFutex, word, kFutexWake, 10) == 0);
  // Wake-op with an unknown comparison: the word is updated, nobody wakes, ENOSYS.
  REQUIRE(mm::write_user<u32>(b.as(), word2, 1).ok());
  const u32 bad_cmp = (1u << 28) | (7u << 24) | (3u << 12) | 0;  // ADD 3, cmp 7
  CHECK(b.call(kSysFutex, word, kFutexWakeOp | kFutexPrivate, 1, 1, word2, bad_cmp) ==
        err(abi::Errno::kENOSYS));
  CHECK(mm::read_user<u32>(b.as(), word2).value() == 4);
  CHECK(tids(table.queue(key).waiters()) == std::vector<int>{9003, 9004});
  // A good one: SET 0 then "old == 4" holds; one from each word (none on word2).
  const u32 set_eq = (0u << 28) | (0u << 24) | (0u << 12) | 4;
  CHECK(b.call(kSysFutex, word, kFutexWakeOp | kFutexPrivate, 1, 1, word2, set_eq) == 1);
  CHECK(mm::read_user<u32>(b.as(), word2).value() == 0);
  CHECK(tids(table.queue(key).waiters()) == std::vector<int>{9004});
  // Requeue onto itself counts the waiter, as Linux does.
  CHECK(b.call(kSysFutex, word, kFutexRequeue | kFutexPrivate, 0, 5, word) == 1);
  CHECK(b.call(kSysFutex, word, kFutexWake | kFutexPrivate, 5) == 1);
  for (auto& t : waiters) b.kernel.scheduler().remove(*t);
  (void)me;
}

// --- clone, clone3, wait4 and waitid argument checks ---

TEST_CASE("clone refuses Linux's invalid flag combinations with EINVAL", "[clone]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  const u64 sig = abi::kSIGCHLD;
  const u64 kVm = abi::kCLONE_VM, kFs = abi::kCLONE_FS, kSighand = abi::kCLONE_SIGHAND,
            kThread = abi::kCLONE_THREAD;
  const u64 bad[] = {
      abi::kCLONE_NEWNS | kFs | sig,
      abi::kCLONE_NEWUSER | kFs | sig,
      kThread | kVm | sig,       // a thread must share the handlers
      kSighand | sig,            // shared handlers need shared memory
      kThread | kSighand | sig,  // (and so does a thread)
      abi::kCLONE_PARENT | sig,  // the first process has no siblings to make
      abi::kCLONE_PIDFD | abi::kCLONE_DETACHED | sig,
      abi::kCLONE_PIDFD | kThread | kSighand | kVm,
      abi::kCLONE_PIDFD | abi::kCLONE_PARENT_SETTID | sig,  // one field for both
  };
  const u64 before = b.kernel.thread_count();
  for (u64 flags : bad) {
    INFO("flags 0x" << std::hex << flags);
    CHECK(b.call(kSysClone, flags, 0, 0, 0, 0) == err(abi::Errno::kEINVAL));
  }
  CHECK(b.kernel.thread_count() == before);
  // Flags above 32 bits are not legacy clone's: ignored.
  const i64 pid = b.call(kSysClone, (u64{1} << 40) | sig, 0, 0, 0, 0);
  CHECK(pid > 0);
  CHECK(b.child(pid).exit_signal() == abi::kSIGCHLD);
}

TEST_CASE("clone3 checks its size, its trailing bytes, signals, stacks and flags", "[clone]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  struct Args {
    u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
  };
  const i64 at = b.mmap(2 * kPageSize, abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS);
  REQUIRE(at > 0);
  const u64 args = static_cast<u64>(at);
  auto clone3 = [&](const Args& a, u64 size) {
    REQUIRE(mm::copy_to_user(b.as(), args, &a, sizeof a).ok());
    return b.call(kSysClone3, args, size);
  };
  const Args fork_like{0, 0, 0, 0, abi::kSIGCHLD, 0, 0, 0, 0, 0, 0};
  CHECK(clone3(fork_like, 63) == err(abi::Errno::kEINVAL));
  CHECK(clone3(fork_like, 0) == err(abi::Errno::kEINVAL));
  CHECK(clone3(fork_like, kPageSize + 1) == err(abi::Errno::kE2BIG));
  // Bytes past the known structure must be zero.
  REQUIRE(mm::write_user<u8>(b.as(), args + 100, 1).ok());
  CHECK(clone3(fork_like, 101) == err(abi::Errno::kE2BIG));
  CHECK(clone3(fork_like, kPageSize) == err(abi::Errno::kE2BIG));
  REQUIRE(mm::write_user<u8>(b.as(), args + 100, 0).ok());
  // A structure that runs off the mapping.
  CHECK(b.call(kSysClone3, args + 2 * kPageSize - 32, 64) == err(abi::Errno::kEFAULT));

  auto with = [&](auto change) {
    Args a = fork_like;
    change(a);
    return clone3(a, sizeof a);
  };
  CHECK(with([](Args& a) { a.exit_signal = 65; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) { a.exit_signal = 0x100 | abi::kSIGCHLD; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) { a.flags = abi::kSIGCHLD; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) { a.flags = abi::kCLONE_DETACHED; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) { a.flags = u64{1} << 34; }) == err(abi::Errno::kEINVAL));  // unknown
  CHECK(with([](Args& a) { a.flags = u64{1} << 63; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) {
          a.flags = abi::kCLONE_SIGHAND | abi::kCLONE_VM | abi::kCLONE_CLEAR_SIGHAND;
        }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) {
          a.flags = abi::kCLONE_THREAD | abi::kCLONE_SIGHAND | abi::kCLONE_VM;
        }) == err(abi::Errno::kEINVAL));  // a thread with an exit signal
  CHECK(with([](Args& a) { a.flags = abi::kCLONE_PARENT; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) { a.stack = 0x10000; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) { a.stack_size = 0x10000; }) == err(abi::Errno::kEINVAL));
  // access_ok: the stack must lie in user space.
  CHECK(with([](Args& a) {
          a.stack = ~u64{0} - 0xfff;
          a.stack_size = 0x2000;
        }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) {
          a.stack = mm::kTaskSize;
          a.stack_size = 0x1000;
        }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) { a.set_tid_size = 33; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) { a.set_tid_size = 1; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) { a.set_tid = 0x1000; }) == err(abi::Errno::kEINVAL));
  CHECK(with([](Args& a) {
          a.flags = abi::kCLONE_INTO_CGROUP;
          a.cgroup = 0x80000000;
        }) == err(abi::Errno::kEINVAL));
  // The first process cannot give its children a parent of their own choosing.
  CHECK(with([](Args& a) {
          a.flags = abi::kCLONE_PARENT;
          a.exit_signal = 0;
        }) == err(abi::Errno::kEINVAL));

  // Version 0 (64 bytes) and a bigger, zero-padded structure both work.
  const i64 child = clone3(fork_like, 64);
  CHECK(child > 0);
  const i64 child2 = clone3(fork_like, 200);
  CHECK(child2 > child);
  // An exit signal other than SIGCHLD makes a "clone" child.
  const i64 quiet = with([](Args& a) { a.exit_signal = 0; });
  REQUIRE(quiet > 0);
  CHECK(b.child(quiet).exit_signal() == 0);
}

TEST_CASE("wait4 and waitid refuse the options and ids Linux refuses", "[wait]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  const i64 pid = b.call(kSysFork);
  REQUIRE(pid > 0);
  const u64 p = static_cast<u64>(pid);
  const i64 buf = b.mmap(kPageSize, abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS);
  const u64 info = static_cast<u64>(buf);
  for (u64 options : {u64{abi::kWEXITED}, u64{abi::kWNOWAIT}, u64{0x100}, u64{0x10}}) {
    INFO("wait4 options 0x" << std::hex << options);
    CHECK(b.call(kSysWait4, p, 0, options | abi::kWNOHANG, 0) == err(abi::Errno::kEINVAL));
  }
  CHECK(b.call(kSysWait4, 0x80000000, 0, abi::kWNOHANG, 0) == err(abi::Errno::kESRCH));
  CHECK(b.call(kSysWait4, p + 1000, 0, abi::kWNOHANG, 0) == err(abi::Errno::kECHILD));
  CHECK(b.call(kSysWait4, p, 0, abi::kWNOHANG, 0) == 0);  // running
  CHECK(b.call(kSysWaitid, abi::kP_PID, p, info, 0) == err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysWaitid, abi::kP_PID, p, info, abi::kWNOHANG) == err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysWaitid, abi::kP_PID, p, info, abi::kWEXITED | 0x100) ==
        err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysWaitid, abi::kP_PID, 0, info, abi::kWEXITED) == err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysWaitid, abi::kP_PGID, 0xffffffff, info, abi::kWEXITED) ==
        err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysWaitid, 9, 0, info, abi::kWEXITED) == err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysWaitid, abi::kP_PIDFD, 0xffffffff, info, abi::kWEXITED) ==
        err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysWaitid, abi::kP_PIDFD, 0, info, abi::kWEXITED) == err(abi::Errno::kEBADF));
  // A child that has not ended, WNOHANG: 0 and a cleared siginfo.
  REQUIRE(mm::write_user<u64>(b.as(), info, ~u64{0}).ok());
  REQUIRE(mm::write_user<u64>(b.as(), info + 16, ~u64{0}).ok());
  CHECK(b.call(kSysWaitid, abi::kP_ALL, 0, info, abi::kWEXITED | abi::kWNOHANG) == 0);
  CHECK(mm::read_user<u64>(b.as(), info).value() == 0);
  CHECK(mm::read_user<u32>(b.as(), info + 16).value() == 0);
  // The child ends: waitid reports it, with WNOWAIT as often as asked.
  b.kernel.zap_process(b.child(pid), 3 << 8);
  for (int round = 0; round < 2; ++round) {
    CHECK(b.call(kSysWaitid, abi::kP_PID, p, info, abi::kWEXITED | abi::kWNOWAIT) == 0);
    CHECK(mm::read_user<i32>(b.as(), info).value() == abi::kSIGCHLD);
    CHECK(mm::read_user<i32>(b.as(), info + 8).value() == abi::kCLD_EXITED);
    CHECK(mm::read_user<i32>(b.as(), info + 16).value() == pid);
    CHECK(mm::read_user<i32>(b.as(), info + 24).value() == 3);
  }
  const u64 status = info + 128;
  CHECK(b.call(kSysWait4, p, status, 0, 0) == pid);
  CHECK(mm::read_user<i32>(b.as(), status).value() == 0x300);
  CHECK(b.kernel.find_process(static_cast<int>(pid)) == nullptr);
  CHECK(b.call(kSysWait4, p, status, abi::kWNOHANG, 0) == err(abi::Errno::kECHILD));
}

TEST_CASE("setpgid checks in Linux's order; a child that has exec'd is EACCES", "[clone]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  const i64 pid = b.call(kSysFork);
  REQUIRE(pid > 0);
  const u64 p = static_cast<u64>(pid);
  CHECK(b.call(kSysSetpgid, 0xffffffff, 0) == err(abi::Errno::kEINVAL));  // pgid = pid = -1
  CHECK(b.call(kSysSetpgid, 0xfffffffb, 3) == err(abi::Errno::kESRCH));
  CHECK(b.call(kSysSetpgid, 0, 0xffffffff) == err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysSetpgid, p, 0x3ffffff0) == err(abi::Errno::kEPERM));  // no such group
  CHECK(b.call(kSysSetpgid, p, p) == 0);
  CHECK(b.child(pid).pgid() == pid);
  b.child(pid).fork_no_exec() = false;  // as execve leaves it
  CHECK(b.call(kSysSetpgid, p, 0) == err(abi::Errno::kEACCES));
  // A thread that is not its group's leader.
  const u64 thread_flags = abi::kCLONE_VM | abi::kCLONE_SIGHAND | abi::kCLONE_THREAD;
  const i64 tid = b.call(kSysClone, thread_flags, 0x10000, 0, 0, 0);
  REQUIRE(tid > 0);
  CHECK(b.call(kSysSetpgid, static_cast<u64>(tid), 0) == err(abi::Errno::kEINVAL));
}

TEST_CASE("PR_SET_CHILD_SUBREAPER: orphans go to the nearest live subreaper", "[clone]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  constexpr u64 kSet = 36, kGet = 37;
  const i64 buf = b.mmap(kPageSize, abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS);
  const u64 out = static_cast<u64>(buf);
  CHECK(b.call(kSysPrctl, kGet, out) == 0);
  CHECK(mm::read_user<i32>(b.as(), out).value() == 0);
  CHECK(b.call(kSysPrctl, kGet, 8) == err(abi::Errno::kEFAULT));
  // Three generations below the first process, made by hand: init > a > m > c.
  const i64 a = b.call(kSysFork);
  REQUIRE(a > 0);
  Process& pa = b.child(a);
  Process& init = *b.kernel.init_process();
  auto make_child = [&](Process& parent, int pid) -> Process& {
    // Moves a fresh fork of init under `parent`.
    (void)pid;
    const i64 c = b.call(kSysFork);
    REQUIRE(c > 0);
    Process& p = b.child(c);
    std::erase(init.children(), &p);
    p.set_parent(&parent);
    parent.children().push_back(&p);
    return p;
  };
  Process& m = make_child(pa, 0);
  Process& c = make_child(m, 0);
  Process& z = make_child(m, 0);
  pa.prctl_state().child_subreaper = true;
  pa.signal_actions()[abi::kSIGCHLD].handler = 0x1000;  // caught: the signal is queued
  c.exit_signal() = 0;
  b.kernel.zap_process(z, 7 << 8);  // a zombie of m's
  CHECK(z.state() == ProcessState::Zombie);
  b.kernel.zap_process(m, 0);
  CHECK(c.parent() == &pa);
  CHECK(z.parent() == &pa);
  CHECK(c.exit_signal() == abi::kSIGCHLD);  // reparent_leader: "we don't want people slaying init"
  CHECK(std::find(pa.children().begin(), pa.children().end(), &c) != pa.children().end());
  // The zombie was reported to its new parent.
  CHECK(pa.shared_pending().has(abi::kSIGCHLD));
  // With the subreaper gone too, they go to the first process.
  b.kernel.zap_process(pa, 0);
  CHECK(c.parent() == &init);
}

// --- fork's memory through the syscall ---

TEST_CASE("fork through the syscall shares private pages copy-on-write", "[fork]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  const i64 priv = b.mmap(2 * kPageSize, abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS);
  const i64 shared = b.mmap(kPageSize, abi::kMAP_SHARED | abi::kMAP_ANONYMOUS);
  REQUIRE(priv > 0);
  REQUIRE(shared > 0);
  const u64 at = static_cast<u64>(priv), sh = static_cast<u64>(shared);
  mm::AddressSpace& parent = b.as();
  REQUIRE(mm::write_user<u64>(parent, at, 0x1111).ok());
  REQUIRE(mm::write_user<u64>(parent, at + kPageSize, 0x2222).ok());
  REQUIRE(mm::write_user<u64>(parent, sh, 0x3333).ok());
  const Pfn first = parent.page_table().lookup(at).pte.pfn();
  const Pfn shared_frame = parent.page_table().lookup(sh).pte.pfn();
  mm::MemoryManager& memory = b.kernel.memory();

  const i64 pid = b.call(kSysFork);
  REQUIRE(pid > 0);
  // The caller is still the parent, and got the child's pid.
  CHECK(b.kernel.current().pid() != pid);
  mm::AddressSpace& child = b.child(pid).address_space();
  REQUIRE(&child != &parent);
  test::check_consistent(memory, {&parent, &child});
  for (mm::AddressSpace* as : {&parent, &child}) {
    const Pte pte = as->page_table().lookup(at).pte;
    CHECK(pte.present());
    CHECK(pte.pfn() == first);
    CHECK_FALSE(pte.writable());
    CHECK(memory.rmap().contains(first, as, at));
    const Pte spte = as->page_table().lookup(sh).pte;
    if (spte.present()) {
      CHECK(spte.pfn() == shared_frame);
    }
  }
  CHECK(memory.rmap().mapcount(first) == 2);
  CHECK(memory.frames().refcount(first) == 2);

  // The parent writes: a copy for it; the child keeps the frame, and sees the old data.
  REQUIRE(mm::write_user<u64>(parent, at, 0xaaaa).ok());
  const Pfn copy = parent.page_table().lookup(at).pte.pfn();
  CHECK(copy != first);
  CHECK(parent.page_table().lookup(at).pte.writable());
  CHECK(child.page_table().lookup(at).pte.pfn() == first);
  CHECK(mm::read_user<u64>(child, at).value() == 0x1111);
  CHECK(memory.rmap().mapcount(first) == 1);
  CHECK_FALSE(memory.rmap().contains(first, &parent, at));
  test::check_consistent(memory, {&parent, &child});
  // The child, now alone on the frame, writes in place.
  REQUIRE(mm::write_user<u64>(child, at, 0xcccc).ok());
  CHECK(child.page_table().lookup(at).pte.pfn() == first);
  CHECK(mm::read_user<u64>(parent, at).value() == 0xaaaa);
  CHECK(mm::read_user<u64>(parent, at + kPageSize).value() == 0x2222);
  // Shared memory stays shared both ways.
  REQUIRE(mm::write_user<u64>(child, sh, 0x4444).ok());
  CHECK(mm::read_user<u64>(parent, sh).value() == 0x4444);
  CHECK(child.page_table().lookup(sh).pte.pfn() == shared_frame);
  test::check_consistent(memory, {&parent, &child});

  // The child exits: its mappings go, the parent's books balance alone.
  b.kernel.zap_process(b.child(pid), 0);
  test::check_consistent(memory, {&parent});
  CHECK(memory.rmap().mapcount(first) == 0);
}
