// A fatal signal from another process and process_mrelease (Linux 6.1's complete_signal
// group exit and mm/oom_kill.c): the killed process is dying, with its memory, until one of
// its threads runs; process_mrelease takes its private memory in that window, and its exit
// then finds nothing of it left to free.
#include <catch2/catch_test_macros.hpp>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "mm_consistency.h"

using namespace kernel;

namespace {

constexpr u64 kSysMmap = 9, kSysClone = 56, kSysFork = 57, kSysWait4 = 61, kSysKill = 62,
              kSysMlock = 149, kSysPidfdSendSignal = 424, kSysPidfdOpen = 434, kSysPidfdGetfd = 438,
              kSysProcessMrelease = 448;

constexpr i64 err(abi::Errno e) {
  return -static_cast<i64>(e);
}

struct Booted : test::BootedKernel {
  Process& child(i64 pid) {
    Process* p = kernel.find_process(static_cast<int>(pid));
    REQUIRE(p);
    return *p;
  }
  // Maps `pages` in the current process and writes each page, so that each has a frame.
  u64 touch(u64 pages, u64 flags) {
    const i64 at =
        call(kSysMmap, 0, pages * kPageSize, abi::kPROT_READ | abi::kPROT_WRITE, flags, ~u64{0}, 0);
    REQUIRE(at > 0);
    for (u64 i = 0; i < pages; ++i)
      REQUIRE(mm::write_user<u64>(as(), static_cast<u64>(at) + i * kPageSize, i + 1).ok());
    return static_cast<u64>(at);
  }
};

}  // namespace

TEST_CASE("SIGKILL to another process: dying until it runs, then a zombie", "[mrelease]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  const i64 pid = b.call(kSysFork);
  REQUIRE(pid > 0);
  Process& parent = b.kernel.current();
  Process& child = b.child(pid);
  REQUIRE(child.threads().size() == 1);
  const i64 pidfd = b.call(kSysPidfdOpen, static_cast<u64>(pid), 0);
  REQUIRE(pidfd >= 0);

  CHECK(b.call(kSysKill, static_cast<u64>(pid), abi::kSIGKILL) == 0);
  // Marked, not ended: its thread and its memory are still there.
  CHECK(child.alive());
  CHECK(child.dying());
  CHECK(child.group_exit_pending());
  CHECK(child.threads().size() == 1);
  CHECK(&child.address_space() != nullptr);
  CHECK(child.address_space().map_count() > 0);
  CHECK(b.kernel.will_free_memory(child));
  // Its threads have not begun to exit (no PF_EXITING): its files can still be taken.
  CHECK(b.call(kSysPidfdGetfd, static_cast<u64>(pidfd), 0, 0) >= 0);
  // A second signal changes nothing (prepare_signal drops signals to a dying group).
  CHECK(b.call(kSysKill, static_cast<u64>(pid), abi::kSIGTERM) == 0);
  CHECK(child.exit_status() == abi::kSIGKILL);
  // The parent runs on: the child has not ended yet.
  const i64 status = b.call(kSysMmap, 0, kPageSize, abi::kPROT_READ | abi::kPROT_WRITE,
                            abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS, ~u64{0}, 0);
  REQUIRE(status > 0);
  const u64 st = static_cast<u64>(status);
  CHECK(b.call(kSysWait4, static_cast<u64>(pid), st, abi::kWNOHANG, 0) == 0);

  // The scheduler runs the child's thread next: it ends the group.
  b.kernel.schedule();
  CHECK(child.state() == ProcessState::Zombie);
  CHECK(child.threads().empty());
  CHECK(child.address_space().map_count() == 0);
  CHECK(&b.kernel.current() == &parent);
  // A zombie has no memory to release; then the parent hears "killed by SIGKILL".
  CHECK(b.call(kSysProcessMrelease, static_cast<u64>(pidfd), 0) == err(abi::Errno::kESRCH));
  CHECK(b.call(kSysWait4, static_cast<u64>(pid), st, abi::kWNOHANG, 0) == pid);
  CHECK(mm::read_user<i32>(b.as(), st).value() == abi::kSIGKILL);
  CHECK(b.call(kSysProcessMrelease, static_cast<u64>(pidfd), 0) == err(abi::Errno::kESRCH));
}

