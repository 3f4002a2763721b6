#include "kernel/fs/procfs/array.h"

#include "kernel/fs/procfs/seq.h"
#include "kernel/fs/procfs/task_mmu.h"
#include "kernel/kernel.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"

namespace kernel::fs::procfs {

namespace {

constexpr int kSigchld = 17;
constexpr u64 kPfRandomize = 0x400000;

// FDSize: the size of the descriptor table Linux would have grown to. It starts with 64
// slots (NR_OPEN_DEFAULT) and expands in powers of two of 1024 / sizeof(file *) slots.
u64 fd_table_size(const std::vector<int>& fds) {
  if (fds.empty() || fds.back() < 64) return 64;
  u64 n = static_cast<u64>(fds.back()) / 128 + 1;
  u64 pow = 1;
  while (pow < n) pow <<= 1;
  return pow * 128;
}

// render_sigset_t(): 64 signals as 16 hex digits, the highest first.
void sigset(SeqBuf& m, std::string_view header, u64 set) {
  m.puts(header).hex("", set, 16).putc('\n');
}

void collect_sig_ign_catch(Process& process, u64& ignored, u64& caught) {
  ignored = caught = 0;
  for (int sig = 1; sig <= abi::kNumSignals; ++sig) {
    const u64 handler = process.signal_actions()[sig].handler;
    if (handler == abi::kSIG_IGN)
      ignored |= u64{1} << (sig - 1);
    else if (handler != abi::kSIG_DFL)
      caught |= u64{1} << (sig - 1);
  }
}

std::string umask_text(u32 umask) {
  // "%#04o": octal with a leading 0, zero-padded to four columns.
  char buf[16];
  std::snprintf(buf, sizeof buf, "%#04o", umask);
  return buf;
}

}  // namespace

TaskFacts task_facts(Kernel& kernel, Process& process) {
  TaskFacts facts;
  // The first process's parent is outside the guest's pid namespace: 0.
  facts.ppid = process.parent() ? process.parent()->pid() : 0;
  facts.pgid = process.pgid();
  facts.sid = process.sid();
  facts.threads = static_cast<int>(process.threads().size());
  facts.shared_pending = process.shared_pending().set();
  // SigQ counts the signals queued for the process's real user, in every process
  // (RLIMIT_SIGPENDING's count).
  facts.queued = kernel.sigqueue_count(process.creds().uid);
  if (!process.alive()) {
    facts.state = 'Z';
  } else if (process.stopped()) {
    facts.state = 'T';
  } else if (Thread* leader = process.leader()) {
    facts.state = leader == &kernel.current_thread() || !leader->blocked() ? 'R' : 'S';
  }
  if (Thread* leader = process.leader()) {
    facts.thread_pending = leader->pending().set();
    facts.blocked = leader->signal_mask();
    facts.voluntary_switches = leader->voluntary_switches();
    facts.involuntary_switches = leader->involuntary_switches();
  }
  // The guest's instructions run on emu's thread: its CPU time is the process's.
  host::cpu_time_ns(facts.utime_ns, facts.stime_ns);
  facts.randomize_va_space = kernel.tunables().sys.randomize_va_space != 0;
  return facts;
}

std::string render_status(Process& process, const MmView& mm, const TaskFacts& facts) {
  SeqBuf m;
  m.puts("Name:\t");
  // proc_task_name(escape=true): "\n" and "\\" are escaped.
  for (char c : process.comm()) {
    if (c == '\n')
      m.puts("\\n");
    else if (c == '\\')
      m.puts("\\\\");
    else
      m.putc(c);
  }
  m.putc('\n');
  // task_state()
  const Credentials& id = process.creds();
  m.puts("Umask:\t").puts(umask_text(process.umask())).putc('\n');
  static constexpr const char* kStates[] = {"R (running)", "S (sleeping)", "T (stopped)",
                                            "Z (zombie)"};
  const char* state = kStates[facts.state == 'S'   ? 1
                              : facts.state == 'T' ? 2
                              : facts.state == 'Z' ? 3
                                                   : 0];
  m.puts("State:\t").puts(state);
  m.dec("\nTgid:\t", static_cast<u64>(process.pid()));
  m.dec("\nNgid:\t", 0);
  m.dec("\nPid:\t", static_cast<u64>(process.pid()));
  m.dec("\nPPid:\t", static_cast<u64>(facts.ppid));
  m.dec("\nTracerPid:\t", 0);
  m.dec("\nUid:\t", id.uid).dec("\t", id.euid).dec("\t", id.suid).dec("\t", id.fsuid);
  m.dec("\nGid:\t", id.gid).dec("\t", id.egid).dec("\t", id.sgid).dec("\t", id.fsgid);
  m.dec("\nFDSize:\t", fd_table_size(process.fds().open_fds()));
  m.puts("\nGroups:\t");
  const auto groups = id.group_list();
  for (size_t g = 0; g < groups.size(); ++g) m.dec(g ? " " : "", groups[g]);
  m.putc(' ');
  m.dec("\nNStgid:\t", static_cast<u64>(process.pid()));
  m.dec("\nNSpid:\t", static_cast<u64>(process.pid()));
  m.dec("\nNSpgid:\t", static_cast<u64>(facts.pgid));
  m.dec("\nNSsid:\t", static_cast<u64>(facts.sid));
  m.putc('\n');
  // task_mem(), task_core_dumping(), task_thp_status()
  render_task_mem(m, mm.counters(), process.layout());
  m.puts("CoreDumping:\t0\n");
  m.puts("THP_enabled:\t1\n");
  // task_sig()
  u64 ignored = 0, caught = 0;
  collect_sig_ign_catch(process, ignored, caught);
  m.dec("Threads:\t", static_cast<u64>(facts.threads));
  m.dec("\nSigQ:\t", facts.queued);
  m.dec("/", process.rlimits()[abi::kRLIMIT_SIGPENDING].cur);
  m.putc('\n');
  sigset(m, "SigPnd:\t", facts.thread_pending);
  sigset(m, "ShdPnd:\t", facts.shared_pending);
  sigset(m, "SigBlk:\t", facts.blocked);
  sigset(m, "SigIgn:\t", ignored);
  sigset(m, "SigCgt:\t", caught);
  // task_cap()
  sigset(m, "CapInh:\t", id.cap_inheritable);
  sigset(m, "CapPrm:\t", id.cap_permitted);
  sigset(m, "CapEff:\t", id.cap_effective);
  sigset(m, "CapBnd:\t", id.cap_bounding);
  sigset(m, "CapAmb:\t", id.cap_ambient);
  // task_seccomp(): the emulated CPU (AMD family 6) has the speculative-store-bypass bug and
  // no SSBD to mitigate it, and no indirect-branch controls.
  m.dec("NoNewPrivs:\t", process.prctl_state().no_new_privs ? 1 : 0);
  m.puts("\nSeccomp:\t0\nSeccomp_filters:\t0");
  m.puts("\nSpeculation_Store_Bypass:\tvulnerable");
  m.puts("\nSpeculationIndirectBranch:\talways enabled\n");
  // task_cpus_allowed(), cpuset_task_status_allowed(): one CPU, one memory node (of
  // Debian's 1024 possible nodes).
  m.puts("Cpus_allowed:\t1\nCpus_allowed_list:\t0\n");
  m.puts("Mems_allowed:\t");
  for (int group = 0; group < 32; ++group) m.puts(group ? ",00000000" : "00000000");
  m.str().back() = '1';
  m.puts("\nMems_allowed_list:\t0\n");
  // task_context_switch_counts(): the leader's.
  m.dec("voluntary_ctxt_switches:\t", facts.voluntary_switches);
  m.dec("\nnonvoluntary_ctxt_switches:\t", facts.involuntary_switches).putc('\n');
  return m.take();
}

std::string render_stat(Process& process, const MmView& mm, const TaskFacts& facts) {
  const MmCounters c = mm.counters();
  const proc::ProgramLayout& layout = process.layout();
  u64 ignored = 0, caught = 0;
  collect_sig_ign_catch(process, ignored, caught);
  SeqBuf m;
  m.dec("", static_cast<u64>(process.pid())).puts(" (").puts(process.comm()).puts(") ");
  m.putc(facts.state);
  m.sdec(" ", facts.ppid).sdec(" ", facts.pgid).sdec(" ", facts.sid);
  m.sdec(" ", 0).sdec(" ", -1);  // no controlling terminal
  m.dec(" ", facts.randomize_va_space ? kPfRandomize : 0);
  m.dec(" ", mm.minor_faults()).dec(" ", 0).dec(" ", mm.major_faults()).dec(" ", 0);
  m.dec(" ", ns_to_clock_t(facts.utime_ns)).dec(" ", ns_to_clock_t(facts.stime_ns));
  m.sdec(" ", 0).sdec(" ", 0);
  m.sdec(" ", 20).sdec(" ", 0);  // priority, nice
  m.sdec(" ", facts.threads);
  m.dec(" ", 0);
  m.dec(" ", ns_to_clock_t(process.start_time_ns()));
  m.dec(" ", c.total_vm << kPageShift);
  m.dec(" ", c.rss());
  m.dec(" ", process.rlimits()[abi::kRLIMIT_RSS].cur);
  m.dec(" ", layout.start_code).dec(" ", layout.end_code).dec(" ", layout.start_stack);
  m.dec(" ", 0).dec(" ", 0);  // esp and eip show only for a task that is exiting
  m.dec(" ", (facts.thread_pending | facts.shared_pending) & 0x7fffffff);
  m.dec(" ", facts.blocked & 0x7fffffff);
  m.dec(" ", ignored & 0x7fffffff).dec(" ", caught & 0x7fffffff);
  m.dec(" ", 0);              // wchan: running
  m.dec(" ", 0).dec(" ", 0);  // nswap, cnswap
  m.sdec(" ", kSigchld).sdec(" ", 0);
  m.dec(" ", 0).dec(" ", 0).dec(" ", 0);  // rt_priority, policy, blkio ticks
  m.dec(" ", 0).sdec(" ", 0);             // guest time, children's guest time
  m.dec(" ", layout.start_data).dec(" ", layout.end_data).dec(" ", mm.brk_start());
  m.dec(" ", layout.arg_start).dec(" ", layout.arg_end);
  m.dec(" ", layout.env_start).dec(" ", layout.env_end);
  m.sdec(" ", 0);
  m.putc('\n');
  return m.take();
}

}  // namespace kernel::fs::procfs
