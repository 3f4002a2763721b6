#include "emu/machine.h"

#include <unicorn/unicorn.h>

#include <chrono>
#include <cstring>
#include <utility>

#include "emu/fault_address.h"
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/fault.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_frame.h"

namespace emu {

using kernel::hal::Reg;

namespace {

constexpr int kUnicornReg[] = {
    UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX,    UC_X86_REG_RDX,     UC_X86_REG_RSI,
    UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP,    UC_X86_REG_R8,      UC_X86_REG_R9,
    UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12,    UC_X86_REG_R13,     UC_X86_REG_R14,
    UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_RFLAGS, UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE,
};
static_assert(sizeof(kUnicornReg) / sizeof(kUnicornReg[0]) == static_cast<int>(Reg::Count));

Access access_of(int type) {
  switch (type) {
    case UC_MEM_WRITE:
      return Access::Write;
    case UC_MEM_FETCH:
      return Access::Fetch;
    default:
      return Access::Read;
  }
}

// uc_emu_start's `until` address. Unicorn looks its page up when emulation starts; that
// lookup is answered "unmapped" without involving the kernel. No user address is there.
constexpr u64 kUntil = ~u64{0};
constexpr u64 kUntilPage = kUntil & ~kernel::kPageMask;

// Unicorn starts the CPU at CPL 0, where cli, hlt or mov to %cr3 would simply run. The
// guest is put at CPL 3 once, before its first instruction, by one `sysretq` executed from
// a firmware page: physical frame 0, which the kernel never hands out, seen at a kernel-half
// address only until the switch is done. sysret takes CS and SS from MSR_STAR, as Linux's
// return to user mode does: CS 0x33, SS 0x2b.
constexpr kernel::u32 kGeneralProtection = 13;  // #GP
constexpr u64 kTrampolinePage = 0xffff'ffff'ffff'd000;
constexpr kernel::u8 kSysretq[] = {0x48, 0x0f, 0x07};
constexpr kernel::u32 kMsrEfer = 0xc0000080, kMsrStar = 0xc0000081;
constexpr u64 kEferSce = 1;  // SYSCALL/SYSRET enable
constexpr u64 kStarUserBase = u64{0x23} << 48;

// Unicorn's softmmu TLB (QEMU 5.0's) is direct-mapped, starts with 256 entries per MMU mode
// and is resized only by a full flush: doubled when more than 70% of it was used since the
// last resize, halved when less than 30% was used for 100 ms. A guest that touches more
// pages than that between flushes (sort, sqlite, a shell) keeps evicting its own entries:
// each conflict miss costs the victim-TLB search or a fill through our page walker. So when
// the fills since the last flush exceed the TLB's size kTlbGrowthFills times, the machine
// flushes once to let it grow, up to kTlbMaxEntries (48 bytes per entry on the host).
constexpr u64 kTlbInitialEntries = 256;
constexpr u64 kTlbMaxEntries = u64{1} << 16;
constexpr u64 kTlbGrowthFills = 2;
// How long a guest thread runs before another runnable one gets the CPU.
constexpr std::chrono::microseconds kQuantum{5000};
// Room for translated code; a full buffer is flushed and refilled by Unicorn.
constexpr kernel::u32 kTranslationBufferBytes = 64u << 20;

u64 now_ns() {
  return static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count());
}

}  // namespace

