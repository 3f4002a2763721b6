// A guest process (Linux's thread group): its threads, and what they share: the address
// space, open files, filesystem context and signal handlers (each of which CLONE_VM,
// CLONE_FILES, CLONE_FS and CLONE_SIGHAND can share with other processes too), the
// group's pending signals, its place in the process tree, and how it ended.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/sig_pending.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/proc/wait_queue.h"

namespace kernel {

class Thread;
struct ProcessTimers;

struct SignalAction {
  u64 handler = abi::kSIG_DFL;
  u64 flags = 0;
  u64 restorer = 0;
  u64 mask = 0;
};
using SignalActions = std::array<SignalAction, abi::kNumSignals + 1>;

// Where a process is in its life.
enum class ProcessState : u8 {
  Alive,
  Zombie,  // every thread has exited; the parent has not reaped it
  Reaped,  // gone from the process table; pidfds may still hold the record
};

class Process {
 public:
  Process(int pid, std::shared_ptr<mm::AddressSpace> address_space);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const { return m_pid; }
  // execve by a non-leader thread: the process keeps its pid, so nothing changes here.
  mm::AddressSpace& address_space() { return *m_address_space; }
  std::shared_ptr<mm::AddressSpace>& address_space_ptr() { return m_address_space; }
  fs::FdTable& fds() { return *m_fds; }
  std::shared_ptr<fs::FdTable>& fds_ptr() { return m_fds; }
  fs::FsContext& fs() { return *m_fs; }
  std::shared_ptr<fs::FsContext>& fs_ptr() { return m_fs; }
  // The path the program was started with, as the guest named it (readlink /proc/self/exe).
  const std::string& exe_path() const { return m_exe_path; }
  void set_exe_path(std::string path) { m_exe_path = std::move(path); }

  SignalActions& signal_actions() { return *m_signal_actions; }
  std::shared_ptr<SignalActions>& signal_actions_ptr() { return m_signal_actions; }
  // Signals sent to the whole group (kill), taken by whichever thread gets to them first.
  SigPending& shared_pending() { return m_shared_pending; }

  // The live threads, the leader first while it lives.
  std::vector<Thread*>& threads() { return m_threads; }
  Thread* leader() const { return m_leader; }
  void set_leader(Thread* t) { m_leader = t; }

  // The process tree. The parent is null only for the first process.
  Process* parent() const { return m_parent; }
  void set_parent(Process* p) { m_parent = p; }
  std::vector<Process*>& children() { return m_children; }
  int& pgid() { return m_pgid; }
  int& sid() { return m_sid; }
  // The signal the parent gets when this process ends (clone's CSIGNAL; 0: none).
  int& exit_signal() { return m_exit_signal; }

  ProcessState& state() { return m_state; }
  ProcessState state() const { return m_state; }
  bool alive() const { return m_state == ProcessState::Alive; }
  // The wait status a parent's wait4 sees: exit code << 8, or the signal (| 0x80 on core).
  int& exit_status() { return m_exit_status; }
  // exit_group or a fatal signal has begun to end every thread (SIGNAL_GROUP_EXIT).
  bool& exiting() { return m_exiting; }
  // A fatal signal from outside the process has marked it dying: its threads end when the
  // scheduler next runs one of them. Until then its memory is still there (the window in
  // which process_mrelease can take it).
  bool& group_exit_pending() { return m_group_exit_pending; }
  // Dying, with its memory not yet released: Linux's __task_will_free_mem.
  bool dying() const { return m_state == ProcessState::Alive && m_exiting; }

  // Group stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) and continue (SIGCONT), with the
  // reports wait4(WUNTRACED / WCONTINUED) and waitid take once each.
  bool& stopped() { return m_stopped; }
  int& stop_report() { return m_stop_report; }  // the stopping signal, 0 once reported
  bool& continue_report() { return m_continue_report; }

  // The process has not called execve since fork (Linux's PF_FORKNOEXEC): its parent may
  // still move it to another process group.
  bool& fork_no_exec() { return m_fork_no_exec; }

