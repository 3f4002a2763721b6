// A guest process: its address space, open files, filesystem context and signal state.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "kernel/abi/linux.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/mm/address_space.h"

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
  // Signals raised while blocked, acted on when unblocked (bit sig-1).
  u64& pending_signals() { return m_pending_signals; }
  u64& clear_child_tid() { return m_clear_child_tid; }
  u64& robust_list() { return m_robust_list; }
  u32& umask() { return m_umask; }
  static constexpr int kRlimitCount = 16;
  std::array<abi::Rlimit, kRlimitCount>& rlimits() { return m_rlimits; }
  // The alternate signal stack (sigaltstack), in the guest's stack_t layout.
  struct AltStack {
    u64 sp = 0;
    i32 flags = 2;  // SS_DISABLE
    u64 size = 0;
  };
  AltStack& alt_stack() { return m_alt_stack; }
  // The command name (prctl PR_SET_NAME, /proc/PID/comm): at most 15 bytes.
  std::string& comm() { return m_comm; }
  // prctl state with no other effect yet.
  struct PrctlState {
    int dumpable = 1;
    int pdeath_signal = 0;
    bool no_new_privs = false;
  };
  PrctlState& prctl_state() { return m_prctl; }

 private:
  int m_pid;
  std::unique_ptr<mm::AddressSpace> m_address_space;
  fs::FdTable m_fds;
  fs::FsContext m_fs;
  std::string m_exe_path;
  std::array<SignalAction, abi::kNumSignals + 1> m_signal_actions{};
  u64 m_signal_mask = 0;
  u64 m_pending_signals = 0;
  u64 m_clear_child_tid = 0;
  u64 m_robust_list = 0;
  u32 m_umask = 022;
  std::array<abi::Rlimit, kRlimitCount> m_rlimits;
  AltStack m_alt_stack;
  std::string m_comm;
  PrctlState m_prctl;
};

}  // namespace kernel
