// The one syscall table: every implemented call with its handler and its strace argument
// kinds, built from the per-family lists. Dispatch, names and --strace all read it.
#include <array>

#include "kernel/syscalls/list_cred.h"
#include "kernel/syscalls/list_fs.h"
#include "kernel/syscalls/list_io.h"
#include "kernel/syscalls/list_misc.h"
#include "kernel/syscalls/list_mm.h"
#include "kernel/syscalls/list_pidfd.h"
#include "kernel/syscalls/list_sigtime.h"
#include "kernel/syscalls/list_task.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

#define EMU_DECLARE_HANDLER(nr, name, ...) \
  Result<i64> sys_##name(SyscallContext& ctx, const SyscallArgs& args);
EMU_SYSCALLS_FS(EMU_DECLARE_HANDLER)
EMU_SYSCALLS_MM(EMU_DECLARE_HANDLER)
EMU_SYSCALLS_MISC(EMU_DECLARE_HANDLER)
EMU_SYSCALLS_TASK(EMU_DECLARE_HANDLER)
EMU_SYSCALLS_CRED(EMU_DECLARE_HANDLER)
EMU_SYSCALLS_SIGTIME(EMU_DECLARE_HANDLER)
EMU_SYSCALLS_IO(EMU_DECLARE_HANDLER)
EMU_SYSCALLS_PIDFD(EMU_DECLARE_HANDLER)
#undef EMU_DECLARE_HANDLER

namespace {

template <typename... Kinds>
constexpr int count_args(Kinds...) {
  return static_cast<int>(sizeof...(Kinds));
}

using enum Arg;

#define EMU_ENTRY(nr, name, ret, ...) \
  SyscallInfo{nr, #name, &sys_##name, ret, {__VA_ARGS__}, count_args(__VA_ARGS__)},

constexpr SyscallInfo kSyscalls[] = {
    EMU_SYSCALLS_FS(EMU_ENTRY) EMU_SYSCALLS_MM(EMU_ENTRY) EMU_SYSCALLS_MISC(EMU_ENTRY)
        EMU_SYSCALLS_TASK(EMU_ENTRY) EMU_SYSCALLS_CRED(EMU_ENTRY) EMU_SYSCALLS_SIGTIME(EMU_ENTRY)
            EMU_SYSCALLS_IO(EMU_ENTRY) EMU_SYSCALLS_PIDFD(EMU_ENTRY)};
#undef EMU_ENTRY

constexpr u64 kTableSize = 512;

constexpr std::array<const SyscallInfo*, kTableSize> build_index() {
  std::array<const SyscallInfo*, kTableSize> index{};
  for (const SyscallInfo& info : kSyscalls) index[info.nr] = &info;
  return index;
}

constexpr auto kIndex = build_index();

constexpr bool numbers_unique() {
  std::array<int, kTableSize> seen{};
  for (const SyscallInfo& info : kSyscalls)
    if (info.nr >= kTableSize || seen[info.nr]++) return false;
  return true;
}
static_assert(numbers_unique(), "each syscall number appears once in the lists");

}  // namespace

const SyscallInfo* lookup_syscall(u64 nr) {
  return nr < kTableSize ? kIndex[nr] : nullptr;
}

}  // namespace kernel::syscalls
