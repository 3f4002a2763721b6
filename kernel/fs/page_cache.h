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

 protected:
  Result<void> fill(u64 index, u8* page) override;

 private:
  HostFd m_fd;
};

}  // namespace kernel::fs
