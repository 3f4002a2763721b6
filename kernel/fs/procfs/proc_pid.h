// The smaller files of /proc/PID (Linux's fs/proc/base.c and fd.c): limits, cmdline,
// environ, auxv, comm, oom_score, oom_score_adj, fdinfo, and the targets of exe, cwd,
// root and fd/N.
#pragma once

#include <string>
#include <string_view>

#include "kernel/base/result.h"
#include "kernel/fs/procfs/mounts.h"

namespace kernel {
class Process;
}

namespace kernel::fs {
class File;
}

namespace kernel::fs::procfs {

std::string render_limits(Process& process);
// What Linux's get_mm_cmdline() reads from the process's memory: argv's strings; or, when
// the program overwrote the final NUL (setproctitle), up to the first NUL, running on into
// the environment.
Result<std::string> render_cmdline(Process& process);
Result<std::string> render_environ(Process& process);
// saved_auxv: (type, value) pairs of 8-byte words up to and including AT_NULL.
std::string render_auxv(Process& process);
std::string render_comm(Process& process);
// comm_write(): at most 15 bytes, taken as written (a trailing newline stays).
void write_comm(Process& process, std::string_view text);
std::string render_oom_score_adj(Process& process);
// oom_score_adj_write(): a decimal in [-1000, 1000], surrounding whitespace allowed.
Result<void> write_oom_score_adj(Process& process, std::string_view text);
// clear_refs_write(): 1-3 clear the young bits of all, anonymous or file-backed pages,
// 4 the soft-dirty state, 5 the RSS high-water mark; anything else is EINVAL.
Result<void> write_clear_refs(Process& process, std::string_view text);
// proc_oom_score(): the badness the OOM killer gives the process, scaled to 0..2000.
std::string render_oom_score(Process& process, u64 total_pages, u64 rss_and_tables);

// The target readlink() gives for /proc/PID/fd/N.
std::string fd_link_target(File& file);
// /proc/PID/fdinfo/N.
std::string render_fdinfo(File& file, bool close_on_exec, const std::vector<MountView>& mounts);

}  // namespace kernel::fs::procfs
