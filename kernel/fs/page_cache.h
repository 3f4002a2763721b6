// The page cache of a host file: a memory object whose pages are read from the file on
// first use. Every mapping of the file (shared or private, by any process) and the
// loader's segments map these same frames; private writes copy them.
#pragma once

#include "kernel/fs/host_file.h"
#include "kernel/mm/memory_object.h"

namespace kernel::fs {

class HostPageCache final : public mm::MemoryObject {
 public:
  // `fd` is a descriptor of its own on the host file; `size` the file's length.
  HostPageCache(mm::MemoryManager& mm, HostFd fd, u64 size);

  // A descriptor open for writing, from a writable description that mapped the file:
  // what dirty pages are written back through.
  void adopt_writer(HostFd fd) {
    if (!m_writer.valid()) m_writer = std::move(fd);
  }

  // read() of the file: `buf` holds the host's bytes at `offset`; the resident pages, which
  // mappings may have written since, replace them.
  void copy_out(std::span<u8> buf, u64 offset);
  // write() of the file: the host has the bytes; resident pages take them too, and the
  // object grows with the file (a mapping may then reach the new pages).
  void copy_in(std::span<const u8> buf, u64 offset);

 protected:
  Result<void> fill(u64 index, u8* page) override;
  Result<void> write_back(u64 index, const u8* page) override;

 private:
  HostFd m_fd;
  HostFd m_writer;
};

}  // namespace kernel::fs
