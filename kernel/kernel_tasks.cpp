// The Kernel's process half: clone in all its forms, thread and process exit, zombies,
// reaping and reparenting, and the end of the run when the first process ends.
#include <time.h>

#include <string>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_timers.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/strace.h"

namespace kernel {

namespace {

using abi::Errno;

// Threads the whole guest may have (Linux's threads-max is far larger; this bounds the
// emulator's own memory).
constexpr u64 kMaxThreads = 4096;
constexpr u64 kEflagsRF = u64{1} << 16;

u64 boot_clock_ns() {
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<u64>(now.tv_sec) * 1'000'000'000 + static_cast<u64>(now.tv_nsec);
}

// copy_process's checks of the flags, in its order.
Result<void> check_clone_flags(u64 flags, bool caller_is_init) {
  if ((flags & (abi::kCLONE_NEWNS | abi::kCLONE_FS)) == (abi::kCLONE_NEWNS | abi::kCLONE_FS))
    return Errno::kEINVAL;
  if ((flags & (abi::kCLONE_NEWUSER | abi::kCLONE_FS)) == (abi::kCLONE_NEWUSER | abi::kCLONE_FS))
    return Errno::kEINVAL;
  if ((flags & abi::kCLONE_THREAD) && !(flags & abi::kCLONE_SIGHAND)) return Errno::kEINVAL;
  if ((flags & abi::kCLONE_SIGHAND) && !(flags & abi::kCLONE_VM)) return Errno::kEINVAL;
  // The first process is its pid namespace's init: it may not make siblings.
  if ((flags & abi::kCLONE_PARENT) && caller_is_init) return Errno::kEINVAL;
  if ((flags & abi::kCLONE_PIDFD) && (flags & (abi::kCLONE_DETACHED | abi::kCLONE_THREAD)))
    return Errno::kEINVAL;
  // Namespaces are not emulated: one pid, mount, uts, ipc and network namespace for all.
  if (flags & (abi::kCLONE_NAMESPACES | abi::kCLONE_NEWTIME)) return Errno::kEINVAL;
  return {};
}

}  // namespace

Result<i64> Kernel::clone(const CloneRequest& request) {
  const u64 flags = request.flags;
  Thread& parent_thread = *m_current;
  Process& parent = *m_current_process;
  TRY(check_clone_flags(flags, &parent == m_init));
  if (m_threads.size() >= kMaxThreads) return Errno::kEAGAIN;

  const int tid = allocate_pid();
  if (!tid) return Errno::kEAGAIN;

  std::shared_ptr<Process> process;
  if (flags & abi::kCLONE_THREAD) {
    process = m_processes.at(parent.pid());
  } else {
    std::shared_ptr<mm::AddressSpace> as;
    if (flags & abi::kCLONE_VM) {
      as = parent.address_space_ptr();
    } else {
      auto copy = TRY(parent.address_space().fork());
      as = std::move(copy);
    }
    process = std::make_shared<Process>(tid, std::move(as));
    Process& child = *process;
    child.fds_ptr() = (flags & abi::kCLONE_FILES) ? parent.fds_ptr()
                                                  : std::make_shared<fs::FdTable>(parent.fds());
    child.fs_ptr() =
        (flags & abi::kCLONE_FS) ? parent.fs_ptr() : std::make_shared<fs::FsContext>(parent.fs());
    child.signal_actions_ptr() = (flags & abi::kCLONE_SIGHAND)
                                     ? parent.signal_actions_ptr()
                                     : std::make_shared<SignalActions>(parent.signal_actions());
    if (flags & abi::kCLONE_CLEAR_SIGHAND) {
      // Handlers go back to SIG_DFL; ignored signals stay ignored.
      for (SignalAction& a : child.signal_actions())
        if (a.handler != abi::kSIG_IGN) a = {};
    }
    Process* new_parent = (flags & abi::kCLONE_PARENT) ? parent.parent() : &parent;
    child.set_parent(new_parent);
    new_parent->children().push_back(&child);
    child.pgid() = parent.pgid();
    child.sid() = parent.sid();
    child.exit_signal() = request.exit_signal;
    child.creds() = parent.creds();
    child.set_exe_path(parent.exe_path());
    child.rlimits() = parent.rlimits();
    child.comm() = parent.comm();
    child.prctl_state() = parent.prctl_state();
    child.prctl_state().pdeath_signal = 0;
    child.prctl_state().child_subreaper = false;
    child.layout() = parent.layout();
    child.oom_score_adj() = parent.oom_score_adj();
    child.start_time_ns() = boot_clock_ns();
    m_processes[tid] = process;
    ++m_processes_created;
  }

  Thread* thread = new_thread(process, tid);
  // The child returns from the same syscall with 0, where `syscall` left %rcx and %r11.
  hal::CpuContext& ctx = thread->context();
  m_cpu.save_context(ctx);
  auto reg = [&ctx](hal::Reg r) -> u64& { return ctx.regs[static_cast<int>(r)]; };
  reg(hal::Reg::Rax) = 0;
  reg(hal::Reg::Rcx) = reg(hal::Reg::Rip);
  reg(hal::Reg::R11) = reg(hal::Reg::Rflags) & ~kEflagsRF;
  if (request.stack) reg(hal::Reg::Rsp) = request.stack;
  if (flags & abi::kCLONE_SETTLS) reg(hal::Reg::FsBase) = request.tls;
  thread->signal_mask() = parent_thread.signal_mask();
  thread->mempolicy() = parent_thread.mempolicy();  // mpol_dup in copy_process
  thread->mce_kill() = parent_thread.mce_kill();    // task flags are copied (copy_process)
  // sched_fork: the scheduling attributes are inherited, unless SCHED_RESET_ON_FORK asks
  // for the defaults back (a real-time policy goes, a negative nice goes).
  thread->sched() = parent_thread.sched();
  if (Thread::SchedAttr& sched = thread->sched(); sched.reset_on_fork) {
    if (sched.policy == abi::kSCHED_FIFO || sched.policy == abi::kSCHED_RR) {
      sched.policy = abi::kSCHED_OTHER;
      sched.rt_priority = 0;
    }
    if (sched.nice < 0) sched.nice = 0;
    sched.reset_on_fork = false;
  }
  // A thread sharing the memory of its creator cannot share its signal stack.
  if ((flags & (abi::kCLONE_VM | abi::kCLONE_VFORK)) != abi::kCLONE_VM)
    thread->alt_stack() = parent_thread.alt_stack();
  if (flags & abi::kCLONE_CHILD_SETTID) thread->set_child_tid() = request.child_tid;
  if (flags & abi::kCLONE_CHILD_CLEARTID) thread->clear_child_tid() = request.child_tid;

  if (flags & abi::kCLONE_PIDFD) {
    auto fd = parent.fds().allocate(proc::make_pidfd(process, 0), fs::CloseOnExec::Yes);
    if (!fd.ok()) {
      zap_process(*process, 0);
      reap(*process);
      return fd.error();
    }
    const i32 value = fd.value();
    if (!mm::write_user(parent.address_space(), request.pidfd, value).ok()) {
      (void)parent.fds().close(value);
      zap_process(*process, 0);
      reap(*process);
      return Errno::kEFAULT;
    }
  }
  if (flags & abi::kCLONE_PARENT_SETTID) {
    const i32 value = tid;
    (void)mm::write_user(parent.address_space(), request.parent_tid, value);
  }
  if (tracing(kTraceFork)) [[unlikely]] {
    const std::string decoded =
        syscalls::format_clone_flags(flags | static_cast<u64>(request.exit_signal));
    emit("clone", {TraceField::dec("parent", static_cast<u64>(parent_thread.tid())),
                   TraceField::dec("child", static_cast<u64>(tid)),
                   TraceField::dec("pid", static_cast<u64>(process->pid())),
                   TraceField::str("flags", decoded.c_str())});
  }
  return tid;
}

void Kernel::exit_thread(int code) {
  Thread& thread = *m_current;
  Process& process = thread.process();
  if (process.threads().size() == 1) {
    exit_process(code);
    return;
  }
  if (m_options.strace || tracing(kTraceFork)) [[unlikely]]
    thread_exited(thread, (code & 0xff) << 8, false);
  release_thread(thread);
  m_need_resched = true;
  m_cpu.request_stop();
}

void Kernel::exit_robust_list(Thread& thread) {
  const u64 head = thread.robust_list();
  thread.robust_list() = 0;
  if (!head) return;
  mm::AddressSpace& as = thread.process().address_space();
  // struct robust_list_head { next; futex_offset; list_op_pending }; bit 0 of an entry
  // marks a PI futex.
  struct Head {
    u64 next;
    i64 futex_offset;
    u64 op_pending;
  };
  auto fetched = mm::read_user<Head>(as, head);
  if (!fetched.ok()) return;
  const Head h = fetched.value();
  // handle_futex_death: the futex the entry points at, if this thread owns it.
  auto futex_death = [&](u64 entry, bool pi, bool pending_op) {
    const u64 uaddr = entry + static_cast<u64>(h.futex_offset);
    if (uaddr % 4) return;
    auto word = mm::read_user<u32>(as, uaddr);
    if (!word.ok()) return;
    const u32 uval = word.value();
    auto wake_one = [&] {
      if (auto key = FutexTable::key(as, uaddr, false); key.ok())
        m_futexes.wake(key.value(), 1, ~u32{0});
    };
    // A lock being taken or released when the thread died: wake a waiter that may have
    // seen the word change.
    if (pending_op && !pi && !uval) {
      wake_one();
      return;
    }
    if ((uval & abi::kFUTEX_TID_MASK) != static_cast<u32>(thread.tid())) return;
    const u32 mval = (uval & abi::kFUTEX_WAITERS) | abi::kFUTEX_OWNER_DIED;
    if (!mm::write_user(as, uaddr, mval).ok()) return;
    if (!pi && (uval & abi::kFUTEX_WAITERS)) wake_one();
  };
  u64 entry = h.next & ~u64{1};
  bool pi = h.next & 1;
  const u64 pending = h.op_pending & ~u64{1};
  const bool pending_pi = h.op_pending & 1;
  constexpr int kRobustListLimit = 2048;  // ROBUST_LIST_LIMIT: a cycle cannot hold us
  for (int limit = kRobustListLimit; entry != head;) {
    auto next = mm::read_user<u64>(as, entry);
    if (entry != pending) futex_death(entry, pi, false);
    if (!next.ok()) return;
    entry = next.value() & ~u64{1};
    pi = next.value() & 1;
    if (!--limit) break;
  }
  if (pending) futex_death(pending, pending_pi, true);
}

void Kernel::release_thread(Thread& thread) {
  Process& process = thread.process();
  if (process.alive()) exit_robust_list(thread);
  // mm_release: a thread that asked to be told (CLONE_CHILD_CLEARTID, set_tid_address)
  // gets its tid word zeroed and one waiter woken, as pthread_join relies on.
  if (const u64 tidptr = thread.clear_child_tid(); tidptr && process.alive()) {
    const u32 zero = 0;
    mm::AddressSpace& as = process.address_space();
    if (mm::copy_to_user(as, tidptr, &zero, sizeof zero).ok())
      if (auto key = FutexTable::key(as, tidptr, false); key.ok())
        m_futexes.wake(key.value(), 1, ~u32{0});
  }
  m_scheduler.remove(thread);
  std::erase(process.threads(), &thread);
  if (process.leader() == &thread)
    process.set_leader(process.threads().empty() ? nullptr : process.threads().front());
  auto it = m_threads.find(thread.tid());
  if (it != m_threads.end()) {
    m_dead_threads.push_back(std::move(it->second));
    m_threads.erase(it);
  }
}

void Kernel::exit_process(int status) {
  zap_process(*m_current_process, (status & 0xff) << 8);
}

void Kernel::kill_process(int signal, int si_code, u64 fault_addr) {
  Process& process = *m_current_process;
  if (&process == m_init && !m_exit.exited) {
    m_exit.signal = signal;
    m_exit.si_code = si_code;
    m_exit.fault_addr = fault_addr;
  }
  zap_process(process, fatal_status(process, signal));
}

bool Kernel::mark_group_exit(Process& process, int status) {
  if (!process.alive() || process.exiting()) return false;
  process.exiting() = true;
  process.exit_status() = status;
  if (tracing(kTraceSignal) && (status & 0x7f)) [[unlikely]] {
    const char* name = abi::signal_name(status & 0x7f);
    emit("signal-fatal",
         {TraceField::dec("pid", static_cast<u64>(process.pid())),
          name ? TraceField::str("sig", name) : TraceField::dec("sig", status & 0x7f),
          TraceField::dec("core", (status & 0x80) ? 1 : 0)});
  }
  return true;
}

void Kernel::zap_process(Process& process, int status) {
  if (!process.alive()) return;
  // A group already being ended (its threads are going now) is left to finish; one that
  // was only marked dying ends now, with the status it was marked with.
  if (!mark_group_exit(process, status) && !process.group_exit_pending()) return;
  process.group_exit_pending() = false;
  end_threads(process, nullptr);
  process_ended(process);
  if (m_exit.exited) return;  // the run is over, and the CPU already told
  m_need_resched = true;
  m_cpu.request_stop();
}

void Kernel::begin_group_exit(Process& process, int status) {
  if (!mark_group_exit(process, status)) return;
  process.group_exit_pending() = true;
  // signal_wake_up(t, 1) for each thread: a stopped group runs again to die, and a thread
  // waiting in a call wakes, whether the wait is interruptible or not.
  process.stopped() = false;
  for (Thread* t : process.threads())
    if (t->blocked()) m_scheduler.make_runnable(*t, WakeReason::Signal);
  // They run in turn with the others: the sender is not preempted for them, but once more
  // than one thread can run the quantum is armed.
  m_cpu.set_preemption(m_scheduler.runnable_count() > 1);
}

bool Kernel::will_free_memory(Process& process) {
  if (!process.dying()) return false;
  const mm::AddressSpace* mm = &process.address_space();
  for (Process* other : processes())
    if (other != &process && &other->address_space() == mm && !other->dying()) return false;
  return true;
}

void Kernel::end_threads(Process& process, Thread* except) {
  const std::vector<Thread*> threads = process.threads();
  for (Thread* t : threads) {
    if (t == except) continue;
    // Threads that exec ends exit with 0 (de_thread); the others with the group's status.
    if (m_options.strace || tracing(kTraceFork)) [[unlikely]]
      thread_exited(*t, except ? 0 : process.exit_status(), !except && t == threads.back());
    release_thread(*t);
  }
}

void Kernel::process_ended(Process& process) {
  exit_timers(process, false);
  process.state() = ProcessState::Zombie;
  process.stopped() = false;
  // exit_files, exit_mm: what the process held goes now; a zombie keeps only its record.
  const void* files = process.fds_ptr().get();
  const bool last_user = process.fds_ptr().use_count() == 1;
  process.fds_ptr() = std::make_shared<fs::FdTable>();
  // Its POSIX record locks go with its file table (and OFD locks with their files).
  if (last_user) {
    m_file_locks.release(files);
    m_file_locks.clear_waiting(files);
  }
  if (!process.vfork_done()) {
    process.vfork_done() = true;
    process.vfork_wait().wake_all();
  }
  // A zombie maps nothing. One empty address space, made at boot, stands for all of them:
  // a process that ends because memory ran out must not need memory to end. The first
  // process keeps its memory: the run ends with it, and --stats reports on it.
  if (&process != m_init) process.address_space_ptr() = m_empty_mm;
  process.shared_pending().discard(~u64{0});
  if (&process == m_init) {
    const int status = process.exit_status();
    if (!(status & 0x7f)) {
      m_exit.status = (status >> 8) & 0xff;
    } else if (!m_exit.signal) {
      m_exit.signal = status & 0x7f;
      m_exit.si_code = abi::kSI_USER;
    }
    end_run();
    return;
  }
  // forget_original_parent: orphans go to the nearest live child subreaper among the
  // ancestors, else to the first process. Each is told as reparent_leader tells it: its
  // exit signal becomes SIGCHLD, and one that has already ended is reported to its new
  // parent now (or reaped at once, if that parent does not keep zombies).
  Process* reaper = m_init;
  for (Process* p = process.parent(); p && p != m_init; p = p->parent()) {
    if (p->prctl_state().child_subreaper && p->alive() && !p->exiting()) {
      reaper = p;
      break;
    }
  }
  const std::vector<Process*> orphans = std::move(process.children());
  process.children().clear();
  for (Process* child : orphans) {
    child->set_parent(reaper);
    reaper->children().push_back(child);
    child->exit_signal() = abi::kSIGCHLD;
    if (const int sig = child->prctl_state().pdeath_signal; sig && child->alive()) {
      abi::Siginfo info{};
      info.si_signo = sig;
      info.si_code = abi::kSI_USER;  // from the parent, as SEND_SIG_NOINFO makes it
      info.fields.kill.pid = process.pid();
      info.fields.kill.uid = process.creds().uid;
      signal_process(*child, info);
    }
  }
  for (Process* child : orphans) {
    if (child->state() != ProcessState::Zombie) continue;
    const int st = child->exit_status();
    if (st & 0x7f)
      notify_parent(*child, (st & 0x80) ? abi::kCLD_DUMPED : abi::kCLD_KILLED, st & 0x7f);
    else
      notify_parent(*child, abi::kCLD_EXITED, (st >> 8) & 0xff);
  }
  process.exit_wait().wake_all();
  const int status = process.exit_status();
  const int sig = status & 0x7f;
  if (sig) {
    notify_parent(process, (status & 0x80) ? abi::kCLD_DUMPED : abi::kCLD_KILLED, sig);
  } else {
    notify_parent(process, abi::kCLD_EXITED, (status >> 8) & 0xff);
  }
}

void Kernel::notify_parent(Process& child, int why, int status) {
  Process* parent = child.parent();
  if (!parent || !parent->alive()) return;
  const bool ended = why == abi::kCLD_EXITED || why == abi::kCLD_KILLED || why == abi::kCLD_DUMPED;
  const SignalAction& chld = parent->signal_actions()[abi::kSIGCHLD];
  if (!ended && (chld.flags & abi::kSA_NOCLDSTOP)) {
    parent->child_wait().wake_all();
    return;
  }
  int sig = ended ? child.exit_signal() : abi::kSIGCHLD;
  abi::Siginfo info{};
  info.si_signo = sig;
  info.si_code = why;
  info.fields.child.pid = child.pid();
  info.fields.child.uid = child.creds().uid;
  info.fields.child.status = status;
  // do_notify_parent: a parent that ignores SIGCHLD (or says SA_NOCLDWAIT) does not keep
  // zombies; the child is reaped at once and the signal, if ignored, not sent.
  bool autoreap = false;
  if (ended && sig == abi::kSIGCHLD &&
      (chld.handler == abi::kSIG_IGN || (chld.flags & abi::kSA_NOCLDWAIT))) {
    autoreap = true;
    if (chld.handler == abi::kSIG_IGN) sig = 0;
  }
  if (sig > 0 && sig <= abi::kNumSignals) signal_process(*parent, info);
  parent->child_wait().wake_all();
  if (autoreap) reap(child);
}

void Kernel::reap(Process& child) {
  if (child.state() == ProcessState::Reaped) return;
  if (tracing(kTraceFork)) [[unlikely]] {
    const int status = child.exit_status();
    const int sig = status & 0x7f;
    const char* name = sig ? abi::signal_name(sig) : nullptr;
    const Process* parent = child.parent();
    emit("reap", {TraceField::dec("parent", parent ? static_cast<u64>(parent->pid()) : 0),
                  TraceField::dec("child", static_cast<u64>(child.pid())),
                  !sig   ? TraceField::dec("code", static_cast<u64>((status >> 8) & 0xff))
                  : name ? TraceField::str("signal", name)
                         : TraceField::dec("signal", static_cast<u64>(sig))});
  }
  if (Process* parent = child.parent()) std::erase(parent->children(), &child);
  child.state() = ProcessState::Reaped;
  child.exit_wait().wake_all();
  m_processes.erase(child.pid());  // a pidfd may hold the record on
}

void Kernel::end_run() {
  if (m_exit.exited) return;
  m_exit.exited = true;
  // A call still waiting ends unfinished, as strace shows it when the trace stops.
  if (m_options.strace && m_sink) strace_flush_open();
  for (auto& [tid, t] : m_threads) m_scheduler.remove(*t);
  m_memory.sync_page_caches();
  m_cpu.request_stop();
}

void Kernel::exec_done(Process& process) {
  process.fork_no_exec() = false;
  // de_thread: the other threads go; the caller carries on as the process, and one that
  // was not the leader takes over the leader's pid as its tid (gettid() == getpid()).
  end_threads(process, m_current);
  if (Thread* t = m_current; t->tid() != process.pid()) {
    auto node = m_threads.extract(t->tid());
    if (!node.empty()) {
      node.key() = process.pid();
      t->set_tid(process.pid());
      m_threads.insert(std::move(node));
    }
    process.set_leader(t);
  }
  // Its POSIX timers (not its itimers) end.
  exit_timers(process, true);
  if (!process.vfork_done()) {
    process.vfork_done() = true;
    process.vfork_wait().wake_all();
  }
}

}  // namespace kernel
