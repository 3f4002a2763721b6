// An epoll instance (fs/eventpoll.c): an interest list of (fd, open file) items, each with
// the events it wants and the 64 bits of user data it reports. Readiness is asked of the
// files at each wait rather than pushed by callbacks, so:
// - a level-triggered item reports whenever its file is ready for its events;
// - an edge-triggered (EPOLLET) item reports once per wake-up of its file's queue that
//   concerns its events (WaitQueue::generation), and once when added or modified while
//   ready, as Linux's ready list holds it;
// - an EPOLLONESHOT item is disabled after it reports, until EPOLL_CTL_MOD.
// Items hold the file weakly: when the last reference to the open file description goes,
// the item goes, as Linux's eventpoll_release does.
#pragma once

#include <list>
#include <memory>
#include <vector>

#include "kernel/fs/file.h"
#include "kernel/proc/wait_queue.h"

namespace kernel::fs {

inline constexpr u32 kEPOLLIN = 0x1, kEPOLLPRI = 0x2, kEPOLLOUT = 0x4, kEPOLLERR = 0x8;
inline constexpr u32 kEPOLLHUP = 0x10, kEPOLLRDNORM = 0x40, kEPOLLRDBAND = 0x80;
inline constexpr u32 kEPOLLWRNORM = 0x100, kEPOLLWRBAND = 0x200, kEPOLLMSG = 0x400;
inline constexpr u32 kEPOLLRDHUP = 0x2000, kEPOLLEXCLUSIVE = 1u << 28, kEPOLLWAKEUP = 1u << 29;
inline constexpr u32 kEPOLLONESHOT = 1u << 30, kEPOLLET = 1u << 31;
inline constexpr int kEPOLL_CTL_ADD = 1, kEPOLL_CTL_DEL = 2, kEPOLL_CTL_MOD = 3;
// EP_MAX_NESTS: how deep epoll instances may watch each other.
inline constexpr int kEpollMaxNests = 4;

struct EpollEvent {
  u32 events;
  u64 data;
} __attribute__((packed));
static_assert(sizeof(EpollEvent) == 12);

class Epoll final : public File {
 public:
  Epoll();

  Result<void> stat(abi::Stat& out) override;
  // Readable while some item would report.
  u32 poll_ready() override;
  WaitQueue* poll_queue() override { return &m_changed; }
  void poll_queues(std::vector<WaitQueue*>& out) override;
  u64 poll_deadline_ns() override;
  bool pollable() override { return true; }

  // EPOLL_CTL_ADD / MOD / DEL for `file` at `fd`, with Linux's EEXIST / ENOENT / EINVAL /
  // ELOOP answers (the caller has checked the fds and EPERM).
  Result<void> add(int fd, const std::shared_ptr<File>& file, u32 events, u64 data);
  Result<void> modify(int fd, const File& file, u32 events, u64 data);
  Result<void> remove(int fd, const File& file);

  // Collects up to out.size() events that are ready now, consuming edges and one-shots;
  // returns how many.
  u64 collect(std::span<EpollEvent> out);

  // How many items watch a live file (for tests).
  u64 size();

 private:
  struct Item {
    int fd;
    const File* key;
    std::weak_ptr<File> file;
    u32 events;  // what the caller asked for, with EPOLLERR | EPOLLHUP
    u64 data;
    u64 seen = 0;         // the generation of the file's queue last looked at (EPOLLET)
    bool pending = true;  // added or modified: looked at once whatever the generation
  };

  // Drops items whose file is gone.
  void prune();
  Item* find(int fd, const File* key);
  // The events `item` would report now (0: none); `consume` marks edges seen.
  u32 item_ready(Item& item, bool consume);
  // Whether `target` is this instance or watches it, nested at most `depth` deep.
  bool reaches(const Epoll* target, int depth) const;
  int nesting_depth() const;

  std::list<Item> m_items;  // in the order they report: a reported level item goes last
  WaitQueue m_changed;      // woken when the interest list changes
  bool m_polling = false;   // guards against a nested walk coming back here
};

Epoll* as_epoll(File& file);

}  // namespace kernel::fs
