// The kernel facade: what the machine calls into (syscalls, page faults, exceptions) and
// what the front end asks (start a program, has it exited, how).
#pragma once

#include <bitset>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kernel/base/result.h"
#include "kernel/hal.h"
#include "kernel/mm/fault.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/trace_sink.h"

namespace kernel {

namespace fs {
class Vfs;
}
class Process;

struct KernelOptions {
  std::string root = "/";  // the host directory the guest sees as "/"
  std::string host_cwd;    // the guest's starting directory, when root is "/"
  bool strace = false;
  std::string release = "6.1.0-emu";  // what uname reports
};

// How the process ended.
struct ExitState {
  bool exited = false;
  int status = 0;  // exit code, when not killed
  int signal = 0;  // fatal signal, or 0
  int si_code = 0;
  u64 fault_addr = 0;  // si_addr for SIGSEGV / SIGBUS
  u64 rip = 0;
  bool out_of_memory = false;  // killed because no frame could be had
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
  // Raises the signal of an unresolved fault at addr (the exact byte, where the machine
  // knows it).
  void fault_signal(const mm::FaultResult& fault, u64 addr);
  // A CPU exception other than a page fault (divide error, invalid opcode, #GP ...).
  void cpu_exception(int signal, int si_code, u64 addr);

  const ExitState& exit_state() const { return m_exit; }
  bool exited() const { return m_exit.exited; }

  Process& current() { return *m_process; }
  fs::Vfs& vfs() { return *m_vfs; }
  hal::Cpu& cpu() { return m_cpu; }
  const hal::PhysMemory& ram() const { return m_ram; }
  mm::FrameAllocator& frames() { return m_frames; }
  const KernelOptions& options() const { return m_options; }
  TraceSink* sink() const { return m_sink; }

  // Ends the current process with an exit code / a fatal signal.
  void exit_process(int status);
  void kill_process(int signal, int si_code, u64 fault_addr);
  // A signal for the current process, sent by the process itself or by the kernel
  // (SIGPIPE): ignored, left pending while blocked, or acted on as its default action.
  void send_signal(int sig, int si_code);
  // Acts on pending signals that are no longer blocked (after sigprocmask).
  void deliver_pending_signals();

  // Scratch memory for moving data between files and guest memory (1 MiB), so the
  // syscall path never allocates. One guest thread runs at a time.
  std::span<u8> bounce_buffer() { return {m_bounce.get(), kBounceSize}; }

  // Logs once per syscall number that emu does not implement.
  void warn_unimplemented(u64 nr);

 private:
  hal::PhysMemory m_ram;
  hal::Cpu& m_cpu;
  KernelOptions m_options;
  TraceSink* m_sink;
  mm::FrameAllocator m_frames;
  Pfn m_zero_page;
  std::unique_ptr<fs::Vfs> m_vfs;
  std::unique_ptr<Process> m_process;
  ExitState m_exit;
  std::bitset<1024> m_warned;
  std::set<u64> m_warned_other;  // numbers beyond any real syscall
  static constexpr u64 kBounceSize = u64{1} << 20;
  std::unique_ptr<u8[]> m_bounce{new u8[kBounceSize]};
};

}  // namespace kernel
