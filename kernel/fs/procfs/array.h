// /proc/PID/status and /proc/PID/stat, laid out as Linux 6.1's fs/proc/array.c writes them.
#pragma once

#include <string>
#include <vector>

#include "kernel/fs/host_file.h"
#include "kernel/fs/procfs/mm_view.h"

namespace kernel {
class Process;
}

namespace kernel::fs::procfs {

// What the task renderers need beyond the process itself: its relatives and
// the clocks, gathered by the caller so the renderers stay pure.
struct TaskFacts {
  int ppid = 0;
  int pgid = 0;
  int sid = 0;
  int threads = 1;
  char state = 'R';        // R running, S sleeping, T stopped, Z zombie
  u64 thread_pending = 0;  // the leader's own pending signals
  u64 shared_pending = 0;  // the group's
  u64 blocked = 0;         // the leader's mask
  u64 queued = 0;          // signals queued (SigQ)
  u64 voluntary_switches = 0, involuntary_switches = 0;
  u64 utime_ns = 0;
  u64 stime_ns = 0;
  bool randomize_va_space = false;  // PF_RANDOMIZE in the task flags
};

// The facts for `process` as the running kernel has them.
TaskFacts task_facts(Kernel& kernel, Process& process);

std::string render_status(Process& process, const MmView& mm, const TaskFacts& facts);
std::string render_stat(Process& process, const MmView& mm, const TaskFacts& facts);

// nsec_to_clock_t: USER_HZ is 100.
inline u64 ns_to_clock_t(u64 ns) {
  return ns / 10'000'000;
}

}  // namespace kernel::fs::procfs