  // Woken when a child changes state (wait4, waitid).
  WaitQueue& child_wait() { return m_child_wait; }
  // Woken when the process ends (pidfd poll).
  WaitQueue& exit_wait() { return m_exit_wait; }
  // Woken whenever a signal is queued to the group or one of its threads (signalfd).
  WaitQueue& signal_wait() { return m_signal_wait; }
  // A vfork parent waits here until the child execs or exits.
  WaitQueue& vfork_wait() { return m_vfork_wait; }
  bool& vfork_done() { return m_vfork_done; }

  // Who the process is (uids, gids, groups, capabilities).
  Credentials& creds() { return m_creds; }
  const Credentials& creds() const { return m_creds; }
  u32& umask() { return m_fs->umask; }  // part of the filesystem context, as fs_struct's
  static constexpr int kRlimitCount = 16;
  std::array<abi::Rlimit, kRlimitCount>& rlimits() { return m_rlimits; }
  // The command name (prctl PR_SET_NAME, /proc/PID/comm): at most 15 bytes.
  std::string& comm() { return m_comm; }
  // prctl state with no other effect yet.
  struct PrctlState {
    int dumpable = 1;
    int pdeath_signal = 0;
    bool no_new_privs = false;
    // PR_SET_CHILD_SUBREAPER: orphaned descendants come here rather than to the first
    // process. Not inherited by children; kept across execve.
    bool child_subreaper = false;
  };
  PrctlState& prctl_state() { return m_prctl; }
  const PrctlState& prctl_state() const { return m_prctl; }
  // Where exec put the program (Linux's mm->start_code ... env_end, saved_auxv).
  proc::ProgramLayout& layout() { return m_layout; }
  const proc::ProgramLayout& layout() const { return m_layout; }
  // CLOCK_BOOTTIME when the process was started, in nanoseconds (/proc/PID/stat starttime).
  u64& start_time_ns() { return m_start_time_ns; }
  // /proc/PID/oom_score_adj: -1000 (never chosen) .. 1000 (chosen first).
  int& oom_score_adj() { return m_oom_score_adj; }
  // setitimer's and timer_create's timers, made when first used (null until then).
  std::unique_ptr<ProcessTimers>& timers() { return m_timers; }
  // The time its threads spent on the CPU, in nanoseconds (CLOCK_PROCESS_CPUTIME_ID,
  // ITIMER_VIRTUAL / ITIMER_PROF): host CLOCK_MONOTONIC time while one of them ran.
  u64& cpu_ns() { return m_cpu_ns; }

 private:
  int m_pid;
  std::shared_ptr<mm::AddressSpace> m_address_space;
  std::shared_ptr<fs::FdTable> m_fds = std::make_shared<fs::FdTable>();
  std::shared_ptr<fs::FsContext> m_fs = std::make_shared<fs::FsContext>();
  std::string m_exe_path;
  std::shared_ptr<SignalActions> m_signal_actions = std::make_shared<SignalActions>();
  SigPending m_shared_pending;
  std::vector<Thread*> m_threads;
  Thread* m_leader = nullptr;
  Process* m_parent = nullptr;
  std::vector<Process*> m_children;
  int m_pgid = 0;
  int m_sid = 0;
  int m_exit_signal = abi::kSIGCHLD;
  ProcessState m_state = ProcessState::Alive;
  int m_exit_status = 0;
  bool m_exiting = false;
  bool m_group_exit_pending = false;
  bool m_stopped = false;
  int m_stop_report = 0;
  bool m_continue_report = false;
  WaitQueue m_child_wait;
  WaitQueue m_exit_wait;
  WaitQueue m_signal_wait;
  WaitQueue m_vfork_wait;
  bool m_vfork_done = false;
  bool m_fork_no_exec = true;
  std::array<abi::Rlimit, kRlimitCount> m_rlimits;
  std::string m_comm;
  PrctlState m_prctl;
  proc::ProgramLayout m_layout;
  u64 m_start_time_ns = 0;
  int m_oom_score_adj = 0;
  Credentials m_creds;
  std::unique_ptr<ProcessTimers> m_timers;
  u64 m_cpu_ns = 0;
};

}  // namespace kernel