Machine::Machine(u64 ram_size)
    : m_ram(ram_size),
      m_mmu(m_ram.memory(), m_ram.poison_bits()),
      m_tlb_entries(kTlbInitialEntries) {
  if (!m_ram.ok()) {
    m_error = "cannot reserve " + std::to_string(ram_size >> 20) +
              " MiB of emulated RAM on this host (lower -m)";
    return;
  }
  uc_engine* uc = nullptr;
  if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) {
    m_error = "cannot open the Unicorn x86-64 CPU";
    return;
  }
  m_uc = uc;
  uc_hook hook;
  // Before anything is translated. Adding the block hook (preemption, timer wake-ups)
  // drops every translation, and Unicorn's tb_flush zero-fills the whole translation
  // buffer: at QEMU's 1 GiB default that took seconds and committed a gigabyte.
  uc_err err = uc_ctl_set_tcg_buffer_size(uc, kTranslationBufferBytes);
  if (err == UC_ERR_OK) err = uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL);
  if (err == UC_ERR_OK) err = uc_mem_map_ptr(uc, 0, m_ram.size(), UC_PROT_ALL, m_ram.base());
  if (err == UC_ERR_OK)
    err =
        uc_hook_add(uc, &hook, UC_HOOK_TLB_FILL, reinterpret_cast<void*>(&on_tlb_fill), this, 1, 0);
  if (err == UC_ERR_OK)
    err = uc_hook_add(uc, &hook, UC_HOOK_INSN, reinterpret_cast<void*>(&on_syscall), this, 1, 0,
                      UC_X86_INS_SYSCALL);
  if (err == UC_ERR_OK)
    err = uc_hook_add(uc, &hook, UC_HOOK_INTR, reinterpret_cast<void*>(&on_interrupt), this, 1, 0);
  // Port I/O at CPL 3 with IOPL 0 faults (#GP) on Linux; Unicorn would perform it.
  if (err == UC_ERR_OK)
    err = uc_hook_add(uc, &hook, UC_HOOK_INSN, reinterpret_cast<void*>(&on_port_in), this, 1, 0,
                      UC_X86_INS_IN);
  if (err == UC_ERR_OK)
    err = uc_hook_add(uc, &hook, UC_HOOK_INSN, reinterpret_cast<void*>(&on_port_out), this, 1, 0,
                      UC_X86_INS_OUT);
  if (err != UC_ERR_OK) m_error = std::string("Unicorn set-up failed: ") + uc_strerror(err);
}

Machine::~Machine() {
  if (m_uc) uc_close(m_uc);
}

u64 Machine::read_reg(Reg r) const {
  u64 value = 0;
  uc_reg_read(m_uc, kUnicornReg[static_cast<int>(r)], &value);
  return value;
}

void Machine::write_reg(Reg r, u64 value) {
  uc_reg_write(m_uc, kUnicornReg[static_cast<int>(r)], &value);
}

u64 Machine::rip() const {
  if (m_in_syscall && m_rip_deferred) return m_deferred_rip;
  u64 rip = 0;
  uc_reg_read(m_uc, UC_X86_REG_RIP, &rip);
  if (!m_in_syscall) return rip;
  // Inside the syscall hook Unicorn's rip is the `syscall` instruction itself (0f 05, maybe
  // after prefixes); the kernel sees the address after it, as Linux's regs->ip.
  kernel::u8 code[15];
  u64 len = 0;
  while (len < sizeof code && m_mmu.peek(m_cr3, rip + len, code + len, 1)) {
    if (len > 0 && code[len - 1] == 0x0f && code[len] == 0x05) return rip + len + 1;
    ++len;
  }
  return rip + 2;
}

void Machine::set_rip(u64 value) {
  if (m_in_syscall) {
    // Unicorn 2.1.1 calls the syscall hook with rip at the `syscall` instruction, then adds
    // the instruction's length, and a rip written in the hook does not stop emulation: the
    // guest would resume 2 bytes past it. So the hook stops emulation, and the run loop
    // writes rip before starting again. The other registers can be written in the hook.
    m_deferred_rip = value;
    m_rip_deferred = true;
    request_stop();
    return;
  }
  uc_reg_write(m_uc, UC_X86_REG_RIP, &value);
}

