// execve and execveat: a static ELF program, or a `#!` script whose interpreter is one,
// replaces the calling process's image. The new address space is built before the old one
// is given up, so a program that cannot be loaded leaves the caller as it was.
#include <string>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/fs_args.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr u64 kMaxArgStrlen = 32 * kPageSize;  // MAX_ARG_STRLEN
constexpr u64 kBinprmBufSize = 256;            // BINPRM_BUF_SIZE: what #! may span
constexpr int kMaxInterpDepth = 5;

// A NULL-terminated array of guest strings, with exec's limits: each string at most
// MAX_ARG_STRLEN, all of them together at most a quarter of the stack limit.
Result<void> copy_strings(SyscallContext& ctx, u64 array, std::vector<std::string>& out, u64& total,
                          u64 limit) {
  if (!array) return {};
  auto& as = ctx.process.address_space();
  for (u64 i = 0;; ++i) {
    const u64 ptr = TRY(mm::read_user<u64>(as, array + i * 8));
    if (!ptr) break;
    auto s = mm::copy_string_from_user(as, ptr, kMaxArgStrlen - 1);
    if (!s.ok()) return s.error() == Errno::kENAMETOOLONG ? Errno::kE2BIG : s.error();
    total += s.value().size() + 1 + sizeof(u64);
    if (total > limit) return Errno::kE2BIG;
    out.push_back(s.release_value());
  }
  return {};
}

struct Script {
  std::string interpreter;
  std::string argument;  // empty: none
};

// load_script: "#!" then the interpreter and at most one argument, within the first
// BINPRM_BUF_SIZE bytes. nullopt for anything that is not a script.
Result<std::optional<Script>> parse_script(fs::File& file) {
  u8 buf[kBinprmBufSize];
  const u64 n = TRY(file.pread({buf, sizeof buf}, 0));
  if (n < 2 || buf[0] != '#' || buf[1] != '!') return std::optional<Script>();
  std::string_view text(reinterpret_cast<const char*>(buf) + 2, n - 2);
  const auto nl = text.find('\n');
  if (nl == std::string_view::npos) {
    // The whole buffer is one line: a name cut off there would be a different program.
    if (n == sizeof buf) return Errno::kENOEXEC;
  } else {
    text = text.substr(0, nl);
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && (is_space(text.back()) || text.back() == '\0')) text.remove_suffix(1);
  if (text.empty()) return Errno::kENOEXEC;
  std::size_t end = 0;
  while (end < text.size() && !is_space(text[end])) ++end;
  Script script{std::string(text.substr(0, end)), {}};
  std::string_view rest = text.substr(end);
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  script.argument = std::string(rest);
  return std::optional<Script>(std::move(script));
}

// mm_release at exec: a vfork child's CLONE_CHILD_CLEARTID word is cleared in the memory
// it leaves, its robust list forgotten.
void release_old_memory(SyscallContext& ctx) {
  Thread& t = ctx.thread;
  if (const u64 tidptr = t.clear_child_tid()) {
    const u32 zero = 0;
    auto& as = ctx.process.address_space();
    if (mm::copy_to_user(as, tidptr, &zero, sizeof zero).ok())
      if (auto key = FutexTable::key(as, tidptr, false); key.ok())
        ctx.kernel.futexes().wake(key.value(), 1, ~u32{0});
    t.clear_child_tid() = 0;
  }
  t.robust_list() = 0;
}

