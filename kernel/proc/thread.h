// A guest thread: what one CPU runs. (A stopped thread group is the Process's state: the
// scheduler passes its threads by.) Its registers live in the CPU while it runs and in
// `context` while it does not. Everything a thread shares with the rest of its thread
// group (address space, files, signal handlers) lives in its Process.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/hal.h"
#include "kernel/mm/mempolicy.h"
#include "kernel/proc/sig_pending.h"

namespace kernel {

class Process;
class WaitQueue;

enum class ThreadState : u8 {
  Runnable,  // running, or waiting for the CPU
  Blocked,   // in a syscall that waits (BlockedCall)
  Dead,      // exited; the record goes at the next schedule
};

// Why a blocked thread woke up.
enum class WakeReason : u8 { None, Event, Timeout, Signal };

// The syscall a blocked thread waits in. When the thread runs again the kernel calls the
// handler again with the same arguments, `resuming` set: the handler looks at the state
// again, finishes the call, or blocks once more.
struct BlockedCall {
  u64 nr = 0;
  u64 args[6] = {};
  // CLOCK_MONOTONIC nanoseconds at which the wait times out; 0: none.
  u64 deadline_ns = 0;
  // What the call returns when a signal to be handled interrupts it (ERESTARTSYS,
  // ERESTARTNOHAND, EINTR ...), unless the handler answers an interruption itself.
  abi::Errno on_signal = abi::kERESTARTSYS;
  WakeReason reason = WakeReason::None;
  std::vector<WaitQueue*> queues;  // what it waits on
  // State a handler keeps from one attempt to the next (a deadline, a count).
  u64 scratch[4] = {};
  // A futex wait: the bitset it waits with, and whether a wake (not a timeout, a signal or
  // a queue going away) ended it.
  u32 futex_bitset = 0;
  bool futex_woken = false;
  bool resuming = false;
};

class Thread {
 public:
  Thread(int tid, std::shared_ptr<Process> process) : m_tid(tid), m_process(std::move(process)) {}
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;

  int tid() const { return m_tid; }
  Process& process() const { return *m_process; }
  const std::shared_ptr<Process>& process_ptr() const { return m_process; }
  // execve by a non-leader thread takes over the leader's pid (de_thread).
  void set_tid(int tid) { m_tid = tid; }

  hal::CpuContext& context() { return m_context; }
  ThreadState& state() { return m_state; }
  ThreadState state() const { return m_state; }
  BlockedCall& call() { return m_call; }
  bool blocked() const { return m_state == ThreadState::Blocked; }

