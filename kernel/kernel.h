// The kernel facade: what the machine calls into (syscalls, page faults, exceptions) and
// what the front end asks (start a program, has it exited, how).
#pragma once

#include <bitset>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kernel/base/result.h"
#include "kernel/fs/file_locks.h"
#include "kernel/hal.h"
#include "kernel/mm/fault.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/hwpoison.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/scheduler.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/proc/timers.h"
#include "kernel/trace_sink.h"
#include "kernel/tunables.h"

namespace kernel {

namespace fs {
class Vfs;
}  // namespace fs
class Process;
class Thread;
class PosixTimer;
struct ProcessTimers;
namespace syscalls {
struct SyscallInfo;
struct SyscallArgs;
}  // namespace syscalls

// What clone, clone3, fork and vfork ask for (struct kernel_clone_args).
struct CloneRequest {
  u64 flags = 0;
  int exit_signal = 0;
  u64 stack = 0;  // the child's %rsp; 0: the parent's
  u64 tls = 0;
  u64 parent_tid = 0;  // CLONE_PARENT_SETTID: where the parent's memory gets the tid
  u64 child_tid = 0;   // CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID
  u64 pidfd = 0;       // CLONE_PIDFD: where the parent gets the pidfd
};

struct KernelOptions {
  std::string root = "/";  // the host directory the guest sees as "/"
  // Host directories shown at guest paths (`--bind HOST:GUEST[:rw]`).
  struct Bind {
    std::string host_path;
    std::string guest_path;
    bool writable = false;
  };
  std::vector<Bind> binds;
  std::string host_cwd;  // the guest's starting directory, when root is "/"
  bool strace = false;
  // strace lines go to a file of their own: each starts with the thread's id in a column,
  // as `strace -f -o FILE` writes them, rather than "[pid N] " once there are two threads.
  bool strace_pid_column = false;
  std::string release = "6.1.0-emu";  // what uname reports
  std::optional<u64> swap_bytes;      // the swap device (--swap); nullopt: the size of RAM
  u32 uid = 0;                        // the first process's ids (--uid, --gid): root by default
  u32 gid = 0;
};

// How the first process ended (the run ends with it, as a pid namespace ends with its init).
struct ExitState {
  bool exited = false;
  int status = 0;  // exit code, when not killed
  int signal = 0;  // fatal signal, or 0
  int si_code = 0;
  u64 fault_addr = 0;          // si_addr for SIGSEGV / SIGBUS
  bool out_of_memory = false;  // killed by the OOM killer: no frame could be had
};

class Kernel final : private mm::PoisonClient {
 public:
  Kernel(const hal::PhysMemory& ram, hal::Cpu& cpu, KernelOptions options, TraceSink* sink);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Loads a static executable as the first process and leaves the CPU ready at its entry.
  // On failure `why` holds a one-line reason.
  Result<void> start(const std::string& path, const std::vector<std::string>& argv,
                     const std::vector<std::string>& envp, std::string& why);

  // The guest executed `syscall`: arguments and result live in the CPU's registers.
  void syscall();
  // The MMU could not translate: resolve the fault, or say which signal it raises.
  mm::FaultResult page_fault(u64 addr, u32 error_code);
  // Raises the signal of an unresolved page fault at addr (the exact byte, where the machine
  // knows it) with its x86 error code. The CPU must be at the faulting instruction: a
  // handler that returns runs it again.
  void fault_signal(const mm::FaultResult& fault, u64 addr, u32 error_code);
  // A CPU exception other than a page fault (divide error, invalid opcode, #GP ...), with the
  // CPU at the instruction Linux reports (the faulting one, or the next for int3). `vector`
  // is what the signal frame shows as trapno, or kNoVector for a machine-level fault that
  // is no x86 trap (machine check, bus error).
  static constexpr int kNoVector = -1;
  void cpu_exception(int vector, int signal, int si_code, u64 addr);

  const ExitState& exit_state() const { return m_exit; }
  // The run is over: the first process has ended.
  bool exited() const { return m_exit.exited; }

