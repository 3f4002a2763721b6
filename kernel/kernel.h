// The kernel facade: what the machine calls into (syscalls, page faults, exceptions) and
// what the front end asks (start a program, has it exited, how).
#pragma once

#include <bitset>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kernel/base/result.h"
#include "kernel/hal.h"
#include "kernel/mm/fault.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/trace_sink.h"
#include "kernel/tunables.h"

namespace kernel {

namespace fs {
class Vfs;
}  // namespace fs
class Process;

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
  std::string release = "6.1.0-emu";  // what uname reports
  std::optional<u64> swap_bytes;      // the swap device (--swap); nullopt: the size of RAM
  u32 uid = 0;                        // the first process's ids (--uid, --gid): root by default
  u32 gid = 0;
};

// How the process ended.
struct ExitState {
  bool exited = false;
  int status = 0;  // exit code, when not killed
  int signal = 0;  // fatal signal, or 0
  int si_code = 0;
  u64 fault_addr = 0;          // si_addr for SIGSEGV / SIGBUS
  bool out_of_memory = false;  // killed by the OOM killer: no frame could be had
};

class Kernel {
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
  bool exited() const { return m_exit.exited; }

  Process& current() { return *m_process; }
  fs::Vfs& vfs() { return *m_vfs; }
  hal::Cpu& cpu() { return m_cpu; }
  const hal::PhysMemory& ram() const { return m_ram; }
  mm::FrameAllocator& frames() { return m_memory.frames(); }
  mm::MemoryManager& memory() { return m_memory; }
  const KernelOptions& options() const { return m_options; }
  TraceSink* sink() const { return m_sink; }
  // Kernel-wide settings (/proc/sys, /sys/kernel/mm).
  Tunables& tunables() { return m_tunables; }
  const Tunables& tunables() const { return m_tunables; }
  // The process with this pid, or nullptr.
  Process* find_process(int pid);
  // Every live process, in pid order.
  std::vector<Process*> processes();
  // The most recently allocated pid (/proc/loadavg), and how many processes were created
  // since boot (/proc/stat "processes").
  int last_pid() const;
  u64 processes_created() const;

  // Ends the current process with an exit code / a fatal signal.
  void exit_process(int status);
  void kill_process(int signal, int si_code, u64 fault_addr);
  // A signal the current process sends itself (kill: SI_USER, tkill: SI_TKILL) or that the
  // kernel sends on its behalf (SIGPIPE). It is queued, unless ignored, and acted on when the
  // syscall returns to user mode, if unblocked: a handler runs, or the default action.
  void send_signal(int sig, int si_code);
  // Linux's force_sig (SI_KERNEL), for a bad rt_sigreturn frame: a blocked or ignored `sig`
  // is unblocked and reset to its default action first.
  void force_signal(int sig);

  // Scratch memory for moving data between files and guest memory (1 MiB), so the
  // syscall path never allocates. One guest thread runs at a time.
  std::span<u8> bounce_buffer() { return {m_bounce.get(), kBounceSize}; }

  // The OOM killer: nothing could be reclaimed for a fault at fault_addr. Ends the
  // process with the largest memory footprint (Linux's oom_badness: RSS, swap entries and
  // page tables) with SIGKILL, saying so as Linux's oom_kill_process does.
  void out_of_memory(u64 fault_addr);

  // Logs once per syscall number that emu does not implement.
  void warn_unimplemented(u64 nr);

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
  // send_signal_locked: queues unless ignored (and unblocked) or already pending.
  void queue_signal(const abi::Siginfo& info);
  // force_sig_info_to_task: unblocks and resets to SIG_DFL a blocked or ignored signal (or
  // always, with ResetHandler::Yes), then queues it.
  enum class ResetHandler : u8 { IfBlockedOrIgnored, Yes };
  void force_signal_info(const abi::Siginfo& info, ResetHandler reset);
  void trace_signal(const abi::Siginfo& info);

  hal::PhysMemory m_ram;
  hal::Cpu& m_cpu;
  KernelOptions m_options;
  TraceSink* m_sink;
  Tunables m_tunables;
  mm::MemoryManager m_memory;
  std::unique_ptr<fs::Vfs> m_vfs;
  std::unique_ptr<Process> m_process;
  ExitState m_exit;
  std::bitset<1024> m_warned;
  std::set<u64> m_warned_other;  // numbers beyond any real syscall
  static constexpr u64 kBounceSize = u64{1} << 20;
  std::unique_ptr<u8[]> m_bounce{new u8[kBounceSize]};
};

}  // namespace kernel
