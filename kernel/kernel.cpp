#include "kernel/kernel.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "kernel/abi/linux.h"
#include "kernel/fs/file.h"
#include "kernel/fs/procfs/pseudo_filesystem.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/strace.h"
#include "kernel/syscalls/syscall.h"

namespace kernel {

namespace {

constexpr int kFirstPid = 100;

u64 boot_clock_ns() {
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<u64>(now.tv_sec) * 1'000'000'000 + static_cast<u64>(now.tv_nsec);
}

}  // namespace

Kernel::Kernel(const hal::PhysMemory& ram, hal::Cpu& cpu, KernelOptions options, TraceSink* sink)
    : m_ram(ram),
      m_cpu(cpu),
      m_options(std::move(options)),
      m_sink(sink),
      m_tunables(Tunables::for_ram(ram.size)),
      m_memory(ram, cpu, mm::MemoryOptions{m_options.swap_bytes}) {
  m_memory.set_thp_settings(&m_tunables.thp);
  std::vector<fs::BindMount> binds;
  for (const KernelOptions::Bind& b : m_options.binds)
    binds.push_back({b.host_path, b.guest_path,
                     b.writable ? fs::HostAccess::ReadWrite : fs::HostAccess::ReadOnly});
  m_vfs = std::make_unique<fs::Vfs>(m_memory, m_options.root, binds);
  // procfs and sysfs show this kernel's state: mounted over the Vfs's default /proc, /sys.
  (void)m_vfs->mount("/proc", fs::procfs::make_procfs(*this));
  (void)m_vfs->mount("/sys", fs::procfs::make_sysfs(*this));
  m_memory.set_poison_client(this);
}

Kernel::~Kernel() {
  // Off every wait queue first: queues inside processes and files go with them below.
  for (auto& [tid, t] : m_threads) m_scheduler.remove(*t);
  // A file may hold a process that holds the file (a pidfd of oneself, in one's own fd
  // table): every table is emptied first, so that each goes.
  for (auto& [pid, p] : m_processes) p->fds_ptr() = std::make_shared<fs::FdTable>();
}

Result<void> Kernel::start(const std::string& path, const std::vector<std::string>& argv,
                           const std::vector<std::string>& envp, std::string& why) {
  m_empty_mm = std::make_shared<mm::AddressSpace>(m_memory);
  auto as = std::make_shared<mm::AddressSpace>(m_memory);
  as->set_max_map_count(static_cast<u64>(m_tunables.vm.max_map_count));
  const int pid = allocate_pid();
  auto process = std::make_shared<Process>(pid, std::move(as));
  m_processes[pid] = process;
  m_init = process.get();
  Thread* thread = new_thread(process, pid);
  m_current = thread;
  m_current_process = process.get();
  m_scheduler.set_running(thread->tid());
  // The guest starts where emu was started, seen through its root ("/" when that lies
  // outside the root).
  process->fs().cwd =
      m_options.host_cwd.empty() ? std::string("/") : m_vfs->guest_path_of_host(m_options.host_cwd);
  process->fds().install_stdio();
  process->creds() = Credentials::initial(m_options.uid, m_options.gid);

  const fs::Caller caller{process->fs(), process->pid(), {}, &process->fds(), process->creds()};
  auto opened = m_vfs->open_executable(caller, nullptr, path);
  if (!opened.ok()) {
    why = abi::errno_message(static_cast<int>(opened.error()));
    return opened.error();
  }
  process->set_exe_path(m_vfs->absolute_path(process->fs(), path));
  process->comm() = path.substr(path.rfind('/') + 1, 15);
  proc::ExecRequest request{opened.value(), path, argv, envp};
  auto& address_space = process->address_space();
  m_cpu.set_page_table_root(address_space.page_table().root());
  TRY(proc::load_program(address_space, m_cpu, request, why, &process->layout()));
  process->start_time_ns() = boot_clock_ns();
  m_running_since_ns = monotonic_ns();  // its CPU time counts from here
  return {};
}

Process* Kernel::find_process(int pid) {
  const auto it = m_processes.find(pid);
  return it == m_processes.end() ? nullptr : it->second.get();
}

std::shared_ptr<Process> Kernel::find_process_ptr(int pid) {
  const auto it = m_processes.find(pid);
  return it == m_processes.end() ? nullptr : it->second;
}

Thread* Kernel::find_thread(int tid) {
  const auto it = m_threads.find(tid);
  return it == m_threads.end() ? nullptr : it->second.get();
}

std::vector<Process*> Kernel::processes() {
  std::vector<Process*> out;
  out.reserve(m_processes.size());
  for (auto& [pid, p] : m_processes) out.push_back(p.get());
  return out;
}

int Kernel::allocate_pid() {
  // Ids are never reused while a process or thread holds them; pid_max bounds them.
  const int pid_max = static_cast<int>(m_tunables.sys.pid_max);
  int pid = m_last_pid;
  for (int tries = 0; tries < pid_max; ++tries) {
    pid = pid + 1 >= pid_max ? kFirstPid : pid + 1;
    if (pid < kFirstPid) pid = kFirstPid;
    if (!m_processes.count(pid) && !m_threads.count(pid)) {
      m_last_pid = pid;
      return pid;
    }
  }
  return 0;
}

Thread* Kernel::new_thread(const std::shared_ptr<Process>& process, int tid) {
  auto thread = std::make_unique<Thread>(tid, process);
  Thread* t = thread.get();
  m_threads[tid] = std::move(thread);
  process->threads().push_back(t);
  if (!process->leader()) process->set_leader(t);
  m_scheduler.add(*t);
  m_cpu.set_preemption(m_scheduler.runnable_count() > 1);
  return t;
}

void Kernel::warn_unimplemented(u64 nr) {
  if (nr < m_warned.size()) {
    if (m_warned.test(nr)) return;
    m_warned.set(nr);
  } else if (!m_warned_other.insert(nr).second) {
    return;
  }
  if (!m_sink) return;
  const char* name = syscalls::syscall_name(nr);
  std::string msg = "unimplemented syscall ";
  if (name) {
    msg += name;
  } else {
    msg += '#';
    msg += std::to_string(nr);
  }
  msg += " returns ENOSYS";
  m_sink->warning(msg);
}

void Kernel::syscall() {
  using hal::Reg;
  syscalls::SyscallArgs args;
  args.nr = m_cpu.reg(Reg::Rax);
  args.a[0] = m_cpu.reg(Reg::Rdi);
  args.a[1] = m_cpu.reg(Reg::Rsi);
  args.a[2] = m_cpu.reg(Reg::Rdx);
  args.a[3] = m_cpu.reg(Reg::R10);
  args.a[4] = m_cpu.reg(Reg::R8);
  args.a[5] = m_cpu.reg(Reg::R9);

  const syscalls::SyscallInfo* info = syscalls::lookup_syscall(args.nr);
  Thread& thread = *m_current;
  if (m_options.strace && m_sink) [[unlikely]]
    strace_enter(thread, info, args);

  i64 ret;
  if (info) {
    syscalls::SyscallContext ctx{*this, *m_current_process, thread, m_cpu};
    Result<i64> r = info->handler(ctx, args);
    if (!r.ok() && r.error() == abi::kEWAIT) [[unlikely]] {
      BlockedCall& call = thread.call();
      call.nr = args.nr;
      std::copy(std::begin(args.a), std::end(args.a), call.args);
      m_scheduler.block(thread);
      if (tracing(kTraceSched)) [[unlikely]]
        emit("sched-block", {TraceField::dec("tid", static_cast<u64>(thread.tid())),
                             TraceField::str("syscall", info->name),
                             TraceField::dec("deadline", call.deadline_ns)});
      m_need_resched = true;
      m_cpu.request_stop();
      return;
    }
    ret = r.ok() ? r.value() : -static_cast<i64>(r.error());
  } else {
    warn_unimplemented(args.nr);
    ret = -static_cast<i64>(abi::Errno::kENOSYS);
  }
  if (m_exit.exited || &thread != m_current || thread.state() == ThreadState::Dead) [[unlikely]]
    return;
  // The common return, inline: the result, and nothing else to do unless tracing or a
  // signal says so.
  m_cpu.set_reg(hal::Reg::Rax, static_cast<u64>(ret));
  const u64 pending = thread.pending().set() | m_current_process->shared_pending().set();
  if ((m_options.strace && m_sink) || (pending & ~thread.signal_mask())) [[unlikely]]
    after_syscall(info, args.a, args.nr, ret);
}

void Kernel::finish_syscall(const syscalls::SyscallInfo* info, const u64 (&a)[6], u64 nr, i64 ret) {
  m_cpu.set_reg(hal::Reg::Rax, static_cast<u64>(ret));
  after_syscall(info, a, nr, ret);
}

void Kernel::after_syscall(const syscalls::SyscallInfo* info, const u64 (&a)[6], u64 nr, i64 ret) {
  if (m_options.strace && m_sink) [[unlikely]] {
    syscalls::SyscallArgs args;
    args.nr = nr;
    std::copy(std::begin(a), std::end(a), args.a);
    // A pending SIGKILL ends the thread before the call's exit is reported: strace never
    // sees it return (ptrace_stop skips the syscall-exit stop of a fatally signalled task).
    const u64 pending = m_current->pending().set() | m_current_process->shared_pending().set();
    const bool killed = pending & sigbit(abi::kSIGKILL);
    strace_exit(*m_current, info, args, killed ? std::nullopt : std::optional<i64>(ret));
    if (!m_strace_ignored.empty()) strace_ignored_signals(*m_current);
  }
  if (signal_pending(*m_current)) [[unlikely]]
    return_to_user({true, nr, ret});
}

mm::FaultResult Kernel::page_fault(u64 addr, u32 error_code) {
  return m_current_process->address_space().handle_fault(addr, error_code);
}

void Kernel::fault_signal(const mm::FaultResult& fault, u64 addr, u32 error_code) {
  if (m_exit.exited) return;
  if (fault.resolution == mm::FaultResolution::OutOfMemory) {
    out_of_memory(addr);
    return;
  }
  // set_signal_archinfo(): what the frame shows as trapno, err and cr2. Addresses in the
  // kernel half read as protection faults (sanitize_error_code).
  u32 code = error_code | mm::kFaultUser;
  if (addr >= mm::kTaskSize) code |= mm::kFaultPresent;
  m_current->trap_state() = {abi::kX86_TRAP_PF, code, addr};
  if (fault.resolution == mm::FaultResolution::BusMceErr) {
    // do_sigbus for VM_FAULT_HWPOISON: force_sig_mceerr at the faulting address.
    trace_poison_signal(*m_current, abi::kBUS_MCEERR_AR, addr);
    force_signal_info(proc::siginfo_mceerr(abi::kBUS_MCEERR_AR, addr, kPageShift),
                      ResetHandler::IfBlockedOrIgnored);
    return_to_user({});
    return;
  }
  force_signal_info(proc::siginfo_fault(fault.signal(), fault.si_code(), addr),
                    ResetHandler::IfBlockedOrIgnored);
  return_to_user({});
}

void Kernel::cpu_exception(int vector, int signal, int si_code, u64 addr) {
  if (m_exit.exited) return;
  if (signal == abi::kSIGKILL) {
    kill_process(signal, si_code, addr);
    return;
  }
  if (vector != kNoVector) {
    // Unicorn does not pass on an error code; user-mode #UD, #DE and #BP push none, and the
    // #GPs of privileged instructions push 0.
    m_current->trap_state().trapno = static_cast<u64>(vector);
    m_current->trap_state().error_code = 0;
  }
  abi::Siginfo info = proc::siginfo_fault(signal, si_code, addr);
  if (si_code == abi::kSI_KERNEL) info = proc::siginfo_kernel(signal);
  if (signal == abi::kSIGBUS && (si_code == abi::kBUS_MCEERR_AR || si_code == abi::kBUS_MCEERR_AO))
    info = proc::siginfo_mceerr(si_code, addr, kPageShift);
  force_signal_info(info, ResetHandler::IfBlockedOrIgnored);
  return_to_user({});
}

}  // namespace kernel