Result<i64> do_execve(SyscallContext& ctx, std::shared_ptr<fs::File> at, std::string path,
                      u64 argv_ptr, u64 envp_ptr, int empty_path_fd,
                      fs::FollowSymlinks follow = fs::FollowSymlinks::Yes) {
  const bool empty_path = empty_path_fd >= 0;
  Process& p = ctx.process;
  const u64 stack_limit = p.rlimits()[abi::kRLIMIT_STACK].cur;
  const u64 limit = std::max<u64>(stack_limit / 4, 32 * kPageSize);
  std::vector<std::string> argv, envp;
  u64 total = 0;
  TRY(copy_strings(ctx, argv_ptr, argv, total, limit));
  TRY(copy_strings(ctx, envp_ptr, envp, total, limit));
  // Since 5.18 an empty argv gets one empty string, so argv[0] always exists.
  if (argv.empty()) argv.emplace_back();

  fs::Vfs& vfs = ctx.kernel.vfs();
  const fs::Caller caller = caller_of(ctx);
  std::shared_ptr<fs::File> file;
  std::string filename = path;
  if (empty_path) {
    // The file behind the descriptor is opened anew, as Linux reopens its path: an O_PATH
    // descriptor runs, a directory is EACCES.
    if (!at) return Errno::kEBADF;
    file =
        TRY(vfs.open_executable(caller, nullptr, "/proc/self/fd/" + std::to_string(empty_path_fd)));
    filename = "/dev/fd/" + std::to_string(empty_path_fd);
  } else {
    file = TRY(vfs.open_executable(caller, at.get(), path, follow));
  }
  const std::string execfn = filename;
  // #! scripts, nested up to five interpreters deep.
  for (int depth = 0;; ++depth) {
    auto script = TRY(parse_script(*file));
    if (!script) break;
    if (depth >= kMaxInterpDepth) return Errno::kELOOP;
    std::vector<std::string> args;
    args.push_back(script->interpreter);
    if (!script->argument.empty()) args.push_back(script->argument);
    args.push_back(filename);
    args.insert(args.end(), argv.begin() + 1, argv.end());
    argv = std::move(args);
    filename = script->interpreter;
    file = TRY(vfs.open_executable(caller, nullptr, filename));
  }

  auto as = std::make_shared<mm::AddressSpace>(ctx.kernel.memory());
  as->set_max_map_count(p.address_space().max_map_count());
  proc::ProgramLayout layout;
  std::string why;
  proc::ExecRequest request{file, execfn, argv, envp};
  TRY(proc::load_program(*as, ctx.cpu, request, why, &layout));

  // The point of no return: the new image is in place. Robust futexes held by any thread
  // are let go in the old memory (exec_mm_release, and the other threads' exits).
  for (Thread* t : p.threads()) ctx.kernel.exit_robust_list(*t);
  release_old_memory(ctx);
  p.address_space_ptr() = as;
  ctx.cpu.set_page_table_root(as->page_table().root());
  ctx.cpu.flush_tlb();
  ctx.kernel.exec_done(p);
  // Files and handlers shared with another process are unshared first (unshare_files,
  // unshare_sighand).
  if (p.fds_ptr().use_count() > 1) p.fds_ptr() = std::make_shared<fs::FdTable>(p.fds());
  p.fds().close_marked_on_exec();
  if (p.signal_actions_ptr().use_count() > 1)
    p.signal_actions_ptr() = std::make_shared<SignalActions>(p.signal_actions());
  // flush_signal_handlers: caught signals go back to SIG_DFL; ignored ones stay ignored.
  for (SignalAction& a : p.signal_actions()) {
    const u64 handler = a.handler == abi::kSIG_IGN ? abi::kSIG_IGN : abi::kSIG_DFL;
    a = {};
    a.handler = handler;
  }
  ctx.thread.alt_stack() = {};
  ctx.thread.saved_sigmask().reset();
  p.layout() = std::move(layout);
  p.set_exe_path(vfs.absolute_path(p.fs(), filename));
  // The name is the program's as called, a script's own rather than its interpreter's.
  const auto slash = execfn.rfind('/');
  p.comm() = execfn.substr(slash == std::string::npos ? 0 : slash + 1, 15);
  p.prctl_state().dumpable = 1;
  exec_credentials(p.creds());
  if (ctx.kernel.tracing(kTraceFork)) [[unlikely]]
    ctx.kernel.emit("exec", {TraceField::dec("pid", static_cast<u64>(p.pid())),
                             TraceField::dec("tid", static_cast<u64>(ctx.thread.tid())),
                             TraceField::str("path", execfn.c_str())});
  return 0;
}

}  // namespace

Result<i64> sys_execve(SyscallContext& ctx, const SyscallArgs& args) {
  std::string path = TRY(path_arg(ctx, args.a[0]));
  if (path.empty()) return Errno::kENOENT;
  return do_execve(ctx, nullptr, std::move(path), args.a[1], args.a[2], -1);
}

Result<i64> sys_execveat(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 flags = args.a[4];
  if (flags & ~static_cast<u64>(abi::kAT_SYMLINK_NOFOLLOW | abi::kAT_EMPTY_PATH))
    return Errno::kEINVAL;
  std::string path = TRY(path_arg(ctx, args.a[1]));
  const bool empty_path = path.empty();
  if (empty_path && !(flags & abi::kAT_EMPTY_PATH)) return Errno::kENOENT;
  std::shared_ptr<fs::File> at;
  if (empty_path)
    at = TRY(file_of(ctx, args.a[0], AllowPathFd::Yes));
  else
    at = TRY(dir_arg(ctx, args.a[0], path));
  const fs::FollowSymlinks follow =
      (flags & abi::kAT_SYMLINK_NOFOLLOW) ? fs::FollowSymlinks::No : fs::FollowSymlinks::Yes;
  return do_execve(ctx, std::move(at), std::move(path), args.a[2], args.a[3],
                   empty_path ? fd_arg(args.a[0]) : -1, follow);
}

}  // namespace kernel::syscalls
