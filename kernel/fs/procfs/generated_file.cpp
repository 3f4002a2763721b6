#include "kernel/fs/procfs/generated_file.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace kernel::fs::procfs {

namespace {

Result<u64> seek_position(u64& position, i64 offset, int whence) {
  i64 target = offset;
  if (whence == abi::kSEEK_CUR) {
    if (__builtin_add_overflow(static_cast<i64>(position), offset, &target))
      return abi::Errno::kEINVAL;
  } else if (whence != abi::kSEEK_SET) {
    return abi::Errno::kEINVAL;
  }
  if (target < 0) return abi::Errno::kEINVAL;
  position = static_cast<u64>(target);
  return position;
}

}  // namespace

Result<void> GeneratedFile::ensure(u64 offset) {
  if (!m_generate) return abi::Errno::kEINVAL;  // a write-only file
  if (offset == 0 || !m_text) m_text = TRY(m_generate());
  return {};
}

Result<u64> GeneratedFile::pread(std::span<u8> buf, u64 offset) {
  if (buf.empty()) return 0;
  TRY(ensure(offset));
  if (offset >= m_text->size()) return 0;
  const u64 n = std::min<u64>(buf.size(), m_text->size() - offset);
  std::memcpy(buf.data(), m_text->data() + offset, n);
  return n;
}

Result<u64> GeneratedFile::read(std::span<u8> buf) {
  const u64 n = TRY(pread(buf, m_position));
  m_position += n;
  return n;
}

Result<u64> GeneratedFile::pwrite(std::span<const u8> buf, u64 offset) {
  if (!m_write) return abi::Errno::kEINVAL;
  (void)offset;
  TRY(m_write(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size())));
  m_text.reset();  // the next read shows the new value
  return buf.size();
}

Result<u64> GeneratedFile::write(std::span<const u8> buf) {
  const u64 n = TRY(pwrite(buf, m_position));
  m_position += n;
  return n;
}

Result<u64> GeneratedFile::seek(i64 offset, int whence) {
  return seek_position(m_position, offset, whence);
}

Result<u64> PagemapFile::pread(std::span<u8> buf, u64 offset) {
  // pagemap_read(): the position and the count must be whole entries.
  if (offset % 8 || buf.size() % 8) return abi::Errno::kEINVAL;
  if (buf.empty()) return 0;
  // Produce the entries in bounded pieces, so a huge read costs no huge scratch buffer.
  constexpr u64 kChunk = 4096;
  std::vector<u64> entries(std::min<u64>(kChunk, buf.size() / 8));
  u64 done = 0;
  while (done < buf.size()) {
    const u64 want = std::min<u64>(entries.size(), (buf.size() - done) / 8);
    const u64 got = TRY(m_source((offset + done) / 8, std::span<u64>(entries.data(), want)));
    std::memcpy(buf.data() + done, entries.data(), got * 8);
    done += got * 8;
    if (got < want) break;
  }
  return done;
}

Result<u64> PagemapFile::read(std::span<u8> buf) {
  const u64 n = TRY(pread(buf, m_position));
  m_position += n;
  return n;
}

Result<u64> PagemapFile::seek(i64 offset, int whence) {
  return seek_position(m_position, offset, whence);
}

}  // namespace kernel::fs::procfs
