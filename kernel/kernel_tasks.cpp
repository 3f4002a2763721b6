// The Kernel's process half: clone in all its forms, thread and process exit, zombies,
// reaping and reparenting, and the end of the run when the first process ends.
#include <time.h>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"

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
  return tid;
}

void Kernel::exit_thread(int code) {
  Thread& thread = *m_current;
  Process& process = thread.process();
  if (process.threads().size() == 1) {
    exit_process(code);
    return;
  }
  release_thread(thread);
  m_need_resched = true;
  m_cpu.request_stop();
}

void Kernel::release_thread(Thread& thread) {
  Process& process = thread.process();
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
  zap_process(process, signal & 0x7f);
}

void Kernel::zap_process(Process& process, int status) {
  if (!process.alive() || process.exiting()) return;
  process.exiting() = true;
  process.exit_status() = status;
  end_threads(process, nullptr);
  process_ended(process);
  if (m_exit.exited) return;  // the run is over, and the CPU already told
  m_need_resched = true;
  m_cpu.request_stop();
}

void Kernel::end_threads(Process& process, Thread* except) {
  const std::vector<Thread*> threads = process.threads();
  for (Thread* t : threads)
    if (t != except) release_thread(*t);
}

void Kernel::process_ended(Process& process) {
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
  // Orphans go to the first process, which reaps them.
  for (Process* child : process.children()) {
    child->set_parent(m_init);
    m_init->children().push_back(child);
    if (child->state() == ProcessState::Zombie) m_init->child_wait().wake_all();
  }
  process.children().clear();
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
  info.fields.child.uid = 0;
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
  if (Process* parent = child.parent()) std::erase(parent->children(), &child);
  child.state() = ProcessState::Reaped;
  child.exit_wait().wake_all();
  m_processes.erase(child.pid());  // a pidfd may hold the record on
}

void Kernel::end_run() {
  if (m_exit.exited) return;
  m_exit.exited = true;
  for (auto& [tid, t] : m_threads) m_scheduler.remove(*t);
  m_memory.sync_page_caches();
  m_cpu.request_stop();
}

void Kernel::exec_done(Process& process) {
  // de_thread: the other threads go; the caller carries on as the process.
  end_threads(process, m_current);
  if (!process.vfork_done()) {
    process.vfork_done() = true;
    process.vfork_wait().wake_all();
  }
}

}  // namespace kernel
