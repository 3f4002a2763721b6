#include "kernel/fs/page_cache.h"

#include <algorithm>
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

Result<void> HostPageCache::write_back(u64 index, const u8* page) {
  if (!m_writer.valid()) return abi::Errno::kEIO;
  // Never past the end of the file: the tail of the last page is not file data.
  const u64 offset = index << kPageShift;
  if (offset >= size()) return {};
  const u64 length = std::min<u64>(kPageSize, size() - offset);
  for (u64 done = 0; done < length;)
    done += TRY(host::pwrite(m_writer.get(), std::span<const u8>(page + done, length - done),
                             offset + done));
  return {};
}

void HostPageCache::copy_out(std::span<u8> buf, u64 offset) {
  for (u64 done = 0; done < buf.size();) {
    const u64 at = offset + done;
    const u64 chunk = std::min<u64>(buf.size() - done, kPageSize - (at & (kPageSize - 1)));
    if (const auto frame = find_page(at >> kPageShift))
      std::memcpy(buf.data() + done, memory().frame_bytes(*frame) + (at & (kPageSize - 1)), chunk);
    done += chunk;
  }
}

void HostPageCache::copy_in(std::span<const u8> buf, u64 offset) {
  if (offset + buf.size() > size()) set_size(offset + buf.size());
  for (u64 done = 0; done < buf.size();) {
    const u64 at = offset + done;
    const u64 chunk = std::min<u64>(buf.size() - done, kPageSize - (at & (kPageSize - 1)));
    if (const auto frame = find_page(at >> kPageShift))
      std::memcpy(memory().frame_bytes(*frame) + (at & (kPageSize - 1)), buf.data() + done, chunk);
    done += chunk;
  }
}

Result<std::shared_ptr<mm::MemoryObject>> HostFile::memory_object(mm::MemoryManager& mm) {
  const abi::Stat st = TRY(host::stat(m_fd.get()));
  const mm::MemoryManager::FileKey key{st.st_dev, st.st_ino};
  std::shared_ptr<mm::MemoryObject> object = mm.cached_object(key);
  if (!object) {
    HostFd own = TRY(host::duplicate(m_fd.get()));
    object = std::make_shared<HostPageCache>(mm, std::move(own), static_cast<u64>(st.st_size));
    mm.remember_object(key, object);
  }
  if (writable())
    if (auto writer = host::duplicate(m_fd.get()); writer.ok())
      static_cast<HostPageCache&>(*object).adopt_writer(writer.release_value());
  return object;
}

}  // namespace kernel::fs
