#include "kernel/proc/pidfd.h"

#include "kernel/fs/anon_inode.h"
#include "kernel/proc/process.h"

namespace kernel::proc {

PidFd::PidFd(std::shared_ptr<Process> process, u64 flags) : m_process(std::move(process)) {
  status_flags = abi::kO_RDWR | (flags & abi::kO_NONBLOCK);
}

Result<void> PidFd::stat(abi::Stat& out) {
  fs::anon_inode_stat(out);
  return {};
}

u32 PidFd::poll_ready() {
  // pidfd_poll: readable once the whole thread group has exited.
  return m_process->alive() ? 0 : (abi::kPOLLIN | abi::kPOLLRDNORM);
}

WaitQueue* PidFd::poll_queue() {
  return &m_process->exit_wait();
}

std::string PidFd::fdinfo() const {
  const std::string pid =
      m_process->state() == ProcessState::Reaped ? "-1" : std::to_string(m_process->pid());
  return "Pid:\t" + pid + "\nNSpid:\t" + pid + "\n";
}

std::shared_ptr<fs::File> make_pidfd(std::shared_ptr<Process> process, u64 flags) {
  return std::make_shared<PidFd>(std::move(process), flags);
}

PidFd* as_pidfd(fs::File& file) {
  return dynamic_cast<PidFd*>(&file);
}

}  // namespace kernel::proc