  // The thread on the CPU, and its process.
  Thread& current_thread() { return *m_current; }
  Process& current() { return *m_current_process; }
  fs::Vfs& vfs() { return *m_vfs; }
  hal::Cpu& cpu() { return m_cpu; }
  const hal::PhysMemory& ram() const { return m_ram; }
  mm::FrameAllocator& frames() { return m_memory.frames(); }
  mm::MemoryManager& memory() { return m_memory; }
  const KernelOptions& options() const { return m_options; }
  TraceSink* sink() const { return m_sink; }
  Scheduler& scheduler() { return m_scheduler; }
  FutexTable& futexes() { return m_futexes; }
  fs::FileLocks& file_locks() { return m_file_locks; }
  // The first process: it adopts orphans, and the run ends with it.
  Process* init_process() const { return m_init; }
  // Kernel-wide settings (/proc/sys, /sys/kernel/mm).
  Tunables& tunables() { return m_tunables; }
  const Tunables& tunables() const { return m_tunables; }
  // The live or zombie process with this pid, or nullptr.
  Process* find_process(int pid);
  // The same, as the shared record a pidfd holds on to.
  std::shared_ptr<Process> find_process_ptr(int pid);
  // The live thread with this tid, or nullptr.
  Thread* find_thread(int tid);
  // Every process not yet reaped, in pid order.
  std::vector<Process*> processes();
  // The most recently allocated pid (/proc/loadavg), and how many processes were created
  // since boot (/proc/stat "processes").
  int last_pid() const { return m_last_pid; }
  u64 processes_created() const { return m_processes_created; }
  u64 thread_count() const { return m_threads.size(); }

  // --- Scheduling (kernel_sched.cpp) ---
  // Whether the machine must call schedule() before running the guest again.
  bool need_resched() const { return m_need_resched; }
  // Chooses the thread to run and puts it on the CPU: registers, page-table root, a
  // waiting syscall run again, pending signals acted on. Waits on the host when every
  // thread waits for a deadline; ends the run when no thread can ever run again.
  void schedule();
  // The machine's time quantum ran out: another runnable thread gets the CPU.
  void preempt();
  // sched_yield: the same, asked for by the running thread.
  void yield();
  // CLOCK_MONOTONIC, in nanoseconds.
  static u64 monotonic_ns();

  // --- Timers (kernel_timers.cpp) ---
  TimerList& timers() { return m_timers; }
  // Periodic kernel work, from the machine's run loop each time emulation stops: the
  // running thread's CPU time is charged, due timers fire, and the CPU is told when to
  // come back next (hal::Cpu::set_wakeup).
  void tick();
  // Tells the CPU the nearest timer deadline (after a timer was armed or disarmed).
  void update_wakeup();
  // The timers of `process`, made on first use.
  ProcessTimers& timers_of(Process& process);
  // A POSIX timer expired: its signal goes to its process or thread. False when it was not
  // sent (ignored, or the thread is gone), so a periodic timer goes on by itself.
  bool send_timer_signal(PosixTimer& timer, Process& process);
  // The process's CPU time as of now (the running thread's share included).
  u64 process_cpu_ns(Process& process);
  // Every timer of an ending process stops (exit_itimers); at exec only the POSIX ones.
  void exit_timers(Process& process, bool posix_only);

  // --- Processes (kernel_tasks.cpp) ---
  // clone/clone3/fork/vfork: the child's tid, or the errno.
  Result<i64> clone(const CloneRequest& request);
  // exit(): the calling thread ends; the process with it when it was the last one.
  void exit_thread(int code);
  // Ends the current process with an exit code (exit_group) / a fatal signal.
  void exit_process(int status);
  void kill_process(int signal, int si_code, u64 fault_addr);
  // Ends every thread of `process` now with the wait status `status` (exit_group, a fatal
  // signal's default action, the OOM killer). A process already dying keeps the status it
  // was marked with.
  void zap_process(Process& process, int status);
  // complete_signal's group exit for a fatal signal from outside the process: it is marked
  // dying (SIGNAL_GROUP_EXIT) with `status` and its threads are woken; the first of them
  // the scheduler runs ends the group. Until then its memory is still there.
  void begin_group_exit(Process& process, int status);
  // task_will_free_mem: `process` is dying, and every other process sharing its memory
  // is dying too, so the memory goes once they end.
  bool will_free_memory(Process& process);
  // A zombie child's record goes (wait4 took its status).
  void reap(Process& child);
  // exit_robust_list: the futexes on the thread's robust list that it still owns are
  // marked FUTEX_OWNER_DIED and a waiter of each is woken.
  void exit_robust_list(Thread& thread);
  // execve succeeded: the other threads go, the vfork parent is released.
  void exec_done(Process& process);

