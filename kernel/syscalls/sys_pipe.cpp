// pipe, pipe2 and sendfile.
#include "kernel/abi/linux.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/pipe.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

Result<i64> do_pipe(SyscallContext& ctx, u64 fds_addr, u64 flags) {
  if (flags & ~(abi::kO_CLOEXEC | abi::kO_NONBLOCK | abi::kO_DIRECT)) return Errno::kEINVAL;
  auto [read_end, write_end] = fs::make_pipe(flags);
  const auto cloexec = (flags & abi::kO_CLOEXEC) ? fs::CloseOnExec::Yes : fs::CloseOnExec::No;
  auto& fds = ctx.process.fds();
  const int r = TRY(fds.allocate(read_end, cloexec));
  auto w = fds.allocate(write_end, cloexec);
  if (!w.ok()) {
    (void)fds.close(r);
    return w.error();
  }
  const i32 pair[2] = {r, w.value()};
  // Linux makes the descriptors first and takes them back when the copy faults.
  if (auto copied = mm::copy_to_user(ctx.process.address_space(), fds_addr, pair, sizeof pair);
      !copied.ok()) {
    (void)fds.close(pair[0]);
    (void)fds.close(pair[1]);
    return copied.error();
  }
  return 0;
}

}  // namespace

Result<i64> sys_pipe(SyscallContext& ctx, const SyscallArgs& args) {
  return do_pipe(ctx, args.a[0], 0);
}

Result<i64> sys_pipe2(SyscallContext& ctx, const SyscallArgs& args) {
  return do_pipe(ctx, args.a[0], static_cast<u32>(args.a[1]));
}

Result<i64> sys_sendfile(SyscallContext& ctx, const SyscallArgs& args) {
  auto& fds = ctx.process.fds();
  auto in = TRY(fds.get(static_cast<int>(args.a[1])));
  auto out = TRY(fds.get(static_cast<int>(args.a[0])));
  if (!in->readable() || !out->writable()) return Errno::kEBADF;
  if (out->status_flags & abi::kO_APPEND) return Errno::kEINVAL;
  // Linux 6.1's pipes have no splice_read, so sendfile cannot read from one: EINVAL, which
  // sends programs such as busybox cat back to read and write.
  abi::Stat in_stat{};
  if (in->stat(in_stat).ok() && (in_stat.st_mode & abi::kS_IFMT) == abi::kS_IFIFO)
    return Errno::kEINVAL;
  auto& as = ctx.process.address_space();
  const u64 offset_addr = args.a[2];
  u64 count = std::min<u64>(args.a[3], 0x7ffff000);
  i64 offset = 0;
  if (offset_addr) {
    // An explicit offset needs a file that can be read at an offset.
    offset = TRY(mm::read_user<i64>(as, offset_addr));
    if (offset < 0) return Errno::kEINVAL;
  }
  const std::span<u8> buf = ctx.kernel.bounce_buffer();
  u64 done = 0;
  while (done < count) {
    const std::span<u8> chunk = buf.first(std::min<u64>(buf.size(), count - done));
    auto got = offset_addr ? in->pread(chunk, static_cast<u64>(offset) + done) : in->read(chunk);
    if (!got.ok()) {
      if (done) break;
      // Nothing to read yet: wait for the input, then try again.
      if (got.error() == abi::kEWAIT) return ctx.block({in->poll_queue()});
      return got.error() == Errno::kESPIPE ? Errno::kESPIPE : got.error();
    }
    if (got.value() == 0) break;
    auto put = out->write(chunk.first(got.value()));
    if (!put.ok()) {
      if (put.error() == Errno::kEPIPE) ctx.kernel.send_signal(abi::kSIGPIPE, abi::kSI_USER);
      if (!offset_addr && in->mappable())
        (void)in->seek(-static_cast<i64>(got.value()), abi::kSEEK_CUR);
      if (done) break;
      // No room in the output yet (a full pipe): the input was given back above, so wait
      // for room and start again.
      if (put.error() == abi::kEWAIT) return ctx.block({out->poll_queue()});
      return put.error();
    }
    done += put.value();
    if (put.value() < got.value()) {
      // The rest was read but not written: give it back to a seekable input.
      const i64 unread = static_cast<i64>(got.value() - put.value());
      if (!offset_addr && in->mappable()) (void)in->seek(-unread, abi::kSEEK_CUR);
      break;
    }
  }
  if (offset_addr) TRY(mm::write_user(as, offset_addr, offset + static_cast<i64>(done)));
  return static_cast<i64>(done);
}

}  // namespace kernel::syscalls
