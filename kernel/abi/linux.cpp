#include "kernel/abi/linux.h"

namespace kernel::abi {

const char* signal_name(int sig) {
  static constexpr const char* kNames[] = {
      nullptr,     "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
      "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
      "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};
  if (sig <= 0 || sig >= static_cast<int>(sizeof(kNames) / sizeof(kNames[0]))) return nullptr;
  return kNames[sig];
}

const char* si_code_name(int sig, int code) {
  if (code == kSI_USER) return "SI_USER";
  if (code == kSI_KERNEL) return "SI_KERNEL";
  if (code == kSI_TKILL) return "SI_TKILL";
  if (code == kSI_QUEUE) return "SI_QUEUE";
  if (code == kSI_TIMER) return "SI_TIMER";
  if (sig == kSIGSEGV && code == kSEGV_MAPERR) return "SEGV_MAPERR";
  if (sig == kSIGSEGV && code == kSEGV_ACCERR) return "SEGV_ACCERR";
  if (sig == kSIGBUS && code == kBUS_ADRALN) return "BUS_ADRALN";
  if (sig == kSIGBUS && code == kBUS_ADRERR) return "BUS_ADRERR";
  if (sig == kSIGBUS && code == kBUS_MCEERR_AR) return "BUS_MCEERR_AR";
  if (sig == kSIGBUS && code == kBUS_MCEERR_AO) return "BUS_MCEERR_AO";
  if (sig == kSIGILL && code == kILL_ILLOPN) return "ILL_ILLOPN";
  if (sig == kSIGFPE && code == kFPE_INTDIV) return "FPE_INTDIV";
  if (sig == kSIGCHLD) {
    static constexpr const char* kChild[] = {nullptr,        "CLD_EXITED",  "CLD_KILLED",
                                             "CLD_DUMPED",   "CLD_TRAPPED", "CLD_STOPPED",
                                             "CLD_CONTINUED"};
    if (code >= kCLD_EXITED && code <= kCLD_CONTINUED) return kChild[code];
  }
  return nullptr;
}

}  // namespace kernel::abi