TEST_CASE("process_mrelease takes a dying process's private memory", "[mrelease]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  const i64 pid = b.call(kSysFork);
  REQUIRE(pid > 0);
  Process& parent = b.kernel.current();
  Process& child = b.child(pid);
  mm::AddressSpace& cas = child.address_space();
  // The child maps and touches memory of its own, then the parent runs again.
  b.kernel.schedule();
  REQUIRE(&b.kernel.current() == &child);
  constexpr u64 kPrivate = 24, kShared = 5, kLocked = 3;
  const u64 priv = b.touch(kPrivate, abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS);
  b.touch(kShared, abi::kMAP_SHARED | abi::kMAP_ANONYMOUS);
  const u64 locked = b.touch(kLocked, abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS);
  REQUIRE(b.call(kSysMlock, locked, kLocked * kPageSize) == 0);
  b.kernel.schedule();
  REQUIRE(&b.kernel.current() == &parent);
  // Pages the child shares copy-on-write with the parent since fork stay the parent's.
  const u64 cow_before = cas.usage().anon_rss;
  REQUIRE(cow_before >= kPrivate + kLocked);
  const u64 shmem_before = cas.usage().shmem_rss;
  REQUIRE(shmem_before == kShared);
  test::check_consistent(b.kernel.memory(), {&parent.address_space(), &cas});

  const i64 pidfd = b.call(kSysPidfdOpen, static_cast<u64>(pid), 0);
  REQUIRE(pidfd >= 0);
  const u64 fd = static_cast<u64>(pidfd);
  // Checked in Linux's order: flags, the descriptor, then whether the process is dying.
  CHECK(b.call(kSysProcessMrelease, fd, 1) == err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysProcessMrelease, ~u64{0}, 1) == err(abi::Errno::kEINVAL));
  CHECK(b.call(kSysProcessMrelease, ~u64{0}, 0) == err(abi::Errno::kEBADF));
  CHECK(b.call(kSysProcessMrelease, 0, 0) == err(abi::Errno::kEBADF));    // not a pidfd
  CHECK(b.call(kSysProcessMrelease, fd, 0) == err(abi::Errno::kEINVAL));  // alive
  CHECK(cas.usage().anon_rss == cow_before);

  // Killed: its memory can go now, and goes.
  CHECK(b.call(kSysPidfdSendSignal, fd, abi::kSIGKILL, 0, 0) == 0);
  REQUIRE(child.dying());
  const u64 free_before = b.kernel.frames().free_frames();
  CHECK(b.call(kSysProcessMrelease, fd, 0) == 0);
  const mm::AddressSpace::Usage after = cas.usage();
  CHECK(after.anon_rss == 0);
  CHECK(after.shmem_rss == kShared);  // shared memory stays with its object until exit
  // Every page only the child had is back in the allocator (the locked ones too).
  CHECK(b.kernel.frames().free_frames() >= free_before + kPrivate + kLocked);
  // The mappings stay; only their pages went.
  CHECK(cas.find_vma(priv) != nullptr);
  test::check_consistent(b.kernel.memory(), {&parent.address_space(), &cas});
  // Again: nothing left, no error.
  CHECK(b.call(kSysProcessMrelease, fd, 0) == 0);

  // Its exit frees what was left (the shared pages) and tells the parent.
  b.kernel.schedule();
  REQUIRE(child.state() == ProcessState::Zombie);
  test::check_consistent(b.kernel.memory(), {&parent.address_space()});
  CHECK(b.call(kSysProcessMrelease, fd, 0) == err(abi::Errno::kESRCH));
  const i64 status = b.call(kSysMmap, 0, kPageSize, abi::kPROT_READ | abi::kPROT_WRITE,
                            abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS, ~u64{0}, 0);
  REQUIRE(status > 0);
  CHECK(b.call(kSysWait4, static_cast<u64>(pid), static_cast<u64>(status), 0, 0) == pid);
  CHECK(mm::read_user<i32>(b.as(), static_cast<u64>(status)).value() == abi::kSIGKILL);
  CHECK(b.call(kSysProcessMrelease, fd, 0) == err(abi::Errno::kESRCH));
}