void Machine::save_fpu(kernel::hal::FpuState& out) const {
  using kernel::hal::FpuState;
  auto* b = out.bytes;
  std::memset(b, 0, sizeof out.bytes);
  kernel::u16 fcw = 0, fsw = 0, tag = 0, fop = 0;
  kernel::u32 mxcsr = 0;
  u64 fip = 0, fdp = 0;
  uc_reg_read(m_uc, UC_X86_REG_FPCW, &fcw);
  uc_reg_read(m_uc, UC_X86_REG_FPSW, &fsw);  // TOP included
  uc_reg_read(m_uc, UC_X86_REG_FPTAG, &tag);
  uc_reg_read(m_uc, UC_X86_REG_FOP, &fop);
  uc_reg_read(m_uc, UC_X86_REG_FIP, &fip);
  uc_reg_read(m_uc, UC_X86_REG_FDP, &fdp);
  uc_reg_read(m_uc, UC_X86_REG_MXCSR, &mxcsr);
  // FXSAVE's abridged tag: one bit per physical register, set unless the full tag says empty.
  kernel::u8 abridged = 0;
  for (int i = 0; i < 8; ++i)
    if (((tag >> (2 * i)) & 3) != 3) abridged |= static_cast<kernel::u8>(1u << i);
  const kernel::u32 mxcsr_mask = FpuState::kMxcsrMaskValue;
  std::memcpy(b + FpuState::kFcw, &fcw, 2);
  std::memcpy(b + FpuState::kFsw, &fsw, 2);
  b[FpuState::kFtw] = abridged;
  std::memcpy(b + FpuState::kFop, &fop, 2);
  std::memcpy(b + FpuState::kFip, &fip, 8);
  std::memcpy(b + FpuState::kFdp, &fdp, 8);
  std::memcpy(b + FpuState::kMxcsr, &mxcsr, 4);
  std::memcpy(b + FpuState::kMxcsrMask, &mxcsr_mask, 4);
  // ST(i) in stack order, 10 bytes in 16-byte slots; Unicorn's STn are relative to TOP.
  for (int i = 0; i < 8; ++i) uc_reg_read(m_uc, UC_X86_REG_ST0 + i, b + FpuState::kSt0 + 16 * i);
  for (int i = 0; i < 16; ++i) uc_reg_read(m_uc, UC_X86_REG_XMM0 + i, b + FpuState::kXmm0 + 16 * i);
}

void Machine::restore_fpu(const kernel::hal::FpuState& in) {
  using kernel::hal::FpuState;
  const auto* b = in.bytes;
  kernel::u16 fcw = 0, fsw = 0, fop = 0;
  kernel::u32 mxcsr = 0;
  u64 fip = 0, fdp = 0;
  std::memcpy(&fcw, b + FpuState::kFcw, 2);
  std::memcpy(&fsw, b + FpuState::kFsw, 2);
  std::memcpy(&fop, b + FpuState::kFop, 2);
  std::memcpy(&fip, b + FpuState::kFip, 8);
  std::memcpy(&fdp, b + FpuState::kFdp, 8);
  std::memcpy(&mxcsr, b + FpuState::kMxcsr, 4);
  kernel::u16 tag = 0;  // Unicorn keeps only "empty or not" per physical register
  for (int i = 0; i < 8; ++i)
    if (!(b[FpuState::kFtw] & (1u << i))) tag |= static_cast<kernel::u16>(3u << (2 * i));
  uc_reg_write(m_uc, UC_X86_REG_FPCW, &fcw);
  uc_reg_write(m_uc, UC_X86_REG_FPSW, &fsw);  // sets TOP, which the ST registers below follow
  uc_reg_write(m_uc, UC_X86_REG_FPTAG, &tag);
  uc_reg_write(m_uc, UC_X86_REG_FOP, &fop);
  uc_reg_write(m_uc, UC_X86_REG_FIP, &fip);
  uc_reg_write(m_uc, UC_X86_REG_FDP, &fdp);
  uc_reg_write(m_uc, UC_X86_REG_MXCSR, &mxcsr);
  for (int i = 0; i < 8; ++i) uc_reg_write(m_uc, UC_X86_REG_ST0 + i, b + FpuState::kSt0 + 16 * i);
  for (int i = 0; i < 16; ++i)
    uc_reg_write(m_uc, UC_X86_REG_XMM0 + i, b + FpuState::kXmm0 + 16 * i);
}

void Machine::flush_tlb() {
  ++m_counters.tlb_flushes;
  m_fills_since_flush = 0;
  uc_ctl_flush_tlb(m_uc);
}

