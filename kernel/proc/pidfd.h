// A pidfd (pidfd_open, clone's CLONE_PIDFD): a file that names a process. It polls
// readable once the process has ended, and keeps naming it (ESRCH) after it is reaped.
#pragma once

#include <memory>

#include "kernel/fs/file.h"

namespace kernel {
class Process;
}

namespace kernel::proc {

class PidFd final : public fs::File {
 public:
  PidFd(std::shared_ptr<Process> process, u64 flags);
  Process& process() const { return *m_process; }
  const std::shared_ptr<Process>& process_ptr() const { return m_process; }

  Result<void> stat(abi::Stat& out) override;
  u32 poll_ready() override;
  WaitQueue* poll_queue() override;
  std::string path() const override { return "anon_inode:[pidfd]"; }
  // pidfd_show_fdinfo(): the pid, and -1 once the process is reaped. There is one pid
  // namespace, so NSpid holds the same single number.
  std::string fdinfo() const override;

 private:
  std::shared_ptr<Process> m_process;
};

std::shared_ptr<fs::File> make_pidfd(std::shared_ptr<Process> process, u64 flags);
// The PidFd behind a file, or null for any other kind of file.
PidFd* as_pidfd(fs::File& file);

}  // namespace kernel::proc
