#include "kernel/fs/file_locks.h"

#include <algorithm>

namespace kernel::fs {

namespace {

bool overlaps(const FileLock& l, u64 start, u64 end) {
  return l.start <= end && start <= l.end;
}

}  // namespace

Result<std::pair<u64, u64>> flock_range(const Flock& fl, u64 position, u64 size) {
  i64 start;
  switch (fl.l_whence) {
    case abi::kSEEK_SET:
      start = 0;
      break;
    case abi::kSEEK_CUR:
      start = static_cast<i64>(position);
      break;
    case abi::kSEEK_END:
      start = static_cast<i64>(size);
      break;
    default:
      return abi::Errno::kEINVAL;
  }
  if (__builtin_add_overflow(start, fl.l_start, &start) || start < 0) return abi::Errno::kEINVAL;
  u64 end;
  if (fl.l_len > 0) {
    if (static_cast<u64>(fl.l_len - 1) > kOffsetMax - static_cast<u64>(start))
      return abi::Errno::kEOVERFLOW;
    end = static_cast<u64>(start) + static_cast<u64>(fl.l_len) - 1;
  } else if (fl.l_len < 0) {
    if (start + fl.l_len < 0) return abi::Errno::kEINVAL;
    end = static_cast<u64>(start) - 1;
    start += fl.l_len;
  } else {
    end = kOffsetMax;
  }
  return std::pair<u64, u64>{static_cast<u64>(start), end};
}

void FileLocks::prune() {
  const size_t before = m_locks.size();
  std::erase_if(m_locks, [](const FileLock& l) { return l.ofd && l.description.expired(); });
  if (m_locks.size() != before) m_waiters.wake_all();
}

std::optional<FileLock> FileLocks::conflict(const void* file, const void* owner, std::int16_t type,
                                            u64 start, u64 end) {
  prune();
  for (const FileLock& l : m_locks) {
    if (l.file != file || l.owner == owner || !overlaps(l, start, end)) continue;
    if (type == kF_WRLCK || l.type == kF_WRLCK) return l;
  }
  return std::nullopt;
}

void FileLocks::apply(const FileLock& request) {
  prune();
  u64 start = request.start, end = request.end;
  const std::int16_t type = request.type;
  std::vector<FileLock> kept;
  bool shrank = false;
  for (FileLock& l : m_locks) {
    if (l.file != request.file || l.owner != request.owner) {
      kept.push_back(std::move(l));
      continue;
    }
    const bool adjacent =
        (l.end != kOffsetMax && l.end + 1 == start) || (end != kOffsetMax && end + 1 == l.start);
    if (l.type == type && (overlaps(l, start, end) || adjacent)) {
      // Same type, touching: one lock over both.
      start = std::min(start, l.start);
      end = std::max(end, l.end);
      continue;
    }
    if (!overlaps(l, start, end)) {
      kept.push_back(std::move(l));
      continue;
    }
    // Another type (or an unlock) over part of it: what lies outside the request stays.
    shrank = true;
    if (l.start < start) {
      FileLock left = l;
      left.end = start - 1;
      kept.push_back(left);
    }
    if (l.end > end) {
      FileLock right = l;
      right.start = end + 1;
      kept.push_back(right);
    }
  }
  m_locks = std::move(kept);
  if (type != kF_UNLCK) {
    FileLock l = request;
    l.start = start;
    l.end = end;
    m_locks.push_back(l);
  }
  // A write lock turned read, or a range unlocked: waiters may go on.
  if (shrank || type == kF_UNLCK) m_waiters.wake_all();
}

void FileLocks::release(const void* owner, const void* file) {
  const size_t before = m_locks.size();
  std::erase_if(m_locks,
                [&](const FileLock& l) { return l.owner == owner && (!file || l.file == file); });
  if (m_locks.size() != before) m_waiters.wake_all();
  prune();
}

bool FileLocks::would_deadlock(const void* owner, const void* blocker) const {
  // Follow who each blocker waits for, a few steps at most (MAX_DEADLK_ITERATIONS).
  for (int i = 0; i < 10; ++i) {
    if (blocker == owner) return true;
    auto it = m_waiting.find(blocker);
    if (it == m_waiting.end()) return false;
    blocker = it->second;
  }
  return false;
}

}  // namespace kernel::fs
