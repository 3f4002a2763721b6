#include "kernel/proc/signalfd.h"

#include <cstring>

#include "kernel/fs/anon_inode.h"
#include "kernel/kernel.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"

namespace kernel {

namespace {

constexpr int kSI_TIMER = -2, kSI_SIGIO = -5;

bool is_fault_signal(int sig) {
  return sig == abi::kSIGSEGV || sig == abi::kSIGBUS || sig == abi::kSIGILL ||
         sig == abi::kSIGFPE || sig == abi::kSIGTRAP;
}

}  // namespace

SignalfdSiginfo signalfd_record(const abi::Siginfo& info) {
  SignalfdSiginfo out{};
  out.ssi_signo = static_cast<u32>(info.si_signo);
  out.ssi_errno = info.si_errno;
  out.ssi_code = info.si_code;
  const int sig = info.si_signo;
  const int code = info.si_code;
  // siginfo_layout()
  if (code > abi::kSI_USER && code < abi::kSI_KERNEL) {
    if (is_fault_signal(sig)) {
      out.ssi_addr = info.fields.fault.addr;
      if (sig == abi::kSIGBUS && (code == 4 || code == 5))  // BUS_MCEERR_AR / AO
        out.ssi_addr_lsb = static_cast<u16>(info.fields.fault.addr_lsb);
      return out;
    }
    if (sig == abi::kSIGCHLD) {
      out.ssi_pid = static_cast<u32>(info.fields.child.pid);
      out.ssi_uid = info.fields.child.uid;
      out.ssi_status = info.fields.child.status;
      out.ssi_utime = static_cast<u64>(info.fields.child.utime);
      out.ssi_stime = static_cast<u64>(info.fields.child.stime);
      return out;
    }
  }
  if (code == kSI_TIMER) {
    out.ssi_tid = static_cast<u32>(info.fields.rt.pid_or_tid);
    out.ssi_overrun = info.fields.rt.uid_or_overrun;
    out.ssi_ptr = info.fields.rt.value;
    out.ssi_int = static_cast<i32>(info.fields.rt.value);
    return out;
  }
  if (code == kSI_SIGIO) return out;
  out.ssi_pid = static_cast<u32>(info.fields.kill.pid);
  out.ssi_uid = info.fields.kill.uid;
  if (code < 0) {  // SIL_RT: sigqueue's value as well
    out.ssi_ptr = info.fields.rt.value;
    out.ssi_int = static_cast<i32>(info.fields.rt.value);
  }
  return out;
}

SignalFd::SignalFd(Kernel& kernel, u64 mask, u64 flags) : m_kernel(kernel), m_mask(mask) {
  status_flags = abi::kO_RDWR | (flags & abi::kO_NONBLOCK);
}

SignalFd* as_signalfd(fs::File& file) {
  return dynamic_cast<SignalFd*>(&file);
}

void SignalFd::set_mask(u64 mask) {
  m_mask = mask;
  m_kernel.current().signal_wait().wake_all();
}

Result<u64> SignalFd::read(std::span<u8> buf) {
  constexpr u64 kRecord = sizeof(SignalfdSiginfo);
  const u64 count = buf.size() / kRecord;
  if (!count) return abi::Errno::kEINVAL;
  Thread& t = m_kernel.current_thread();
  Process& p = t.process();
  u64 done = 0;
  while (done < count) {
    // dequeue_signal(): the thread's own first, then the group's; the lowest number first,
    // synchronous (fault) signals before the rest.
    const u64 mine = t.pending().set() & m_mask;
    const u64 shared = p.shared_pending().set() & m_mask;
    if (!mine && !shared) break;
    u64 ready = mine ? mine : shared;
    constexpr u64 kSync = sigbit(abi::kSIGSEGV) | sigbit(abi::kSIGBUS) | sigbit(abi::kSIGILL) |
                          sigbit(abi::kSIGTRAP) | sigbit(abi::kSIGFPE) | sigbit(31);
    if (ready & kSync) ready &= kSync;
    const int sig = __builtin_ctzll(ready) + 1;
    const abi::Siginfo info = mine ? t.pending().take(sig) : p.shared_pending().take(sig);
    const SignalfdSiginfo rec = signalfd_record(info);
    std::memcpy(buf.data() + done * kRecord, &rec, kRecord);
    ++done;
  }
  if (done) return done * kRecord;
  return (status_flags & abi::kO_NONBLOCK) ? abi::Errno::kEAGAIN : abi::kEWAIT;
}

u32 SignalFd::poll_ready() {
  Thread& t = m_kernel.current_thread();
  const u64 pending = t.pending().set() | t.process().shared_pending().set();
  return (pending & m_mask) ? (abi::kPOLLIN | abi::kPOLLRDNORM) : 0;
}

WaitQueue* SignalFd::poll_queue() {
  return &m_kernel.current().signal_wait();
}

Result<void> SignalFd::stat(abi::Stat& out) {
  fs::anon_inode_stat(out);
  return {};
}

}  // namespace kernel