void Machine::grow_tlb_if_thrashing() {
  if (++m_fills_since_flush < kTlbGrowthFills * m_tlb_entries || m_tlb_entries >= kTlbMaxEntries)
    return;
  // Safe inside a fill: QEMU looks the entry up again after the fill hook returns, and the
  // entry this fill makes goes into the new table.
  ++m_counters.tlb_growth_flushes;
  m_tlb_entries *= 2;
  flush_tlb();
}

void Machine::set_preemption(bool on) {
  if (!m_quantum) {
    if (!on) return;
    m_quantum = std::make_unique<QuantumTimer>(kQuantum);
  }
  m_quantum->arm(on);
  // The block hook goes in once, from the run loop: code translated before it lacks the
  // hook's call, so every translation is dropped then, which cannot be done from a hook.
  if (on && !m_block_hook) request_stop();
}

void Machine::set_wakeup(u64 deadline_ns) {
  if (!m_quantum) {
    if (!deadline_ns) return;
    m_quantum = std::make_unique<QuantumTimer>(kQuantum);
  }
  m_quantum->wake_at(deadline_ns);
  if (deadline_ns && !m_block_hook) request_stop();
}

void Machine::install_block_hook() {
  uc_hook hook = 0;
  if (uc_hook_add(m_uc, &hook, UC_HOOK_BLOCK, reinterpret_cast<void*>(&on_block), this, 1, 0) !=
      UC_ERR_OK)
    return;
  m_block_hook = hook;
  uc_ctl_flush_tb(m_uc);
}

void Machine::request_stop() {
  m_stop_requested = true;
  uc_emu_stop(m_uc);
}

bool Machine::on_tlb_fill(uc_struct*, u64 vaddr, int type, void* result, void* self) {
  auto* machine = static_cast<Machine*>(self);
  machine->m_in_syscall = false;
  return machine->fill(vaddr, access_of(type), result);
}

void Machine::on_block(uc_struct* uc, u64, kernel::u32, void* self) {
  // At a block's start Unicorn has rip in sync, so a stop here resumes exactly.
  auto* machine = static_cast<Machine*>(self);
  if (machine->m_quantum->ended() || machine->m_quantum->woken()) uc_emu_stop(uc);
}

void Machine::on_syscall(uc_struct*, void* self) {
  auto* machine = static_cast<Machine*>(self);
  ++machine->m_counters.syscalls;
  if (machine->m_poison_countdown != 0 && machine->m_poison_on_syscalls) [[unlikely]]
    machine->count_poison_event();
  // Cleared by the next hook or when emulation stops: clearing it here, after the call,
  // would cost the syscall path its tail call.
  machine->m_in_syscall = true;
  machine->m_kernel->syscall();
}

kernel::u32 Machine::on_port_in(uc_struct* uc, kernel::u32, int, void* self) {
  on_interrupt(uc, kGeneralProtection, self);
  return 0;
}

void Machine::on_port_out(uc_struct* uc, kernel::u32, int, kernel::u32, void* self) {
  on_interrupt(uc, kGeneralProtection, self);
}

void Machine::on_interrupt(uc_struct* uc, kernel::u32 intno, void* self) {
  auto* machine = static_cast<Machine*>(self);
  machine->m_in_syscall = false;
  machine->m_exception = true;
  machine->m_exception_no = intno;
  uc_emu_stop(uc);
}

