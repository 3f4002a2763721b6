// The Kernel's scheduling half: context switches, waiting syscalls run again when their
// thread wakes, the time quantum, and idling the host while every thread waits.
#include <time.h>

#include <cstdio>
#include <utility>

#include "kernel/fs/host_waits.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/khugepaged.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/proc/wait_queue.h"
#include "kernel/syscalls/syscall.h"

namespace kernel {

namespace syscalls {

abi::Errno SyscallContext::block(std::initializer_list<WaitQueue*> queues, u64 deadline_ns,
                                 abi::Errno on_signal) {
  return block_on_list(queues.begin(), queues.size(), deadline_ns, on_signal);
}

abi::Errno SyscallContext::block_on_list(WaitQueue* const* queues, u64 count, u64 deadline_ns,
                                         abi::Errno on_signal) {
  BlockedCall& call = thread.call();
  for (WaitQueue* q : call.queues) q->remove(thread);
  call.queues.clear();
  for (u64 i = 0; i < count; ++i)
    if (queues[i]) queues[i]->add(thread);
  call.deadline_ns = deadline_ns;
  call.on_signal = on_signal;
  return abi::kEWAIT;
}

}  // namespace syscalls

u64 Kernel::monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<u64>(now.tv_sec) * 1'000'000'000 + static_cast<u64>(now.tv_nsec);
}

void Kernel::preempt() {
  if (m_scheduler.runnable_count() <= 1) return;
  if (m_current) ++m_current->involuntary_switches();
  m_need_resched = true;
}

void Kernel::yield() {
  preempt();
  m_yielding = m_need_resched;
}

namespace {

// Why `prev` leaves the CPU, for the sched-switch event.
const char* switch_reason(const Thread& prev, bool yielding) {
  switch (prev.state()) {
    case ThreadState::Dead:
      return "exit";
    case ThreadState::Blocked:
      return "block";
    case ThreadState::Runnable:
      break;
  }
  if (prev.process().stopped()) return "stop";
  return yielding ? "yield" : "preempt";
}

}  // namespace

void Kernel::switch_to(Thread& next) {
  Thread* prev = m_current;
  if (prev == &next) return;
  if (prev && prev->state() != ThreadState::Dead) m_cpu.save_context(prev->context());
  m_cpu.restore_context(next.context());
  mm::AddressSpace& as = next.process().address_space();
  if (!prev || &prev->process().address_space() != &as) {
    // mov %cr3: a new root, and every cached translation of the old one goes.
    m_cpu.set_page_table_root(as.page_table().root());
    m_cpu.flush_tlb();
  }
  m_current = &next;
  m_current_process = &next.process();
  m_scheduler.set_running(next.tid());
}

