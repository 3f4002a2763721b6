// The guest's inherited descriptors 0, 1 and 2: each passes straight through to the host's
// fd of the same number, so the guest reads the emulator's stdin and writes its stdout and
// stderr (a terminal, pipe or file, whatever the shell gave us).
#pragma once

#include <memory>

#include "kernel/fs/host_file.h"

namespace kernel::fs {

class StdioFile final : public File {
 public:
  // The guest's view of host fd `host_fd`; EBADF when the host fd is not open.
  static Result<std::shared_ptr<StdioFile>> create(int host_fd);

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> write(std::span<const u8> buf) override;
  Result<u64> pread(std::span<u8> buf, u64 offset) override;
  Result<u64> pwrite(std::span<const u8> buf, u64 offset) override;
  Result<u64> seek(i64 offset, int whence) override;
  Result<void> stat(abi::Stat& out) override;
  bool is_terminal() const override { return m_is_terminal; }
  // The host fd's readiness, looked at now; waiters wait on the host fd's queue, which the
  // scheduler wakes (HostWaits).
  u32 poll_ready() override;
  WaitQueue* poll_queue() override;
  int poll_host_fd() const override { return m_host_fd; }

  // TCGETS / TIOCGWINSZ answers from the host terminal; ENOTTY when this is not one.
  Result<Termios> terminal_attributes() const;
  Result<abi::Winsize> window_size() const;

  int host_fd() const { return m_host_fd; }

 private:
  StdioFile(int host_fd, bool is_terminal) : m_host_fd(host_fd), m_is_terminal(is_terminal) {}

  int m_host_fd;  // not owned: the emulator's own stdio stays open
  bool m_is_terminal;
};

}  // namespace kernel::fs