// One 4 KiB translation per call, huge pages included: Unicorn 2.1's unicorn_fill_tlb
// (qemu/softmmu/unicorn_vtlb.c) installs what this returns with tlb_set_page(...,
// TARGET_PAGE_SIZE), and uc_tlb_entry has no size field. A 2 MiB leaf therefore still
// costs one fill per 4 KiB page touched; what it saves is the page-table level the walk
// skips and the 511 faults it never takes.
bool Machine::fill(u64 vaddr, Access access, void* out) {
  auto* entry = static_cast<uc_tlb_entry*>(out);
  ++m_counters.tlb_fills;
  grow_tlb_if_thrashing();
  // After the process ended, Unicorn may still translate while it winds down.
  if (m_kernel->exited() || vaddr == kUntilPage) return false;
  if (vaddr == kTrampolinePage && !m_user_mode && access == Access::Fetch) {
    entry->paddr = 0;
    entry->perms = static_cast<uc_prot>(UC_PROT_READ | UC_PROT_EXEC);
    return true;
  }
  Walk w = m_mmu.walk(m_cr3, vaddr, access);
  if (w.status == Walk::Status::PageFault) {
    if (m_trace_faults) {
      // Stop at the exact faulting instruction, and resolve with full detail from the run loop.
      m_pending = {true, false, {}, vaddr, access, w};
      return false;
    }
    if (m_poison_countdown != 0 && m_poison_on_faults) [[unlikely]]
      count_poison_event();
    const kernel::mm::FaultResult r = m_kernel->page_fault(vaddr, w.error_code);
    if (!r.handled()) {
      m_pending = {true, true, r, vaddr, access, w};
      return false;
    }
    w = m_mmu.walk(m_cr3, vaddr, access);
  }
  switch (w.status) {
    case Walk::Status::Ok:
      entry->paddr = w.frame.value;
      entry->perms = static_cast<uc_prot>(UC_PROT_READ | (w.writable ? UC_PROT_WRITE : 0) |
                                          (w.executable ? UC_PROT_EXEC : 0));
      return true;
    case Walk::Status::MachineCheck:
      m_hw_fault = {true,  kernel::abi::kSIGBUS, kernel::abi::kBUS_MCEERR_AR, vaddr, true, w.frame,
                    access};
      return false;
    case Walk::Status::BusError:
      m_hw_fault = {true, kernel::abi::kSIGBUS, kernel::abi::kBUS_ADRERR, vaddr};
      return false;
    case Walk::Status::PageFault:
      // Resolved, yet the walk still faults: the kernel left the entry inconsistent.
      m_hw_fault = {true, kernel::abi::kSIGSEGV, kernel::abi::kSI_KERNEL, vaddr};
      return false;
  }
  return false;
}

std::string Machine::instruction_at(u64 rip) const {
  kernel::u8 code[16];
  u64 got = 0;
  // An instruction may end on the next page; take what is readable.
  while (got < sizeof code && m_mmu.peek(m_cr3, rip + got, code + got, 1)) ++got;
  if (got == 0) return "(unreadable)";
  return m_disasm.one(code, got, rip);
}

u64 Machine::exact_address(u64 page, Access access) const {
  const u64 rip = reg(Reg::Rip);
  kernel::u8 code[16];
  u64 got = 0;
  while (got < sizeof code && m_mmu.peek(m_cr3, rip + got, code + got, 1)) ++got;
  return exact_fault_address(code, got, rip, page, access, [this](Reg r) { return reg(r); });
}

void Machine::resolve_pending_fault() {
  const PendingFault pending = m_pending;
  m_pending.active = false;
  // Emulation stopped with the state restored to the faulting instruction.
  const u64 addr = exact_address(pending.addr, pending.access);
  if (pending.resolved) {
    m_kernel->fault_signal(pending.result, addr, pending.walk.error_code);
    return;
  }
  const u64 rip = reg(Reg::Rip);
  if (m_poison_countdown != 0 && m_poison_on_faults) count_poison_event();
  const u64 start = now_ns();
  const kernel::mm::FaultResult r = m_kernel->page_fault(addr, pending.walk.error_code);
  const u64 cost = now_ns() - start;
  trace::FaultEvent event;
  event.thread = m_kernel->current_thread().tid();
  event.rip = rip;
  event.insn = instruction_at(rip);
  event.addr = addr;
  event.access = pending.access;
  event.error_code = pending.walk.error_code;
  event.walk = &pending.walk;
  event.resolution = kernel::mm::fault_resolution_name(r.resolution);
  event.stack_grown = r.stack_grown;
  event.ns = cost;
  m_tracer->fault(event);
  if (r.replaced_present) flush_tlb();
  if (!r.handled()) m_kernel->fault_signal(r, addr, pending.walk.error_code);
}