TEST_CASE("process_mrelease refuses memory a live process shares", "[mrelease]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  // clone(CLONE_VM) without CLONE_THREAD: a second process on the caller's memory.
  const i64 pid = b.call(kSysClone, abi::kCLONE_VM | abi::kSIGCHLD, 0, 0, 0, 0);
  REQUIRE(pid > 0);
  Process& parent = b.kernel.current();
  Process& child = b.child(pid);
  REQUIRE(&child.address_space() == &parent.address_space());
  const i64 pidfd = b.call(kSysPidfdOpen, static_cast<u64>(pid), 0);
  REQUIRE(pidfd >= 0);
  CHECK(b.call(kSysKill, static_cast<u64>(pid), abi::kSIGKILL) == 0);
  REQUIRE(child.dying());
  // The caller lives on that memory: it is not on its way out (task_will_free_mem).
  CHECK(!b.kernel.will_free_memory(child));
  const u64 maps = parent.address_space().map_count();
  const u64 rss = parent.address_space().usage().anon_rss;
  CHECK(b.call(kSysProcessMrelease, static_cast<u64>(pidfd), 0) == err(abi::Errno::kEINVAL));
  CHECK(parent.address_space().map_count() == maps);
  CHECK(parent.address_space().usage().anon_rss == rss);
  // The child ends; the memory stays with the caller.
  b.kernel.schedule();
  CHECK(child.state() == ProcessState::Zombie);
  CHECK(&b.kernel.current() == &parent);
  CHECK(parent.address_space().map_count() == maps);
}

TEST_CASE("a fatal signal to the sender's own group still ends it within the call", "[mrelease]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  const i64 pid = b.call(kSysFork);
  REQUIRE(pid > 0);
  Process& child = b.child(pid);
  // A SIGKILL to a process from itself: the caller does not return to user mode.
  b.kernel.schedule();  // the child runs now
  REQUIRE(&b.kernel.current() == &child);
  b.call(kSysKill, static_cast<u64>(pid), abi::kSIGKILL);
  CHECK(child.state() == ProcessState::Zombie);
  CHECK(!child.group_exit_pending());
}

TEST_CASE("a stopped process, or one waiting in a call, wakes to die", "[mrelease]") {
  Booted b;
  if (!b.start()) SKIP("no " << test::BootedKernel::kProgram);
  constexpr u64 kSysPause = 34;
  const i64 pid = b.call(kSysFork);
  REQUIRE(pid > 0);
  Process& parent = b.kernel.current();
  Process& child = b.child(pid);
  Thread& thread = *child.threads().front();
  // The child waits in pause(); the parent stops it.
  b.kernel.schedule();
  REQUIRE(&b.kernel.current() == &child);
  b.call(kSysPause);
  REQUIRE(thread.blocked());
  b.kernel.schedule();
  REQUIRE(&b.kernel.current() == &parent);
  CHECK(b.call(kSysKill, static_cast<u64>(pid), abi::kSIGSTOP) == 0);
  REQUIRE(child.stopped());
  // SIGKILL: stopped no more, its waiting thread runnable, and nothing else yet.
  CHECK(b.call(kSysKill, static_cast<u64>(pid), abi::kSIGKILL) == 0);
  CHECK(!child.stopped());
  CHECK(child.dying());
  CHECK(thread.state() == ThreadState::Runnable);
  CHECK(child.state() == ProcessState::Alive);
  // Its pause() never returns: the thread ends the group when it runs.
  b.kernel.schedule();
  CHECK(child.state() == ProcessState::Zombie);
  CHECK(child.exit_status() == abi::kSIGKILL);
  CHECK(&b.kernel.current() == &parent);
}
