// A guest process: its address space, open files, filesystem context and signal state.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "kernel/abi/linux.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/signal_frame.h"

namespace kernel {

struct SignalAction {
  u64 handler = abi::kSIG_DFL;
  u64 flags = 0;
  u64 restorer = 0;
  u64 mask = 0;
};

class Process {
 public:
  Process(int pid, std::unique_ptr<mm::AddressSpace> address_space);

  int pid() const { return m_pid; }
  int tid() const { return m_pid; }  // one thread per process for now
  mm::AddressSpace& address_space() { return *m_address_space; }
  fs::FdTable& fds() { return m_fds; }
  fs::FsContext& fs() { return m_fs; }
  // The path the program was started with, as the guest named it (readlink /proc/self/exe).
  const std::string& exe_path() const { return m_exe_path; }
  void set_exe_path(std::string path) { m_exe_path = std::move(path); }

  std::array<SignalAction, abi::kNumSignals + 1>& signal_actions() { return m_signal_actions; }
  u64& signal_mask() { return m_signal_mask; }
  // Signals raised and not yet acted on (bit sig-1): acted on when the process next returns
  // to user mode with them unblocked. A standard signal does not queue: one of each.
  u64& pending_signals() { return m_pending_signals; }
  abi::Siginfo& pending_info(int sig) { return m_pending_info[sig]; }
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
  u64& clear_child_tid() { return m_clear_child_tid; }
  u64& robust_list() { return m_robust_list; }
  // Who the process acts as (Linux's task->cred): ids, groups, capabilities.
  Credentials& creds() { return m_creds; }
  const Credentials& creds() const { return m_creds; }
  u32& umask() { return m_fs.umask; }  // part of the filesystem context, as fs_struct's
  static constexpr int kRlimitCount = 16;
  std::array<abi::Rlimit, kRlimitCount>& rlimits() { return m_rlimits; }
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
  // The command name (prctl PR_SET_NAME, /proc/PID/comm): at most 15 bytes.
  std::string& comm() { return m_comm; }
  // prctl state with no other effect yet.
  struct PrctlState {
    int dumpable = 1;
    int pdeath_signal = 0;
    bool no_new_privs = false;
  };
  PrctlState& prctl_state() { return m_prctl; }
  // Where exec put the program (Linux's mm->start_code ... env_end, saved_auxv).
  proc::ProgramLayout& layout() { return m_layout; }
  const proc::ProgramLayout& layout() const { return m_layout; }
  // CLOCK_BOOTTIME when the process was started, in nanoseconds (/proc/PID/stat starttime).
  u64& start_time_ns() { return m_start_time_ns; }
  // /proc/PID/oom_score_adj: -1000 (never chosen) .. 1000 (chosen first).
  int& oom_score_adj() { return m_oom_score_adj; }

 private:
  int m_pid;
  std::unique_ptr<mm::AddressSpace> m_address_space;
  fs::FdTable m_fds;
  fs::FsContext m_fs;
  std::string m_exe_path;
  std::array<SignalAction, abi::kNumSignals + 1> m_signal_actions{};
  u64 m_signal_mask = 0;
  u64 m_pending_signals = 0;
  std::array<abi::Siginfo, abi::kNumSignals + 1> m_pending_info{};
  std::optional<u64> m_saved_sigmask;
  TrapState m_trap_state;
  u64 m_clear_child_tid = 0;
  u64 m_robust_list = 0;
  std::array<abi::Rlimit, kRlimitCount> m_rlimits;
  AltStack m_alt_stack;
  std::string m_comm;
  PrctlState m_prctl;
  proc::ProgramLayout m_layout;
  u64 m_start_time_ns = 0;
  int m_oom_score_adj = 0;
  Credentials m_creds;
};

}  // namespace kernel