void Machine::poison_after(std::vector<kernel::PhysAddr> addrs, u64 events, bool syscalls,
                           bool faults) {
  m_delayed_poison = std::move(addrs);
  m_poison_countdown = events + 1;
  m_poison_on_syscalls = syscalls;
  m_poison_on_faults = faults;
}

void Machine::count_poison_event() {
  if (--m_poison_countdown != 0) return;
  for (const kernel::PhysAddr addr : m_delayed_poison)
    m_kernel->inject_poison(addr, "poison-after");
  m_delayed_poison.clear();
}

void Machine::raise_machine_check() {
  // Unicorn put the state back at the instruction that consumed the poison.
  const PendingHardwareFault mce = m_hw_fault;
  const u64 addr = exact_address(mce.addr, mce.access);
  kernel::u32 error_code = kernel::mm::kFaultUser;
  if (mce.access == Access::Write) error_code |= kernel::mm::kFaultWrite;
  if (mce.access == Access::Fetch) error_code |= kernel::mm::kFaultFetch;
  std::string insn;
  if (m_kernel->tracing(kernel::kTracePoison)) insn = instruction_at(reg(Reg::Rip));
  m_kernel->machine_check(mce.frame, addr, error_code, insn.empty() ? nullptr : insn.c_str());
}

void Machine::deliver_exception(kernel::u32 intno) {
  namespace abi = kernel::abi;
  m_exception = false;
  const u64 rip = reg(Reg::Rip);
  const int vector = static_cast<int>(intno);
  switch (intno) {
    case 0:
      m_kernel->cpu_exception(vector, abi::kSIGFPE, abi::kFPE_INTDIV, rip);
      break;
    case 1:
    case 3:
      m_kernel->cpu_exception(vector, abi::kSIGTRAP, abi::kSI_KERNEL, 0);
      break;
    case 6:
      m_kernel->cpu_exception(vector, abi::kSIGILL, abi::kILL_ILLOPN, rip);
      break;
    case 7:
    case 16:
    case 19:
      m_kernel->cpu_exception(vector, abi::kSIGFPE, 0, rip);
      break;
    case 17:
      m_kernel->cpu_exception(vector, abi::kSIGBUS, abi::kBUS_ADRALN, 0);
      break;
    default:
      m_kernel->cpu_exception(vector, abi::kSIGSEGV, abi::kSI_KERNEL, 0);
      break;
  }
}

bool Machine::enter_user_mode() {
  std::memcpy(m_ram.base(), kSysretq, sizeof kSysretq);
  uc_x86_msr efer{kMsrEfer, 0};
  uc_reg_read(m_uc, UC_X86_REG_MSR, &efer);
  efer.value |= kEferSce;
  uc_x86_msr star{kMsrStar, kStarUserBase};
  if (uc_reg_write(m_uc, UC_X86_REG_MSR, &efer) != UC_ERR_OK ||
      uc_reg_write(m_uc, UC_X86_REG_MSR, &star) != UC_ERR_OK)
    return false;
  // sysretq loads %rip from %rcx and %rflags from %r11; the guest's own values come back
  // after the switch.
  const u64 rip = reg(Reg::Rip), rflags = reg(Reg::Rflags);
  const u64 rcx = reg(Reg::Rcx), r11 = reg(Reg::R11);
  set_reg(Reg::Rcx, rip);
  set_reg(Reg::R11, rflags);
  const uc_err err = uc_emu_start(m_uc, kTrampolinePage, rip, 0, 0);
  m_user_mode = true;
  flush_tlb();  // the trampoline's translation goes
  set_reg(Reg::Rcx, rcx);
  set_reg(Reg::R11, r11);
  // Unicorn looks the entry page up when told to stop there; with fault tracing on, that
  // fault is left pending and the run loop resolves (and traces) it first.
  if ((err != UC_ERR_OK && !m_pending.active) || reg(Reg::Rip) != rip) return false;
  kernel::u64 cs = 0;
  uc_reg_read(m_uc, UC_X86_REG_CS, &cs);
  return (cs & 3) == 3;
}