void Kernel::schedule() {
  m_need_resched = false;
  // For the sched-switch event: who leaves the CPU and why (a dead thread's record goes
  // below).
  int prev_tid = m_current ? m_current->tid() : 0;
  bool yielding = std::exchange(m_yielding, false);
  if (m_current && m_current->state() == ThreadState::Dead) {
    m_current = nullptr;
    m_current_process = nullptr;
  }
  m_dead_threads.clear();
  // The thread leaving the CPU is charged its time; time spent idle is nobody's.
  account_cpu(monotonic_ns());
  m_running_since_ns = 0;
  while (!m_exit.exited) {
    const u64 now_ns = monotonic_ns();
    m_timers.expire(now_ns);
    u64 nearest = m_scheduler.expire(now_ns);
    if (const u64 timer = m_timers.nearest(); timer && (!nearest || timer < nearest))
      nearest = timer;
    // ksmd and khugepaged go on while the guest sleeps towards a deadline (a guest waiting
    // for merges or collapses). They never keep an otherwise deadlocked run alive: with
    // nothing else to wait for, the run ends as before.
    if (nearest) {
      m_memory.ksm().tick(now_ns);
      if (const u64 ksmd = m_memory.ksm().next_scan_ns(); ksmd && ksmd < nearest) nearest = ksmd;
      mm::khugepaged_step(m_memory, now_ns);
      if (const u64 khugepaged = mm::khugepaged_next_scan_ns(m_memory);
          khugepaged && khugepaged < nearest)
        nearest = khugepaged;
    }
    Thread* next = m_scheduler.pick_next(m_current);
    fs::HostWaits& host = fs::HostWaits::instance();
    if (!next) {
      if (host.any_waiting()) {
        // Idle on the host's stdio until it is ready or the nearest deadline comes.
        const u64 now = monotonic_ns();
        host.poll(!nearest ? ~u64{0} : nearest > now ? nearest - now : 0);
        continue;
      }
      if (!nearest) {
        // Nothing runs and nothing will: every thread waits for something no thread can
        // do, and no timer is left. Linux would wait forever; the run ends instead.
        if (m_sink) {
          m_sink->warning("every guest thread waits with nothing left to wake it: deadlock");
          // Which call each thread waits in, to tell what nobody will ever do.
          for (Thread* t : m_scheduler.blocked()) {
            const syscalls::SyscallInfo* info = syscalls::lookup_syscall(t->call().nr);
            char line[128];
            std::snprintf(line, sizeof line, "thread %d of process %d waits in %s", t->tid(),
                          t->process().pid(), info ? info->name : "?");
            m_sink->warning(line);
          }
        }
        m_exit.signal = abi::kSIGKILL;
        m_exit.si_code = abi::kSI_KERNEL;
        end_run();
        return;
      }
      const u64 now = monotonic_ns();
      if (nearest > now) {
        const u64 wait = nearest - now;
        const timespec ts{static_cast<time_t>(wait / 1'000'000'000),
                          static_cast<long>(wait % 1'000'000'000)};
        nanosleep(&ts, nullptr);
      }
      continue;
    }
    host.recheck(monotonic_ns());
    const char* why = "exit";
    if (tracing(kTraceSched) && m_current) [[unlikely]]
      why = switch_reason(*m_current, yielding);
    yielding = false;
    switch_to(*next);
    if (tracing(kTraceSched) && next->tid() != prev_tid) [[unlikely]] {
      const WakeReason woken = next->call().reason;
      if (woken != WakeReason::None)
        emit("sched-switch",
             {TraceField::dec("prev", static_cast<u64>(prev_tid)),
              TraceField::dec("next", static_cast<u64>(next->tid())),
              TraceField::str("reason", why), TraceField::str("woken", wake_reason_name(woken))});
      else
        emit("sched-switch", {TraceField::dec("prev", static_cast<u64>(prev_tid)),
                              TraceField::dec("next", static_cast<u64>(next->tid())),
                              TraceField::str("reason", why)});
    }
    prev_tid = next->tid();
    if (Process& dying = next->process(); dying.group_exit_pending()) {
      // do_group_exit from get_signal: the first thread of a dying group to run ends it,
      // its waiting call (if any) never finished.
      zap_process(dying, dying.exit_status());
      if (m_exit.exited) return;
      m_need_resched = false;
      continue;
    }
    if (next->call().resuming || next->call().reason != WakeReason::None) {
      resume_call(*next);
      if (next->state() != ThreadState::Runnable || m_current != next) continue;
    } else if (Thread* t = m_current; t->set_child_tid()) {
      // CLONE_CHILD_SETTID: the child writes its own tid before its first instruction.
      const u32 tid = static_cast<u32>(t->tid());
      (void)mm::copy_to_user(t->process().address_space(), t->set_child_tid(), &tid, sizeof tid);
      t->set_child_tid() = 0;
      if (signal_pending(*t)) return_to_user({});
    } else if (signal_pending(*m_current)) {
      return_to_user({});
    }
    if (m_exit.exited) return;
    if (m_current->state() == ThreadState::Runnable && !m_current->process().stopped()) break;
  }
  if (m_exit.exited) return;
  m_cpu.set_preemption(m_scheduler.runnable_count() > 1);
  m_running_since_ns = monotonic_ns();
  update_wakeup();
}

void Kernel::resume_call(Thread& thread) {
  BlockedCall& call = thread.call();
  const WakeReason reason = call.reason;
  call.reason = WakeReason::None;
  const syscalls::SyscallInfo* info = syscalls::lookup_syscall(call.nr);
  syscalls::SyscallArgs args;
  args.nr = call.nr;
  std::copy(std::begin(call.args), std::end(call.args), args.a);
  const bool interrupted = signal_pending(thread);
  call.resuming = true;
  call.reason = interrupted ? WakeReason::Signal : reason;
  syscalls::SyscallContext ctx{*this, thread.process(), thread, m_cpu};
  Result<i64> r = info->handler(ctx, args);
  call.resuming = false;
  call.reason = WakeReason::None;
  if (m_exit.exited || thread.state() == ThreadState::Dead || m_current != &thread) return;
  if (!r.ok() && r.error() == abi::kEWAIT) {
    if (!interrupted) {
      m_scheduler.block(thread);
      --thread.voluntary_switches();  // still the same wait
      if (tracing(kTraceSched)) [[unlikely]]
        emit("sched-block", {TraceField::dec("tid", static_cast<u64>(thread.tid())),
                             TraceField::str("syscall", info->name),
                             TraceField::dec("deadline", call.deadline_ns)});
      return;
    }
    // The handler did not answer the interruption: the call ends with its restart code.
    for (WaitQueue* q : call.queues) q->remove(thread);
    call.queues.clear();
    r = call.on_signal;
  }
  const i64 ret = r.ok() ? r.value() : -static_cast<i64>(r.error());
  finish_syscall(info, call.args, call.nr, ret);
}

}  // namespace kernel