  // --- Signals (kernel_signals.cpp) ---
  // A signal the current process sends itself (kill: SI_USER, tkill: SI_TKILL) or that the
  // kernel sends on its behalf (SIGPIPE). It is queued, unless ignored, and acted on when the
  // syscall returns to user mode, if unblocked: a handler runs, or the default action.
  void send_signal(int sig, int si_code);
  // Sends to a whole thread group (kill) / one thread (tgkill): queued, the thread that
  // will take it woken, and a fatal or stopping default action carried out at once.
  // EAGAIN when a real-time signal from sigqueue finds its user's RLIMIT_SIGPENDING used up.
  abi::Errno signal_process(Process& target, const abi::Siginfo& info);
  abi::Errno signal_thread(Thread& target, const abi::Siginfo& info);
  // dequeue_signal: takes the next pending signal of `thread` among `allowed`, its own
  // before its group's (si_signo 0: none). A POSIX timer's signal runs its timer again.
  abi::Siginfo dequeue_signal(Thread& thread, u64 allowed);
  // How many siginfo the user `uid` has queued (RLIMIT_SIGPENDING).
  u64& sigqueue_count(u32 uid) { return m_sigqueue_counts[uid]; }
  // Linux's force_sig (SI_KERNEL), for a bad rt_sigreturn frame: a blocked or ignored `sig`
  // is unblocked and reset to its default action first.
  void force_signal(int sig);
  // Whether the current thread has a signal it will act on now.
  bool signal_pending(Thread& thread);

  // Scratch memory for moving data between files and guest memory (1 MiB), so the
  // syscall path never allocates. One guest thread runs at a time.
  std::span<u8> bounce_buffer() { return {m_bounce.get(), kBounceSize}; }

  // The OOM killer: nothing could be reclaimed for a fault at fault_addr. Ends the
  // process with the largest memory footprint (Linux's oom_badness: RSS, swap entries and
  // page tables) with SIGKILL, saying so as Linux's oom_kill_process does.
  void out_of_memory(u64 fault_addr);

  // Logs once per syscall number that emu does not implement.
  void warn_unimplemented(u64 nr);

  // --- Hardware poison (kernel_poison.cpp) ---
  // The machine reports a machine check: the current thread's access (x86 error-code bits:
  // write, fetch) at `vaddr` reached poisoned physical address `paddr`. memory_failure()
  // runs as the MCE handler's kill_me_maybe would have it (MF_ACTION_REQUIRED): the thread
  // gets SIGBUS BUS_MCEERR_AR, or runs the instruction again when nothing was lost (a
  // clean file page is read again). `insn` (may be null) names the instruction for the
  // poison trace. The CPU must be at the faulting instruction.
  void machine_check(PhysAddr paddr, u64 vaddr, u32 error_code, const char* insn);
  // memory_failure(pfn, flags) (mm/hwpoison.h's flags): the page is handled, its mappers
  // are signalled as 6.1's kill_procs does. 0, or the errno (EBUSY, EHWPOISON).
  int memory_failure(Pfn pfn, u32 flags);
  // soft_offline_page(pfn): EBUSY for a page that cannot move, ENOMEM without a frame.
  Result<void> soft_offline_page(Pfn pfn);
  // Poison from outside the guest (--poison, --poison-after): the RAM's poison bit is set
  // and the kernel knows nothing until something touches the frame. `source` names who.
  void inject_poison(PhysAddr paddr, const char* source);
  // MADV_HWPOISON and MADV_SOFT_OFFLINE (madvise_inject_error) on the page-aligned
  // [start, end) of `process`, which must be the current one: EPERM without CAP_SYS_ADMIN.
  Result<void> inject_memory_error(Process& process, int advice, u64 start, u64 end,
                                   u64* pages_done = nullptr);