void Machine::run(kernel::Kernel& kernel, trace::Tracer* tracer) {
  m_kernel = &kernel;
  m_tracer = tracer;
  m_trace_faults = tracer && tracer->faults_enabled();
  if (!m_user_mode && !enter_user_mode() && !kernel.exited()) {
    m_error = "cannot switch the CPU to user mode";
    kernel.cpu_exception(kernel::Kernel::kNoVector, kernel::abi::kSIGKILL, kernel::abi::kSI_KERNEL,
                         0);
    return;
  }
  namespace abi = kernel::abi;
  while (!kernel.exited()) {
    if (m_pending.active) {
      resolve_pending_fault();
      continue;
    }
    // Due timers fire, and the CPU's next wake-up is set from what is left.
    if (m_quantum) (void)m_quantum->take_wakeup();
    kernel.tick();
    if (kernel.exited()) break;
    if (m_quantum) {
      if ((m_quantum->armed() || m_quantum->wakeup_armed()) && !m_block_hook) install_block_hook();
      if (m_quantum->expired()) kernel.preempt();
    }
    if (kernel.need_resched()) {
      kernel.schedule();
      continue;
    }
    const u64 rip = reg(Reg::Rip);
    const uc_err err = uc_emu_start(m_uc, rip, kUntil, 0, 0);
    m_in_syscall = false;
    if (m_rip_deferred) {
      // A syscall moved rip (signal handler, sigreturn, restart) and stopped emulation.
      m_rip_deferred = false;
      uc_reg_write(m_uc, UC_X86_REG_RIP, &m_deferred_rip);
    }
    if (kernel.exited()) break;
    const bool stop_requested = std::exchange(m_stop_requested, false);
    // What the guest did comes before why the CPU might also have stopped: an exception or
    // a fault taken after a hook asked for a stop (a timer armed in a syscall), or while a
    // quantum ended or a timer fell due, is still the guest's.
    if (m_pending.active) continue;  // resolved at the top of the loop
    if (m_hw_fault.active && m_hw_fault.machine_check) {
      m_hw_fault.active = false;
      raise_machine_check();
      continue;
    }
    if (m_hw_fault.active) {
      m_hw_fault.active = false;
      kernel.cpu_exception(kernel::Kernel::kNoVector, m_hw_fault.signal, m_hw_fault.si_code,
                           m_hw_fault.addr);
      continue;
    }
    if (m_exception) {
      deliver_exception(m_exception_no);
      continue;
    }
    if (stop_requested) {
      // Stopped from a hook, at an instruction boundary. Unicorn's status says nothing then:
      // its refused look-up of the `until` page at start leaves UC_ERR_EXCEPTION behind.
      continue;
    }
    if (m_quantum && (m_quantum->ended() || m_quantum->woken())) {
      // Stopped by the block hook at the quantum's end or for a due timer. Unicorn's status
      // says nothing then either (the same refused look-up).
      continue;
    }
    if (err == UC_ERR_OK) {
      // Either a stop request that did not end the process, or the guest reached `until`.
      if (reg(Reg::Rip) == kUntil)
        kernel.cpu_exception(abi::kX86_TRAP_PF, abi::kSIGSEGV, abi::kSEGV_MAPERR, kUntil);
      continue;
    }
    if (err == UC_ERR_INSN_INVALID) {
      kernel.cpu_exception(abi::kX86_TRAP_UD, abi::kSIGILL, abi::kILL_ILLOPN, reg(Reg::Rip));
      continue;
    }
    // Unicorn reports #UD and #GP alike; the instruction tells them apart.
    const u64 at = reg(Reg::Rip);
    if (is_invalid_opcode(at))
      kernel.cpu_exception(abi::kX86_TRAP_UD, abi::kSIGILL, abi::kILL_ILLOPN, at);
    else
      kernel.cpu_exception(abi::kX86_TRAP_GP, abi::kSIGSEGV, abi::kSI_KERNEL, 0);
  }
}

bool Machine::is_invalid_opcode(u64 rip) const {
  const std::string insn = instruction_at(rip);
  return insn == "(bad)" || insn.rfind("ud0", 0) == 0 || insn.rfind("ud1", 0) == 0 ||
         insn.rfind("ud2", 0) == 0;
}

}  // namespace emu
