// The Kernel's tracing half: --strace lines as `strace -f` prints them (held entries,
// "<unfinished ...>", "<... NAME resumed>", "+++ exited with N +++", "--- SIG ---") and the
// sched, signal and fork event classes of --trace. Nothing here runs while tracing is off:
// every caller checks its switch first.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/strace.h"
#include "kernel/syscalls/syscall.h"

namespace kernel {

namespace {

constexpr u64 kSysExit = 60, kSysExitGroup = 231, kSysExecve = 59, kSysExecveat = 322;

// strace's view of guest memory: reads only what is already mapped, never faults.
bool peek_guest(void* ctx, u64 addr, void* dst, u64 len) {
  auto& as = *static_cast<mm::AddressSpace*>(ctx);
  auto* out = static_cast<u8*>(dst);
  while (len > 0) {
    if (addr >= mm::kTaskSize) return false;
    const auto found = as.page_table().lookup(addr);
    if (!found.pte.present() || !found.pte.user()) return false;
    const u64 page_mask = (u64{1} << (kPageShift + 9 * (found.level - 1))) - 1;
    const PhysAddr pa((found.pte.address().value & ~page_mask) | (addr & page_mask));
    const u64 chunk = std::min(len, kPageSize - (addr & kPageMask));
    if (!as.ram().contains(pa, chunk)) return false;
    std::memcpy(out, as.ram().at(pa), chunk);
    out += chunk;
    addr += chunk;
    len -= chunk;
  }
  return true;
}

// A signal as an event field: its name, or its number when it has none.
TraceField signal_field(const char* key, int sig) {
  if (const char* name = abi::signal_name(sig)) return TraceField::str(key, name);
  return TraceField::dec(key, static_cast<u64>(sig));
}

}  // namespace

void Kernel::set_tracing(u32 classes) {
  m_trace_classes = m_sink ? classes : 0;
  m_memory.set_tracing(m_sink, m_trace_classes);
  m_scheduler.set_tracing(tracing(kTraceSched) ? m_sink : nullptr);
}

// --- strace ---

std::string Kernel::strace_prefix(const Thread& thread) const {
  char buffer[32];
  if (m_options.strace_pid_column) {
    // strace -f -o FILE: every line, "%-5d ".
    std::snprintf(buffer, sizeof buffer, "%-5d ", thread.tid());
    return buffer;
  }
  // strace -f marks each line with the thread once it traces more than one.
  if (m_threads.size() <= 1) return {};
  std::snprintf(buffer, sizeof buffer, "[pid %5d] ", thread.tid());
  return buffer;
}

namespace {

syscalls::SyscallArgs args_of(const Thread::StraceCall& call) {
  syscalls::SyscallArgs args;
  args.nr = call.nr;
  std::copy(std::begin(call.args), std::end(call.args), args.a);
  return args;
}

const char* call_name(u64 nr) {
  const char* name = syscalls::syscall_name(nr);
  return name ? name : "syscall";
}

}  // namespace

void Kernel::strace_format_entry(Thread& thread) {
  Thread::StraceCall& call = thread.strace_call();
  if (call.formatted) return;
  const syscalls::StraceReader reader{&peek_guest, &thread.process().address_space()};
  call.entry = syscalls::format_entry(syscalls::lookup_syscall(call.nr), args_of(call), reader);
  call.formatted = true;
}

void Kernel::strace_flush_open() {
  Thread* open = std::exchange(m_strace_open, nullptr);
  if (!open) return;
  strace_format_entry(*open);
  Thread::StraceCall& call = open->strace_call();
  m_sink->strace_line(call.prefix + call.entry + " <unfinished ...>");
  call.unfinished = true;
}

void Kernel::strace_line(const Thread& thread, const std::string& text) {
  strace_flush_open();
  m_sink->strace_line(strace_prefix(thread) + text);
}

void Kernel::strace_enter(Thread& thread, const syscalls::SyscallInfo* info,
                          const syscalls::SyscallArgs& args) {
  if (args.nr == kSysExit || args.nr == kSysExitGroup) {
    const syscalls::StraceReader reader{&peek_guest, &thread.process().address_space()};
    strace_line(thread, syscalls::format_noreturn(info, args, reader));
    return;
  }
  // strace prints the entry now: a line from anyone else cuts the one held so far short.
  strace_flush_open();
  Thread::StraceCall& call = thread.strace_call();
  call.nr = args.nr;
  std::copy(std::begin(args.a), std::end(args.a), call.args);
  call.prefix = strace_prefix(thread);
  call.formatted = false;
  call.unfinished = false;
  // execve replaces the memory its arguments are in: they are read before it runs. Other
  // calls are read later, once the call has touched (and so mapped) what it reads.
  if (args.nr == kSysExecve || args.nr == kSysExecveat) strace_format_entry(thread);
  m_strace_open = &thread;
}

void Kernel::strace_exit(Thread& thread, const syscalls::SyscallInfo* info,
                         const syscalls::SyscallArgs& args, std::optional<i64> ret) {
  const syscalls::StraceReader reader{&peek_guest, &thread.process().address_space()};
  Thread::StraceCall& call = thread.strace_call();
  if (m_strace_open == &thread) {
    m_strace_open = nullptr;
    strace_format_entry(thread);
    m_sink->strace_line(call.prefix + call.entry + syscalls::format_exit(info, args, ret, reader));
  } else {
    std::string resumed = "<... ";
    resumed += call_name(args.nr);
    resumed += " resumed>";
    strace_line(thread, resumed + syscalls::format_exit(info, args, ret, reader));
  }
  call.entry.clear();
  call.formatted = false;
  call.unfinished = false;
}

void Kernel::strace_note_ignored(const Process& target, const abi::Siginfo& info) {
  // Bounded: a process that ignores a flood of signals it never returns to user mode for
  // keeps the first few.
  constexpr std::size_t kMaxHeld = 64;
  if (m_strace_ignored.size() < kMaxHeld) m_strace_ignored.emplace_back(target.pid(), info);
}

void Kernel::strace_ignored_signals(Thread& thread) {
  const int pid = thread.process().pid();
  for (std::size_t i = 0; i < m_strace_ignored.size();) {
    if (m_strace_ignored[i].first != pid) {
      ++i;
      continue;
    }
    const abi::Siginfo info = m_strace_ignored[i].second;
    m_strace_ignored.erase(m_strace_ignored.begin() + static_cast<std::ptrdiff_t>(i));
    strace_line(thread, syscalls::format_siginfo_line(info));
  }
}

void Kernel::trace_signal(const abi::Siginfo& info) {
  // SIGKILL never stops a traced thread on its way: strace sees only the death.
  if (!m_options.strace || !m_sink || info.si_signo == abi::kSIGKILL) return;
  strace_line(*m_current, syscalls::format_siginfo_line(info));
}

// --- Events ---

void Kernel::thread_exited(Thread& thread, int wait_status, bool process_ended) {
  if (m_options.strace && m_sink) {
    strace_line(thread, syscalls::format_exit_line(wait_status));
    if (m_strace_open == &thread) m_strace_open = nullptr;
  }
  if (tracing(kTraceFork)) {
    const int sig = wait_status & 0x7f;
    const TraceField how =
        sig ? signal_field("signal", sig)
            : TraceField::dec("code", static_cast<u64>((wait_status >> 8) & 0xff));
    emit("exit", {TraceField::dec("tid", static_cast<u64>(thread.tid())),
                  TraceField::dec("pid", static_cast<u64>(thread.process().pid())), how,
                  TraceField::str("process", process_ended ? "ended" : "lives")});
  }
}

void Kernel::trace_signal_generate(const Process& target, const Thread* thread,
                                   const abi::Siginfo& info, const char* result) {
  const char* code = abi::si_code_name(info.si_signo, info.si_code);
  const TraceField code_field =
      code ? TraceField::str("code", code)
           : TraceField::dec("code", static_cast<u64>(static_cast<i64>(info.si_code)));
  emit("signal-generate",
       {TraceField::dec("sender", m_current ? static_cast<u64>(m_current->tid()) : 0),
        TraceField::dec("target", static_cast<u64>(thread ? thread->tid() : target.pid())),
        signal_field("sig", info.si_signo), code_field,
        TraceField::str("scope", thread ? "thread" : "group"), TraceField::str("result", result)});
}

void Kernel::trace_signal_deliver(const Thread& thread, int sig, const SignalAction& action) {
  const u64 tid = static_cast<u64>(thread.tid());
  if (action.handler != abi::kSIG_DFL && action.handler != abi::kSIG_IGN) {
    emit("signal-deliver",
         {TraceField::dec("tid", tid), signal_field("sig", sig),
          TraceField::str("action", "handler"), TraceField::hex("handler", action.handler)});
    return;
  }
  const char* what = "terminate";
  if (action.handler == abi::kSIG_IGN)
    what = "ignore";
  else if (sig == abi::kSIGCONT)
    what = "continue";
  else if (proc::default_ignored(sig))
    what = "ignore";
  else if (sig == abi::kSIGSTOP || sig == 20 || sig == 21 || sig == 22)
    what = "stop";
  emit("signal-deliver",
       {TraceField::dec("tid", tid), signal_field("sig", sig), TraceField::str("action", what)});
}

}  // namespace kernel
