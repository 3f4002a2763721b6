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
#include "kernel/syscalls/strace.h"
#include "kernel/syscalls/syscall.h"

namespace kernel {

namespace {

constexpr int kFirstPid = 100;

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
  std::vector<fs::BindMount> binds;
  for (const KernelOptions::Bind& b : m_options.binds)
    binds.push_back({b.host_path, b.guest_path,
                     b.writable ? fs::HostAccess::ReadWrite : fs::HostAccess::ReadOnly});
  m_vfs = std::make_unique<fs::Vfs>(m_memory, m_options.root, binds);
  // procfs and sysfs show this kernel's state: mounted over the Vfs's default /proc, /sys.
  (void)m_vfs->mount("/proc", fs::procfs::make_procfs(*this));
  (void)m_vfs->mount("/sys", fs::procfs::make_sysfs(*this));
}

Kernel::~Kernel() = default;

Result<void> Kernel::start(const std::string& path, const std::vector<std::string>& argv,
                           const std::vector<std::string>& envp, std::string& why) {
  auto as = std::make_unique<mm::AddressSpace>(m_memory);
  as->set_max_map_count(static_cast<u64>(m_tunables.vm.max_map_count));
  m_process = std::make_unique<Process>(kFirstPid, std::move(as));
  // The guest starts where emu was started, seen through its root ("/" when that lies
  // outside the root).
  m_process->fs().cwd =
      m_options.host_cwd.empty() ? std::string("/") : m_vfs->guest_path_of_host(m_options.host_cwd);
  m_process->fds().install_stdio();
  m_process->creds() = Credentials::initial(m_options.uid, m_options.gid);

  auto opened = m_vfs->open_executable(m_process->fs(), path);
  if (!opened.ok()) {
    why = abi::errno_message(static_cast<int>(opened.error()));
    return opened.error();
  }
  m_process->set_exe_path(m_vfs->absolute_path(m_process->fs(), path));
  m_process->comm() = path.substr(path.rfind('/') + 1, 15);
  proc::ExecRequest request{opened.value(), path, argv, envp};
  auto& address_space = m_process->address_space();
  m_cpu.set_page_table_root(address_space.page_table().root());
  TRY(proc::load_program(address_space, m_cpu, request, why, &m_process->layout()));
  m_process->start_time_ns() = boot_clock_ns();
  return {};
}

Process* Kernel::find_process(int pid) {
  if (m_process && m_process->pid() == pid) return m_process.get();
  return nullptr;
}

std::vector<Process*> Kernel::processes() {
  if (!m_process) return {};
  return {m_process.get()};
}

int Kernel::last_pid() const {
  return m_process ? m_process->pid() : 0;
}

u64 Kernel::processes_created() const {
  return m_process ? 1 : 0;
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
  const syscalls::StraceReader reader{&peek_guest, &m_process->address_space()};
  const bool noreturn = args.nr == 60 || args.nr == 231;  // exit, exit_group
  if (m_options.strace && noreturn && m_sink)
    m_sink->strace_line(syscalls::format_noreturn(info, args, reader));

  i64 ret;
  if (info) {
    syscalls::SyscallContext ctx{*this, *m_process, m_cpu};
    Result<i64> r = info->handler(ctx, args);
    ret = r.ok() ? r.value() : -static_cast<i64>(r.error());
  } else {
    warn_unimplemented(args.nr);
    ret = -static_cast<i64>(abi::Errno::kENOSYS);
  }
  if (m_exit.exited) return;
  m_cpu.set_reg(Reg::Rax, static_cast<u64>(ret));
  if (m_options.strace && m_sink)
    m_sink->strace_line(syscalls::format_syscall(info, args, ret, reader));
  if (m_process->pending_signals() & ~m_process->signal_mask()) [[unlikely]]
    return_to_user({true, args.nr, ret});
}

mm::FaultResult Kernel::page_fault(u64 addr, u32 error_code) {
  return m_process->address_space().handle_fault(addr, error_code);
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
  m_process->trap_state() = {abi::kX86_TRAP_PF, code, addr};
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
    m_process->trap_state().trapno = static_cast<u64>(vector);
    m_process->trap_state().error_code = 0;
  }
  abi::Siginfo info = proc::siginfo_fault(signal, si_code, addr);
  if (si_code == abi::kSI_KERNEL) info = proc::siginfo_kernel(signal);
  if (signal == abi::kSIGBUS && (si_code == abi::kBUS_MCEERR_AR || si_code == abi::kBUS_MCEERR_AO))
    info = proc::siginfo_mceerr(si_code, addr, kPageShift);
  force_signal_info(info, ResetHandler::IfBlockedOrIgnored);
  return_to_user({});
}

void Kernel::exit_process(int status) {
  if (m_exit.exited) return;
  m_exit.exited = true;
  m_exit.status = status & 0xff;
  m_memory.sync_page_caches();
  m_cpu.request_stop();
}

void Kernel::kill_process(int signal, int si_code, u64 fault_addr) {
  if (m_exit.exited) return;
  m_exit.exited = true;
  m_exit.signal = signal;
  m_exit.si_code = si_code;
  m_exit.fault_addr = fault_addr;
  m_memory.sync_page_caches();
  m_cpu.request_stop();
}

}  // namespace kernel
