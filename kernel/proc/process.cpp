#include "kernel/proc/process.h"

#include "kernel/proc/process_timers.h"

namespace kernel {

Process::Process(int pid, std::shared_ptr<mm::AddressSpace> address_space)
    : m_pid(pid), m_pgid(pid), m_sid(pid), m_address_space(std::move(address_space)) {
  // Linux's defaults for a process started from a login shell (INIT_RLIMITS, with the
  // usual 8 MiB stack and 1024 open files).
  m_rlimits.fill({abi::kRLIM_INFINITY, abi::kRLIM_INFINITY});
  m_rlimits[abi::kRLIMIT_STACK] = {8 * 1024 * 1024, abi::kRLIM_INFINITY};
  m_rlimits[abi::kRLIMIT_NOFILE] = {1024, 1024 * 1024};
  m_rlimits[4] = {0, abi::kRLIM_INFINITY};            // RLIMIT_CORE
  m_rlimits[6] = {63541, 63541};                      // RLIMIT_NPROC
  m_rlimits[8] = {8 * 1024 * 1024, 8 * 1024 * 1024};  // RLIMIT_MEMLOCK
  m_rlimits[11] = {63541, 63541};                     // RLIMIT_SIGPENDING
  m_rlimits[12] = {819200, 819200};                   // RLIMIT_MSGQUEUE
  m_rlimits[13] = {0, 0};                             // RLIMIT_NICE
  m_rlimits[14] = {0, 0};                             // RLIMIT_RTPRIO
}

Process::~Process() = default;

}  // namespace kernel
