// The machine: a Unicorn x86-64 CPU whose TLB misses go through our MMU walker over
// emulated RAM, with `syscall` and CPU exceptions routed to the kernel. It implements the
// kernel's view of a CPU (kernel::hal::Cpu).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "emu/disasm.h"
#include "emu/mmu.h"
#include "emu/phys_ram.h"
#include "emu/quantum_timer.h"
#include "emu/trace/tracer.h"
#include "kernel/hal.h"
#include "kernel/mm/fault.h"

struct uc_struct;

namespace kernel {
class Kernel;
}

namespace emu {

class Machine final : public kernel::hal::Cpu {
 public:
  // ram_size in bytes. Check ok() / error() before use.
  explicit Machine(u64 ram_size);
  ~Machine() override;
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  bool ok() const { return m_error.empty(); }
  const std::string& error() const { return m_error; }
  PhysRam& ram() { return m_ram; }

  // Runs the kernel's current process until it exits or is killed.
  void run(kernel::Kernel& kernel, trace::Tracer* tracer);

  // The instruction at rip, disassembled; "(unreadable)" when rip is not mapped.
  std::string instruction_at(u64 rip) const;

  // Injects poison at `addrs` (through the kernel, as from outside the guest) once `events`
  // syscalls and/or page faults have been handled: the next one after them injects first.
  void poison_after(std::vector<kernel::PhysAddr> addrs, u64 events, bool syscalls, bool faults);

  struct Counters {
    u64 syscalls = 0;
    u64 tlb_fills = 0;
    u64 tlb_flushes = 0;
    u64 tlb_growth_flushes = 0;  // of tlb_flushes, those that let the TLB grow
  };
  const Counters& counters() const { return m_counters; }

  // kernel::hal::Cpu
  u64 read_reg(kernel::hal::Reg r) const override;
  void write_reg(kernel::hal::Reg r, u64 value) override;
  u64 rip() const override;
  void set_rip(u64 value) override;
  void save_fpu(kernel::hal::FpuState& out) const override;
  void restore_fpu(const kernel::hal::FpuState& in) override;
  void set_page_table_root(kernel::PhysAddr root) override { m_cr3 = root; }
  void flush_tlb() override;
  void request_stop() override;
  void set_preemption(bool on) override;
  void set_wakeup(u64 deadline_ns) override;

 private:
  // A fault the hook left for the run loop, which sees the exact faulting instruction.
  struct PendingFault {
    bool active = false;
    bool resolved = false;  // the kernel already answered (with a signal)
    kernel::mm::FaultResult result;
    u64 addr = 0;  // the page, as Unicorn names it
    Access access = Access::Read;
    Walk walk;
  };

  // A fault the TLB-fill hook found that is no page fault (machine check, bus error): the
  // run loop raises it once Unicorn has put the state back at the faulting instruction.
  struct PendingHardwareFault {
    bool active = false;
    int signal = 0;
    int si_code = 0;
    u64 addr = 0;
    bool machine_check = false;  // reported to the kernel's memory_failure, not a signal
    kernel::PhysAddr frame;      // the poisoned frame (machine check)
    Access access = Access::Read;
  };

  static bool on_tlb_fill(uc_struct* uc, u64 vaddr, int type, void* result, void* self);
  static void on_syscall(uc_struct* uc, void* self);
  static void on_block(uc_struct* uc, u64 address, kernel::u32 size, void* self);
  void install_block_hook();
  static void on_interrupt(uc_struct* uc, kernel::u32 intno, void* self);
  static kernel::u32 on_port_in(uc_struct* uc, kernel::u32 port, int size, void* self);
  static void on_port_out(uc_struct* uc, kernel::u32 port, int size, kernel::u32 value, void* self);

  bool fill(u64 vaddr, Access access, void* result);
  // Called on every TLB fill: flushes when the fills show the TLB is too small to hold the
  // guest's working set, so that it grows (see machine.cpp).
  void grow_tlb_if_thrashing();
  void resolve_pending_fault();
  // The byte the faulting instruction touched inside `page`.
  u64 exact_address(u64 page, Access access) const;
  void deliver_exception(kernel::u32 intno);
  // One syscall or page fault toward --poison-after's count.
  void count_poison_event();
  // The run loop's half of a machine check the TLB-fill hook found.
  void raise_machine_check();
  // Puts the CPU at CPL 3 before the guest's first instruction; false if that failed.
  bool enter_user_mode();
  bool is_invalid_opcode(u64 rip) const;

  PhysRam m_ram;
  Mmu m_mmu;
  Disassembler m_disasm;
  uc_struct* m_uc = nullptr;
  kernel::PhysAddr m_cr3;
  kernel::Kernel* m_kernel = nullptr;
  trace::Tracer* m_tracer = nullptr;
  bool m_trace_faults = false;
  PendingFault m_pending;
  PendingHardwareFault m_hw_fault;
  // Set by the syscall hook until another hook runs or emulation stops: rip then reads as
  // the address after `syscall`, and a rip the kernel sets waits in m_deferred_rip for the
  // run loop (written from the hook, Unicorn would resume 2 bytes further on; see set_rip).
  bool m_in_syscall = false;
  bool m_rip_deferred = false;
  u64 m_deferred_rip = 0;
  bool m_stop_requested = false;  // by request_stop(), since the last uc_emu_start
  bool m_user_mode = false;
  bool m_exception = false;
  kernel::u32 m_exception_no = 0;
  Counters m_counters;
  u64 m_fills_since_flush = 0;
  u64 m_tlb_entries = 0;  // what the softmmu TLB holds now, as far as fills tell
  std::string m_error;
  std::unique_ptr<QuantumTimer> m_quantum;
  size_t m_block_hook = 0;  // uc_hook
  // --poison-after: events left before the injection (0: none pending), and which count.
  u64 m_poison_countdown = 0;
  bool m_poison_on_syscalls = false;
  bool m_poison_on_faults = false;
  std::vector<kernel::PhysAddr> m_delayed_poison;
};

}  // namespace emu