  // --- Structured events (kernel_trace.cpp) ---
  // Switches event classes (kTrace* bits) on, here and in the memory manager.
  void set_tracing(u32 classes);
  bool tracing(u32 event_class) const { return m_trace_classes & event_class; }
  void emit(const char* name, std::initializer_list<TraceField> fields) {
    m_sink->event(name, std::span<const TraceField>(fields.begin(), fields.size()));
  }

 private:
  // How the guest goes back to user mode: from a syscall (whose result may be a restart
  // code) or from an exception.
  struct UserReturn {
    bool from_syscall = false;
    u64 nr = 0;
    i64 ret = 0;
  };
  // Linux's exit_to_user_mode signal work: acts on every pending unblocked signal, each
  // handler's frame stacked on the previous one, and restarts or finishes the syscall.
  void return_to_user(UserReturn how);
  // Runs a woken thread's waiting syscall again and finishes it (or it waits again).
  void resume_call(Thread& thread);
  // Finishes a syscall: the result in %rax, the strace line, pending signals acted on.
  void finish_syscall(const syscalls::SyscallInfo* info, const u64 (&args)[6], u64 nr, i64 ret);
  // The rest of finish_syscall, with %rax already set: the strace line, pending signals.
  void after_syscall(const syscalls::SyscallInfo* info, const u64 (&args)[6], u64 nr, i64 ret);
  // Registers of `next` onto the CPU, with its address space's page tables.
  void switch_to(Thread& next);
  // "[pid N] " once the guest has more than one thread, as strace -f shows.
  std::string strace_prefix(const Thread& thread) const;
  // --strace (kernel_trace.cpp). A call's entry is held until it returns, so that a call that
  // does not wait prints as one line; another line in between makes it "<unfinished ...>".
  void strace_enter(Thread& thread, const syscalls::SyscallInfo* info,
                    const syscalls::SyscallArgs& args);
  // `ret` null: the call does not return to the guest (a pending SIGKILL), "= ?".
  void strace_exit(Thread& thread, const syscalls::SyscallInfo* info,
                   const syscalls::SyscallArgs& args, std::optional<i64> ret);
  // A whole line for `thread` (its prefix is added), after any held entry.
  void strace_line(const Thread& thread, const std::string& text);
  void strace_flush_open();
  void strace_format_entry(Thread& thread);
  // A signal strace would see delivered though the guest ignores it (a traced process has
  // no ignored signals): shown when its process next returns to user mode.
  void strace_note_ignored(const Process& target, const abi::Siginfo& info);
  void strace_ignored_signals(Thread& thread);
  // A thread ends with `wait_status`: the "+++ exited with N +++" line and the exit event.
  void thread_exited(Thread& thread, int wait_status, bool process_ended);
  void trace_signal_generate(const Process& target, const Thread* thread, const abi::Siginfo& info,
                             const char* result);
  void trace_signal_deliver(const Thread& thread, int sig, const SignalAction& action);
  // The group's threads are stopped/continued by a signal; the parent hears of it.
  void stop_process(Process& process, int sig);
  void continue_process(Process& process);
  // A process has no thread left: it becomes a zombie (or is reaped at once), its
  // children go to the first process, its parent is told.
  void process_ended(Process& process);
  // Sets the group's exit status and SIGNAL_GROUP_EXIT; false if it was already set.
  bool mark_group_exit(Process& process, int status);
  // Every thread of the process is taken off the CPU for good.
  void end_threads(Process& process, Thread* except);
  void release_thread(Thread& thread);
  // The wait status of a process a fatal signal ends: the signal, with 0x80 when a core
  // would be dumped (a core signal, RLIMIT_CORE of at least a page, dumpable).
  int fatal_status(Process& process, int sig);
  // Charges the running thread's time on the CPU up to `now_ns`; CPU-time itimers fire.
  void account_cpu(u64 now_ns);
  // The first process ended: every other one goes with it.
  void end_run();
  // Delivers a child's SIGCHLD (or exit signal) to its parent, and wakes its waiters.
  void notify_parent(Process& child, int why, int status);
  void complete_signal(Process& target, Thread* chosen, int sig);
  Thread* new_thread(const std::shared_ptr<Process>& process, int tid);
  int allocate_pid();
  // send_signal_locked: queues unless ignored (and unblocked) or already pending.
  void queue_signal(const abi::Siginfo& info);
  abi::Errno queue_signal_to(Process& target, Thread* thread, const abi::Siginfo& info);
  // sig_ignored: the signal would be discarded at once by the target.
  bool signal_ignored(Process& target, Thread* thread, int sig);
  // force_sig_info_to_task: unblocks and resets to SIG_DFL a blocked or ignored signal (or
  // always, with ResetHandler::Yes), then queues it.
  enum class ResetHandler : u8 { IfBlockedOrIgnored, Yes };
  void force_signal_info(const abi::Siginfo& info, ResetHandler reset);
  void trace_signal(const abi::Siginfo& info);
  // mm::PoisonClient: a syscall's copy of a user buffer ran into poison (kill_me_never).
  void poison_consumed(Pfn pfn) override;
  // kill_procs for a memory_failure() report, and find_early_kill_thread.
  // Returns whether the current thread was sent BUS_MCEERR_AR.
  bool kill_poisoned_mappers(const mm::MemoryFailure& report, u32 flags);
  // memory_failure() for an access to `accessed_page` (MF_ACTION_REQUIRED); told_current
  // says whether the accessor got its SIGBUS.
  int memory_failure_at(Pfn pfn, u32 flags, u64 accessed_page, bool& told_current);
  Thread* early_kill_thread(Process& process);
  void trace_poison_signal(const Thread& thread, int code, u64 addr);

