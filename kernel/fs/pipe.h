// Pipes: a ring buffer shared by a read end and a write end, 64 KiB (16 pages) by default
// as on Linux, resizable with F_SETPIPE_SZ. A read from an empty pipe whose write end is
// open, or a write to a full one, waits (kEWAIT) on the pipe's queue; O_NONBLOCK ends give
// EAGAIN instead. O_DIRECT ends are in packet mode: each write of up to PIPE_BUF bytes is
// one packet, and a read takes at most one packet, dropping what does not fit.
#pragma once

#include <memory>
#include <utility>

#include "kernel/fs/file.h"

namespace kernel::fs {

class PipeBuffer;

inline constexpr u64 kPipeBuf = 4096;                   // PIPE_BUF, and a pipe's page
inline constexpr u64 kPipeDefaultSize = 16 * kPipeBuf;  // PIPE_DEF_BUFFERS pages
// /proc/sys/fs/pipe-max-size: the most an unprivileged F_SETPIPE_SZ may ask for.
inline constexpr u64 kPipeMaxSize = u64{1} << 20;
// What even CAP_SYS_RESOURCE may ask for here (Linux allows up to 2 GiB; emu bounds the
// host memory one guest call can take).
inline constexpr u64 kPipeHardMaxSize = u64{64} << 20;

class PipeEnd final : public File {
 public:
  enum class Side : u8 { Read, Write };
  PipeEnd(std::shared_ptr<PipeBuffer> buffer, Side side, u64 flags);
  ~PipeEnd() override;

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> write(std::span<const u8> buf) override;
  Result<void> stat(abi::Stat& out) override;
  u32 poll_ready() override;
  WaitQueue* poll_queue() override;

  // F_GETPIPE_SZ: the capacity in bytes.
  u64 capacity() const;
  // F_SETPIPE_SZ (pipe_set_size): rounds up to a power of two of pages; EINVAL above
  // 2 GiB, EPERM above pipe-max-size without CAP_SYS_RESOURCE (`privileged`), EBUSY when
  // the content would not fit. Returns the new capacity.
  Result<u64> set_capacity(u64 bytes, bool privileged);

 private:
  std::shared_ptr<PipeBuffer> m_buffer;
  Side m_side;
};

// A new pipe: {read end, write end}. flags: O_NONBLOCK and O_DIRECT are kept on both ends.
std::pair<std::shared_ptr<PipeEnd>, std::shared_ptr<PipeEnd>> make_pipe(u64 flags);

}  // namespace kernel::fs
