#include "kernel/fs/fd_table.h"

#include "kernel/fs/stdio_file.h"

namespace kernel::fs {

bool FdTable::in_use(int fd) const {
  return fd >= 0 && static_cast<u64>(fd) < m_slots.size() && m_slots[fd].file != nullptr;
}

Result<int> FdTable::allocate(std::shared_ptr<File> file, CloseOnExec cloexec, int lowest) {
  VERIFY(file != nullptr);
  if (lowest < 0) lowest = 0;
  for (u64 fd = static_cast<u64>(lowest); fd < m_limit; ++fd) {
    if (fd >= m_slots.size()) m_slots.resize(fd + 1);
    if (m_slots[fd].file) continue;
    m_slots[fd] = Slot{std::move(file), cloexec == CloseOnExec::Yes};
    return static_cast<int>(fd);
  }
  return abi::Errno::kEMFILE;
}

Result<void> FdTable::install_at(int fd, std::shared_ptr<File> file, CloseOnExec cloexec) {
  VERIFY(file != nullptr);
  if (fd < 0 || static_cast<u64>(fd) >= m_limit) return abi::Errno::kEBADF;
  if (static_cast<u64>(fd) >= m_slots.size()) m_slots.resize(static_cast<u64>(fd) + 1);
  m_slots[fd] = Slot{std::move(file), cloexec == CloseOnExec::Yes};
  return {};
}

void FdTable::install_stdio() {
  for (int fd = 0; fd <= 2; ++fd) {
    auto file = StdioFile::create(fd);
    if (file.ok()) (void)install_at(fd, file.release_value(), CloseOnExec::No);
  }
}

Result<std::shared_ptr<File>> FdTable::get(int fd) const {
  if (!in_use(fd)) return abi::Errno::kEBADF;
  return m_slots[fd].file;
}

Result<void> FdTable::close(int fd) {
  if (!in_use(fd)) return abi::Errno::kEBADF;
  m_slots[fd] = Slot{};
  while (!m_slots.empty() && !m_slots.back().file) m_slots.pop_back();
  return {};
}

Result<int> FdTable::dup(int oldfd) {
  return dup_from(oldfd, 0, CloseOnExec::No);
}

Result<int> FdTable::dup_from(int oldfd, u64 lowest, CloseOnExec cloexec) {
  auto file = TRY(get(oldfd));
  if (lowest >= m_limit) return abi::Errno::kEINVAL;
  return allocate(std::move(file), cloexec, static_cast<int>(lowest));
}

Result<int> FdTable::dup2(int oldfd, int newfd) {
  if (oldfd == newfd) {
    if (!in_use(oldfd)) return abi::Errno::kEBADF;
    return newfd;
  }
  return dup3(oldfd, newfd, 0);
}

Result<int> FdTable::dup3(int oldfd, int newfd, u64 flags) {
  // The order of the checks is Linux's (ksys_dup3).
  if (flags & ~abi::kO_CLOEXEC) return abi::Errno::kEINVAL;
  if (oldfd == newfd) return abi::Errno::kEINVAL;
  if (newfd < 0 || static_cast<u64>(newfd) >= m_limit) return abi::Errno::kEBADF;
  auto file = TRY(get(oldfd));
  TRY(install_at(newfd, std::move(file),
                 (flags & abi::kO_CLOEXEC) ? CloseOnExec::Yes : CloseOnExec::No));
  return newfd;
}

Result<bool> FdTable::close_on_exec(int fd) const {
  if (!in_use(fd)) return abi::Errno::kEBADF;
  return m_slots[fd].close_on_exec;
}

Result<void> FdTable::set_close_on_exec(int fd, CloseOnExec cloexec) {
  if (!in_use(fd)) return abi::Errno::kEBADF;
  m_slots[fd].close_on_exec = cloexec == CloseOnExec::Yes;
  return {};
}

void FdTable::close_marked_on_exec() {
  for (u64 fd = 0; fd < m_slots.size(); ++fd)
    if (m_slots[fd].close_on_exec) m_slots[fd] = Slot{};
  while (!m_slots.empty() && !m_slots.back().file) m_slots.pop_back();
}

int FdTable::open_count() const {
  int n = 0;
  for (const Slot& slot : m_slots) n += slot.file != nullptr;
  return n;
}

std::vector<int> FdTable::open_fds() const {
  std::vector<int> out;
  for (size_t fd = 0; fd < m_slots.size(); ++fd)
    if (m_slots[fd].file) out.push_back(static_cast<int>(fd));
  return out;
}

}  // namespace kernel::fs
