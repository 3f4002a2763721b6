#include "kernel/fs/page_cache.h"

#include <cstring>

#include "kernel/mm/memory_manager.h"

namespace kernel::fs {

HostPageCache::HostPageCache(mm::MemoryManager& mm, HostFd fd, u64 size)
    : MemoryObject(mm, mm::ObjectKind::PageCache), m_fd(std::move(fd)) {
  set_size(size);
}

Result<void> HostPageCache::fill(u64 index, u8* page) {
  const u64 offset = index << kPageShift;
  u64 done = 0;
  while (done < kPageSize) {
    const u64 n =
        TRY(host::pread(m_fd.get(), std::span<u8>(page + done, kPageSize - done), offset + done));
    if (n == 0) break;
    done += n;
  }
  std::memset(page + done, 0, kPageSize - done);  // the tail past end of file reads as zeros
  return {};
}

Result<std::shared_ptr<mm::MemoryObject>> HostFile::memory_object(mm::MemoryManager& mm) {
  const abi::Stat st = TRY(host::stat(m_fd.get()));
  const mm::MemoryManager::FileKey key{st.st_dev, st.st_ino};
  if (auto cached = mm.cached_object(key)) return cached;
  HostFd own = TRY(host::duplicate(m_fd.get()));
  auto object = std::make_shared<HostPageCache>(mm, std::move(own), static_cast<u64>(st.st_size));
  mm.remember_object(key, object);
  return std::shared_ptr<mm::MemoryObject>(std::move(object));
}

}  // namespace kernel::fs
