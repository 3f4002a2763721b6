#include "kernel/fs/epoll.h"

#include <algorithm>

#include "kernel/fs/anon_inode.h"

namespace kernel::fs {

namespace {

constexpr u32 kPrivateBits = kEPOLLWAKEUP | kEPOLLONESHOT | kEPOLLET | kEPOLLEXCLUSIVE;

// Walking nested instances: an instance already being walked is not walked again.
struct WalkGuard {
  bool& flag;
  bool entered;
  explicit WalkGuard(bool& f) : flag(f), entered(!f) { flag = true; }
  ~WalkGuard() {
    if (entered) flag = false;
  }
};

}  // namespace

Epoll::Epoll() {
  status_flags = abi::kO_RDWR;
}

Result<void> Epoll::stat(abi::Stat& out) {
  fs::anon_inode_stat(out);
  return {};
}

Epoll* as_epoll(File& file) {
  return dynamic_cast<Epoll*>(&file);
}

void Epoll::prune() {
  std::erase_if(m_items, [](const Item& i) { return i.file.expired(); });
}

Epoll::Item* Epoll::find(int fd, const File* key) {
  prune();
  for (Item& i : m_items)
    if (i.fd == fd && i.key == key) return &i;
  return nullptr;
}

u32 Epoll::item_ready(Item& item, bool consume) {
  auto file = item.file.lock();
  if (!file) return 0;
  const u32 wanted = item.events & ~kPrivateBits;
  if (!wanted) return 0;  // a one-shot that fired: disabled until EPOLL_CTL_MOD
  const u32 mask = file->poll_ready() & wanted;
  if (!(item.events & kEPOLLET)) return mask;
  WaitQueue* q = file->poll_queue();
  const u64 gen = q ? q->generation(wanted) : 0;
  const bool edge = item.pending || gen != item.seen;
  if (consume) {
    item.pending = false;
    item.seen = gen;
  }
  return edge ? mask : 0;
}

u32 Epoll::poll_ready() {
  WalkGuard guard(m_polling);
  if (!guard.entered) return 0;
  prune();
  for (Item& i : m_items)
    if (item_ready(i, false)) return abi::kPOLLIN | abi::kPOLLRDNORM;
  return 0;
}

void Epoll::poll_queues(std::vector<WaitQueue*>& out) {
  out.push_back(&m_changed);
  WalkGuard guard(m_polling);
  if (!guard.entered) return;
  prune();
  for (Item& i : m_items)
    if (auto f = i.file.lock()) f->poll_queues(out);
}

u64 Epoll::poll_deadline_ns() {
  WalkGuard guard(m_polling);
  if (!guard.entered) return 0;
  u64 nearest = 0;
  for (Item& i : m_items)
    if (auto f = i.file.lock()) {
      const u64 d = f->poll_deadline_ns();
      if (d && (!nearest || d < nearest)) nearest = d;
    }
  return nearest;
}

bool Epoll::reaches(const Epoll* target, int depth) const {
  if (this == target) return true;
  if (depth <= 0) return false;
  for (const Item& i : m_items)
    if (auto f = i.file.lock())
      if (auto* e = as_epoll(*f); e && e->reaches(target, depth - 1)) return true;
  return false;
}

int Epoll::nesting_depth() const {
  int deepest = 0;
  for (const Item& i : m_items)
    if (auto f = i.file.lock())
      if (auto* e = as_epoll(*f)) deepest = std::max(deepest, 1 + e->nesting_depth());
  return deepest;
}

Result<void> Epoll::add(int fd, const std::shared_ptr<File>& file, u32 events, u64 data) {
  if (auto* inner = as_epoll(*file)) {
    // ep_loop_check: no cycle, and no chain deeper than EP_MAX_NESTS.
    if (inner->reaches(this, kEpollMaxNests) || inner->nesting_depth() + 1 >= kEpollMaxNests)
      return abi::Errno::kELOOP;
  }
  if (find(fd, file.get())) return abi::Errno::kEEXIST;
  Item item{fd, file.get(), file, events | kEPOLLERR | kEPOLLHUP, data};
  WaitQueue* q = file->poll_queue();
  item.seen = q ? q->generation(item.events & ~kPrivateBits) : 0;
  m_items.push_back(item);
  m_changed.wake_all();
  return {};
}

Result<void> Epoll::modify(int fd, const File& file, u32 events, u64 data) {
  Item* item = find(fd, &file);
  if (!item) return abi::Errno::kENOENT;
  if (item->events & kEPOLLEXCLUSIVE) return abi::Errno::kEINVAL;
  item->events = events | kEPOLLERR | kEPOLLHUP;
  item->data = data;
  item->pending = true;
  m_changed.wake_all();
  return {};
}

Result<void> Epoll::remove(int fd, const File& file) {
  Item* item = find(fd, &file);
  if (!item) return abi::Errno::kENOENT;
  m_items.remove_if([item](const Item& i) { return &i == item; });
  m_changed.wake_all();
  return {};
}

u64 Epoll::collect(std::span<EpollEvent> out) {
  prune();
  u64 n = 0;
  std::list<Item> reported;  // level-triggered items that reported: they go to the back
  for (auto it = m_items.begin(); it != m_items.end() && n < out.size();) {
    Item& item = *it;
    const u32 mask = item_ready(item, true);
    if (!mask) {
      ++it;
      continue;
    }
    out[n++] = {mask, item.data};
    if (item.events & kEPOLLONESHOT) item.events &= kPrivateBits;
    if (!(item.events & kEPOLLET)) {
      auto next = std::next(it);
      reported.splice(reported.end(), m_items, it);
      it = next;
    } else {
      ++it;
    }
  }
  m_items.splice(m_items.end(), reported);
  return n;
}

u64 Epoll::size() {
  prune();
  return m_items.size();
}

}  // namespace kernel::fs
