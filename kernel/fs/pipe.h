// Pipes: a 64 KiB ring buffer shared by a read end and a write end (Linux's default pipe
// capacity). A read from an empty pipe whose write end is open, or a write to a full one,
// waits (kEWAIT) on the pipe's queue; O_NONBLOCK ends give EAGAIN instead.
#pragma once

#include <array>
#include <memory>
#include <utility>

#include "kernel/fs/file.h"

namespace kernel::fs {

class PipeBuffer;

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

 private:
  std::shared_ptr<PipeBuffer> m_buffer;
  Side m_side;
};

// A new pipe: {read end, write end}. flags: O_NONBLOCK and O_DIRECT are kept on both ends.
std::pair<std::shared_ptr<PipeEnd>, std::shared_ptr<PipeEnd>> make_pipe(u64 flags);

}  // namespace kernel::fs
