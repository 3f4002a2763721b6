#include "kernel/fs/stdio_file.h"

#include "kernel/fs/host_waits.h"

namespace kernel::fs {

Result<std::shared_ptr<StdioFile>> StdioFile::create(int host_fd) {
  const u64 flags = TRY(host::status_flags(host_fd));
  auto file = std::shared_ptr<StdioFile>(new StdioFile(host_fd, host::is_terminal(host_fd)));
  file->status_flags = flags;
  return file;
}

Result<u64> StdioFile::read(std::span<u8> buf) {
  // O_NONBLOCK set by the guest (F_SETFL) lives in our file description only: the host fd
  // stays blocking, since the emulator shares it. Honour it by asking first.
  // A blocking read with nothing there waits as a guest wait, so that other guest threads
  // run meanwhile; the scheduler's host poll wakes it.
  if (!buf.empty() && !TRY(host::readable_now(m_host_fd)))
    return (status_flags & abi::kO_NONBLOCK) ? abi::Errno::kEAGAIN : abi::kEWAIT;
  return host::read(m_host_fd, buf);
}

u32 StdioFile::poll_ready() {
  return host::poll_now(m_host_fd);
}

WaitQueue* StdioFile::poll_queue() {
  return HostWaits::instance().queue(m_host_fd);
}

Result<u64> StdioFile::write(std::span<const u8> buf) {
  return host::write(m_host_fd, buf);
}

Result<u64> StdioFile::pread(std::span<u8> buf, u64 offset) {
  return host::pread(m_host_fd, buf, offset);
}

Result<u64> StdioFile::pwrite(std::span<const u8> buf, u64 offset) {
  return host::pwrite(m_host_fd, buf, offset);
}

Result<u64> StdioFile::seek(i64 offset, int whence) {
  return host::seek(m_host_fd, offset, whence);
}

Result<void> StdioFile::stat(abi::Stat& out) {
  out = TRY(host::stat(m_host_fd));
  return {};
}

Result<Termios> StdioFile::terminal_attributes() const {
  if (!m_is_terminal) return abi::Errno::kENOTTY;
  return host::terminal_attributes(m_host_fd);
}

Result<abi::Winsize> StdioFile::window_size() const {
  if (!m_is_terminal) return abi::Errno::kENOTTY;
  return host::window_size(m_host_fd);
}

}  // namespace kernel::fs
