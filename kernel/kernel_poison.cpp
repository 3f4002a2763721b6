// Hardware poison at the kernel's level: machine checks from the machine, memory_failure()
// with 6.1's kill policy (kill_procs, task_early_kill), MADV_HWPOISON / MADV_SOFT_OFFLINE
// (madvise_inject_error) and poison injected from outside the guest. The page work itself
// is mm/hwpoison.cpp's; this file finds the processes behind each mapper and signals them,
// and emits the poison trace events.
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/fault.h"
#include "kernel/mm/hwpoison.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"

namespace kernel {

namespace {

constexpr int kHwPoisonLsb = kPageShift;  // si_addr_lsb for a 4 KiB page

const char* access_name(u32 error_code) {
  if (error_code & mm::kFaultFetch) return "fetch";
  return (error_code & mm::kFaultWrite) ? "write" : "read";
}

}  // namespace

void Kernel::inject_poison(PhysAddr paddr, const char* source) {
  const Pfn pfn = paddr.pfn();
  m_ram.set_poisoned(pfn, true);
  // Translations cached before the bit was set would let accesses through.
  m_cpu.flush_tlb();
  if (tracing(kTracePoison))
    emit("poison-inject", {TraceField::str("source", source), TraceField::hex("paddr", paddr.value),
                           TraceField::dec("pfn", pfn.value)});
}

void Kernel::machine_check(PhysAddr paddr, u64 vaddr, u32 error_code, const char* insn) {
  if (m_exit.exited) return;
  const Pfn pfn = paddr.pfn();
  if (tracing(kTracePoison))
    emit("machine-check",
         {TraceField::dec("pid", static_cast<u64>(m_current_process->pid())),
          TraceField::dec("tid", static_cast<u64>(m_current->tid())),
          TraceField::hex("rip", m_cpu.reg(hal::Reg::Rip)),
          TraceField::str("insn", insn ? insn : ""), TraceField::hex("addr", vaddr),
          TraceField::str("access", access_name(error_code)),
          TraceField::hex("paddr", paddr.value | (vaddr & kPageMask)),
          TraceField::dec("pfn", pfn.value)});
  bool told = false;
  const int error = memory_failure_at(pfn, mm::kMfActionRequired, page_round_down(vaddr), told);
  // kill_me_maybe: recovered (or the accessor already told, EHWPOISON): run on; the
  // instruction runs again unless a signal handler takes over. Anything else: SIGBUS.
  if (error != 0 && error != static_cast<int>(abi::Errno::kEHWPOISON) && !told) {
    force_signal_info(proc::siginfo_kernel(abi::kSIGBUS), ResetHandler::IfBlockedOrIgnored);
    if (tracing(kTracePoison))
      emit("poison-signal", {TraceField::dec("pid", static_cast<u64>(m_current_process->pid())),
                             TraceField::dec("tid", static_cast<u64>(m_current->tid())),
                             TraceField::str("sig", "SIGBUS"), TraceField::str("code", "SI_KERNEL"),
                             TraceField::str("why", "not recovered")});
  }
  return_to_user({});
}

int Kernel::memory_failure(Pfn pfn, u32 flags) {
  bool told = false;
  return memory_failure_at(pfn, flags, 0, told);
}

int Kernel::memory_failure_at(Pfn pfn, u32 flags, u64 accessed_page, bool& told_current) {
  const mm::MemoryFailure report = mm::memory_failure(m_memory, pfn, flags);
  if (report.already_poisoned) {
    if (tracing(kTracePoison))
      emit("memory-failure",
           {TraceField::dec("pfn", pfn.value), TraceField::str("result", "already poisoned")});
    // kill_accessing_process: the accessor is told, at the address it touched.
    if (flags & mm::kMfActionRequired) {
      trace_poison_signal(*m_current, abi::kBUS_MCEERR_AR, accessed_page);
      force_signal_info(proc::siginfo_mceerr(abi::kBUS_MCEERR_AR, accessed_page, kHwPoisonLsb),
                        ResetHandler::IfBlockedOrIgnored);
      told_current = true;
    }
    return report.error();
  }
  if (tracing(kTracePoison)) {
    emit("memory-failure", {TraceField::dec("pfn", pfn.value),
                            TraceField::str("type", mm::poisoned_page_name(report.kind)),
                            TraceField::str("result", mm::poison_outcome_name(report.outcome))});
    for (const mm::PoisonMapper& m : report.mappers)
      for (const auto& [pid, process] : m_processes)
        if (&process->address_space() == m.as)
          emit("poison-unmap",
               {TraceField::dec("pid", static_cast<u64>(pid)), TraceField::hex("addr", m.va),
                TraceField::str("entry", m.hwpoison_entry ? "hwpoison" : "none")});
  }
  if (report.kill) told_current = kill_poisoned_mappers(report, flags);
  return report.error();
}

Thread* Kernel::early_kill_thread(Process& process) {
  // find_early_kill_thread: the first thread that asked for early kill, or any thread
  // when the sysctl asks for it and the thread did not choose otherwise.
  for (Thread* t : process.threads()) {
    if (t->mce_kill().process) {
      if (t->mce_kill().early) return t;
    } else if (m_tunables.vm.memory_failure_early_kill) {
      return t;
    }
  }
  return nullptr;
}

void Kernel::trace_poison_signal(const Thread& thread, int code, u64 addr) {
  if (!tracing(kTracePoison)) return;
  emit("poison-signal",
       {TraceField::dec("pid", static_cast<u64>(thread.process().pid())),
        TraceField::dec("tid", static_cast<u64>(thread.tid())), TraceField::str("sig", "SIGBUS"),
        TraceField::str("code", abi::si_code_name(abi::kSIGBUS, code)),
        TraceField::hex("addr", addr), TraceField::dec("lsb", static_cast<u64>(kHwPoisonLsb))});
}

bool Kernel::kill_poisoned_mappers(const mm::MemoryFailure& report, u32 flags) {
  bool told_current = false;
  const bool action_required = flags & mm::kMfActionRequired;
  // collect_procs then kill_procs: one signal per (process, mapping), in process order.
  for (const auto& [pid, process] : m_processes) {
    if (process->state() != ProcessState::Alive) continue;
    for (const mm::PoisonMapper& m : report.mappers) {
      if (&process->address_space() != m.as) continue;
      // task_early_kill: the accessor's own address space is always told (force_early).
      Thread* t = nullptr;
      if (action_required && &m_current_process->address_space() == m.as)
        t = m_current;
      else
        t = early_kill_thread(*process);
      if (!t) continue;
      if (action_required && t == m_current) {
        trace_poison_signal(*t, abi::kBUS_MCEERR_AR, m.va);
        force_signal_info(proc::siginfo_mceerr(abi::kBUS_MCEERR_AR, m.va, kHwPoisonLsb),
                          ResetHandler::IfBlockedOrIgnored);
        told_current = true;
      } else {
        trace_poison_signal(*t, abi::kBUS_MCEERR_AO, m.va);
        (void)signal_thread(*t, proc::siginfo_mceerr(abi::kBUS_MCEERR_AO, m.va, kHwPoisonLsb));
      }
    }
  }
  return told_current;
}

void Kernel::poison_consumed(Pfn pfn) {
  // A kernel copy consumed poison (MCE_IN_KERNEL_COPYIN): memory_failure without
  // MF_ACTION_REQUIRED, and the copy fails (EFAULT).
  if (tracing(kTracePoison))
    emit("machine-check",
         {TraceField::dec("pid", static_cast<u64>(m_current_process->pid())),
          TraceField::dec("tid", static_cast<u64>(m_current->tid())),
          TraceField::str("insn", "(kernel copy)"), TraceField::dec("pfn", pfn.value)});
  (void)memory_failure(pfn, 0);
}

Result<void> Kernel::soft_offline_page(Pfn pfn) {
  auto moved = mm::soft_offline(m_memory, pfn);
  if (tracing(kTracePoison)) {
    if (!moved.ok())
      emit("soft-offline",
           {TraceField::dec("pfn", pfn.value),
            TraceField::str("result", abi::errno_name(static_cast<int>(moved.error())))});
    else if (moved.value().already_poisoned)
      emit("soft-offline",
           {TraceField::dec("pfn", pfn.value), TraceField::str("result", "already poisoned")});
    else if (moved.value().was_free)
      emit("soft-offline",
           {TraceField::dec("pfn", pfn.value), TraceField::str("result", "free page taken off")});
    else
      emit("soft-offline",
           {TraceField::dec("pfn", pfn.value), TraceField::dec("to", moved.value().to.value),
            TraceField::dec("mappers", moved.value().mappers),
            TraceField::str("result", "migrated")});
  }
  if (!moved.ok()) return moved.error();
  return {};
}

Result<void> Kernel::inject_memory_error(Process& process, int advice, u64 start, u64 end,
                                         u64* pages_done) {
  if (!capable(process.creds(), cap::kSysAdmin)) return abi::Errno::kEPERM;
  mm::AddressSpace& as = process.address_space();
  for (u64 page = start; page < end; page += kPageSize) {
    // get_user_pages_fast(start, 1, 0): the page faulted in for reading. A hole, a
    // PROT_NONE page or a hwpoison entry fails the call with EFAULT.
    if (page >= mm::kTaskSize) return abi::Errno::kEFAULT;
    auto found = as.page_table().lookup(page);
    if (!found.pte.present()) {
      const mm::FaultResult r = as.handle_fault(page, mm::kFaultUser);
      if (!r.handled())
        return r.resolution == mm::FaultResolution::OutOfMemory ? abi::Errno::kENOMEM
                                                                : abi::Errno::kEFAULT;
      found = as.page_table().lookup(page);
    }
    if (!found.pte.present() || !found.pte.user()) return abi::Errno::kEFAULT;
    const Pfn pfn = found.pte.pfn();
    if (advice == abi::kMADV_SOFT_OFFLINE) {
      if (tracing(kTracePoison))
        emit("poison-inject", {TraceField::str("source", "MADV_SOFT_OFFLINE"),
                               TraceField::dec("pid", static_cast<u64>(process.pid())),
                               TraceField::hex("addr", page), TraceField::dec("pfn", pfn.value)});
      TRY(soft_offline_page(pfn));
      if (pages_done) ++*pages_done;
      continue;
    }
    if (tracing(kTracePoison))
      emit("poison-inject", {TraceField::str("source", "MADV_HWPOISON"),
                             TraceField::dec("pid", static_cast<u64>(process.pid())),
                             TraceField::hex("addr", page), TraceField::dec("pfn", pfn.value)});
    const int error = memory_failure(pfn, mm::kMfCountIncreased | mm::kMfSwSimulated);
    if (error != 0) return static_cast<abi::Errno>(error);
    if (pages_done) ++*pages_done;
  }
  return {};
}

}  // namespace kernel