  hal::PhysMemory m_ram;
  hal::Cpu& m_cpu;
  KernelOptions m_options;
  TraceSink* m_sink;
  Tunables m_tunables;
  // Before the processes: their pending signals and timers refer to these.
  std::map<u32, u64> m_sigqueue_counts;
  TimerList m_timers;
  u64 m_wakeup_ns = 0;         // what the CPU was last told (set_wakeup)
  u64 m_running_since_ns = 0;  // when the running thread's CPU time was last charged
  mm::MemoryManager m_memory;
  std::unique_ptr<fs::Vfs> m_vfs;
  Scheduler m_scheduler;
  FutexTable m_futexes;
  fs::FileLocks m_file_locks;
  // What a zombie's address space is: empty.
  std::shared_ptr<mm::AddressSpace> m_empty_mm;
  // Processes not yet reaped, and live threads, by id.
  std::map<int, std::shared_ptr<Process>> m_processes;
  std::map<int, std::unique_ptr<Thread>> m_threads;
  // Threads that ended while they ran: freed at the next schedule().
  std::vector<std::unique_ptr<Thread>> m_dead_threads;
  Thread* m_current = nullptr;
  Process* m_current_process = nullptr;
  Process* m_init = nullptr;
  bool m_need_resched = false;
  int m_last_pid = 0;
  u64 m_processes_created = 0;
  ExitState m_exit;
  u32 m_trace_classes = 0;
  bool m_yielding = false;  // the running thread called sched_yield (the sched event says so)
  Thread* m_strace_open = nullptr;  // whose call's entry is held, not yet printed
  std::vector<std::pair<int, abi::Siginfo>> m_strace_ignored;  // by pid
  std::bitset<1024> m_warned;
  std::set<u64> m_warned_other;  // numbers beyond any real syscall
  static constexpr u64 kBounceSize = u64{1} << 20;
  std::unique_ptr<u8[]> m_bounce{new u8[kBounceSize]};
};

}  // namespace kernel