  u64& signal_mask() { return m_signal_mask; }
  u64 signal_mask() const { return m_signal_mask; }
  // Signals sent to this thread (tgkill, faults); the group's own are in the Process.
  SigPending& pending() { return m_pending; }
  // rt_sigsuspend's mask to put back on the way out (Linux's saved_sigmask with
  // TIF_RESTORE_SIGMASK): the mask a handler's frame saves, or restored if none runs.
  std::optional<u64>& saved_sigmask() { return m_saved_sigmask; }
  // The last CPU exception that raised a signal (Linux's thread.trap_nr, error_code, cr2).
  // Every signal frame shows it, as on Linux, until the next one.
  struct TrapState {
    u64 trapno = 0;
    u64 error_code = 0;
    u64 cr2 = 0;
  };
  TrapState& trap_state() { return m_trap_state; }
  const TrapState& trap_state() const { return m_trap_state; }
  // set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken when the thread exits.
  u64& clear_child_tid() { return m_clear_child_tid; }
  // CLONE_CHILD_SETTID: written with the tid before the thread first runs.
  u64& set_child_tid() { return m_set_child_tid; }
  u64& robust_list() { return m_robust_list; }
  u64& robust_list_len() { return m_robust_list_len; }
  // The alternate signal stack (sigaltstack): Linux's sas_ss_sp, sas_ss_flags, sas_ss_size.
  struct AltStack {
    u64 sp = 0;
    i32 flags = abi::kSS_DISABLE;
    u64 size = 0;
    // __on_sig_stack: addr lies in (sp, sp + size].
    bool contains(u64 addr) const { return addr > sp && addr - sp <= size; }
    // on_sig_stack: with SS_AUTODISARM a thread is never "on" the stack, by construction.
    bool on(u64 addr) const { return !(flags & abi::kSS_AUTODISARM) && contains(addr); }
    // sas_ss_flags: SS_DISABLE, SS_ONSTACK or 0 for a thread whose stack pointer is addr.
    i32 state(u64 addr) const {
      if (size == 0) return abi::kSS_DISABLE;
      return on(addr) ? abi::kSS_ONSTACK : 0;
    }
  };
  AltStack& alt_stack() { return m_alt_stack; }
  const AltStack& alt_stack() const { return m_alt_stack; }
  // prctl(PR_MCE_KILL): the thread's own early-kill choice for hardware poison (Linux's
  // PF_MCE_PROCESS and PF_MCE_EARLY task flags), inherited by clone; unset: the sysctl
  // vm.memory_failure_early_kill decides.
  struct MceKillPolicy {
    bool process = false;  // PF_MCE_PROCESS: the thread chose
    bool early = false;    // PF_MCE_EARLY
  };
  MceKillPolicy& mce_kill() { return m_mce_kill; }
  // Guest instructions' CPU time is not measured per thread; these count scheduling.
  u64& voluntary_switches() { return m_voluntary_switches; }
  class Scheduler*& scheduler() {
    return m_scheduler;
  }
  u64& involuntary_switches() { return m_involuntary_switches; }
  // --strace: the call in progress, its "[pid N] " lead as it was when the call started, and
  // the line as far as strace prints it at the start ("wait4(101, "), formatted when first
  // needed (guest memory the call reads is then mapped); whether another line cut it short
  // (<unfinished ...>).
  struct StraceCall {
    u64 nr = 0;
    u64 args[6] = {};
    std::string prefix;
    std::string entry;
    bool formatted = false;
    bool unfinished = false;
  };
  StraceCall& strace_call() { return m_strace_call; }
  // Time on the CPU, in nanoseconds (CLOCK_THREAD_CPUTIME_ID).
  u64& cpu_ns() { return m_cpu_ns; }
  // The signals rt_sigtimedwait waits for: while it waits they are taken as if unblocked
  // (Linux lowers `blocked` and keeps the old mask in real_blocked; here the mask stays).
  u64& sigwait_set() { return m_sigwait_set; }
  u64 sigwait_set() const { return m_sigwait_set; }
  // Whether `sig` would be taken by this thread now (not blocked, or waited for).
  bool wants(int sig) const {
    const u64 bit = u64{1} << (sig - 1);
    return !(m_signal_mask & bit) || (m_sigwait_set & bit);
  }
  // Scheduling attributes (sched_setscheduler, setpriority): stored and reported; one
  // round-robin queue runs every thread whatever they say.
  struct SchedAttr {
    int policy = abi::kSCHED_OTHER;
    int rt_priority = 0;
    int nice = 0;
    bool reset_on_fork = false;
  };
  SchedAttr& sched() { return m_sched; }
  // set_mempolicy's task policy (current->mempolicy): copied by clone, kept across execve.
  mm::MemPolicy& mempolicy() { return m_mempolicy; }

 private:
  int m_tid;
  std::shared_ptr<Process> m_process;
  hal::CpuContext m_context;
  ThreadState m_state = ThreadState::Runnable;
  BlockedCall m_call;
  u64 m_signal_mask = 0;
  SigPending m_pending;
  std::optional<u64> m_saved_sigmask;
  mm::MemPolicy m_mempolicy;
  TrapState m_trap_state;
  u64 m_clear_child_tid = 0;
  u64 m_set_child_tid = 0;
  u64 m_robust_list = 0;
  u64 m_robust_list_len = 0;
  AltStack m_alt_stack;
  MceKillPolicy m_mce_kill;
  class Scheduler* m_scheduler = nullptr;
  u64 m_voluntary_switches = 0;
  u64 m_involuntary_switches = 0;
  StraceCall m_strace_call;
  u64 m_cpu_ns = 0;
  u64 m_sigwait_set = 0;
  SchedAttr m_sched;
};

}  // namespace kernel
