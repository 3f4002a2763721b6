// signalfd (fs/signalfd.c): a file that reads pending signals of a chosen set as struct
// signalfd_siginfo records instead of having them delivered. Like Linux, it reads the
// signals of whoever reads it: the reading thread's own pending set, then its thread
// group's. It polls readable while such a signal is pending.
#pragma once

#include "kernel/fs/file.h"
#include "kernel/proc/signal_frame.h"

namespace kernel {

class Kernel;

inline constexpr u64 kSFD_NONBLOCK = 04000, kSFD_CLOEXEC = 02000000;

struct SignalfdSiginfo {
  u32 ssi_signo;
  i32 ssi_errno;
  i32 ssi_code;
  u32 ssi_pid;
  u32 ssi_uid;
  i32 ssi_fd;
  u32 ssi_tid;
  u32 ssi_band;
  u32 ssi_overrun;
  u32 ssi_trapno;
  i32 ssi_status;
  i32 ssi_int;
  u64 ssi_ptr;
  u64 ssi_utime;
  u64 ssi_stime;
  u64 ssi_addr;
  u16 ssi_addr_lsb;
  u16 pad2;
  i32 ssi_syscall;
  u64 ssi_call_addr;
  u32 ssi_arch;
  u8 pad[28];
};
static_assert(sizeof(SignalfdSiginfo) == 128);

// signalfd_copyinfo(): the record for a dequeued siginfo.
SignalfdSiginfo signalfd_record(const abi::Siginfo& info);

class SignalFd final : public fs::File {
 public:
  SignalFd(Kernel& kernel, u64 mask, u64 flags);

  Result<u64> read(std::span<u8> buf) override;
  Result<void> stat(abi::Stat& out) override;
  u32 poll_ready() override;
  WaitQueue* poll_queue() override;
  bool pollable() override { return true; }

  u64 mask() const { return m_mask; }
  void set_mask(u64 mask);

 private:
  Kernel& m_kernel;
  u64 m_mask;
};

SignalFd* as_signalfd(fs::File& file);

}  // namespace kernel
