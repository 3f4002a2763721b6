// emu: runs a static x86-64 Linux program on an emulated machine whose syscalls and page
// faults are handled by emu's own kernel.
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "emu/machine.h"
#include "emu/trace/tracer.h"
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/process.h"

extern char** environ;

namespace {

constexpr const char* kUsage =
    "usage: emu [options] PROGRAM [ARGS...]\n"
    "  -m SIZE                emulated RAM (default 512M; K, M, G suffixes)\n"
    "  --swap SIZE            emulated swap device (default: the size of RAM; 0: none)\n"
    "  --root DIR             the host directory the guest sees as / (read-only)\n"
    "  --bind HOST:GUEST[:rw] show the host directory HOST at GUEST, read-only unless\n"
    "                         :rw (repeatable)\n"
    "  --uid N, --gid N       the guest's user and group ids (default 0: root with every\n"
    "                         capability; any other uid starts with none)\n"
    "  --strace               print every syscall on stderr, in strace -f's format\n"
    "  --strace-file FILE     --strace into FILE (created or truncated), each line led by\n"
    "                         the thread id, as strace -f -o FILE writes them\n"
    "  --trace=EVENTS         structured events, comma-separated: fault, madvise,\n"
    "                         reclaim, swap, tlb, sched, signal, fork, ksm, poison\n"
    "  --trace-file FILE      where events go (default stderr)\n"
    "  --trace-format FORMAT  text (default) or json\n"
    "  --poison PADDR[,PADDR...]\n"
    "                         set the RAM's hardware-poison bit of each physical address\n"
    "                         (hex 0x... or decimal, below -m) before the program starts:\n"
    "                         the first access to the frame is a machine check\n"
    "  --poison-after N[:syscalls|:faults]\n"
    "                         inject the --poison addresses only once the guest has made N\n"
    "                         syscalls and page faults (both counted, or the one named):\n"
    "                         the next one after them injects first\n"
    "  --thp MODE             /sys/kernel/mm/transparent_hugepage/enabled at start:\n"
    "                         always, madvise (default) or never\n"
    "  --stats                a summary on stderr at exit: faults by resolution, TLB\n"
    "                         fills and flushes, syscalls, frames in use, reclaim and swap\n"
    "  -h, --help             this text\n";

constexpr kernel::u64 kMaxSwap = kernel::u64{64} << 30;

struct Options {
  kernel::u64 ram = kernel::u64{512} << 20;
  std::optional<kernel::u64> swap;  // default: the size of RAM
  std::string root = "/";
  std::vector<kernel::KernelOptions::Bind> binds;
  emu::trace::TraceOptions trace;
  bool stats = false;
  std::optional<kernel::mm::ThpEnabled> thp;
  kernel::u32 uid = 0;
  kernel::u32 gid = 0;
  std::vector<kernel::u64> poison;  // --poison: physical addresses
  std::optional<kernel::u64> poison_after;
  bool poison_after_syscalls = true;
  bool poison_after_faults = true;
  std::vector<std::string> argv;  // the program and its arguments
};

// A physical address: 0x-prefixed hex or decimal digits, nothing else.
std::optional<kernel::u64> parse_address(const std::string& text) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string digits = hex ? text.substr(2) : text;
  if (digits.empty() || digits.size() > 16) return std::nullopt;
  for (char c : digits)
    if (!(hex ? std::isxdigit(static_cast<unsigned char>(c))
              : std::isdigit(static_cast<unsigned char>(c))))
      return std::nullopt;
  errno = 0;
  const unsigned long long value = std::strtoull(digits.c_str(), nullptr, hex ? 16 : 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<kernel::u64>(value);
}

// Parses options up to the program name. Returns -1 to go on, else an exit status.
int parse_options(int argc, char** argv, Options& o) {
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "emu: %s (emu --help lists the options)\n", msg.c_str());
    return 2;
  };
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.empty() || arg[0] != '-') break;
    if (arg == "--") {
      ++i;
      break;
    }
    std::string value;
    bool has_value = false;
    if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto take = [&](std::string& out) {
      if (has_value) {
        out = value;
        return true;
      }
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "-m") {
      std::string size;
      if (!take(size)) return fail("-m needs a size");
      o.ram = emu::parse_ram_size(size);
      if (o.ram < (kernel::u64{4} << 20)) return fail("bad RAM size '" + size + "' (at least 4M)");
      if (o.ram > emu::kMaxRamSize) return fail("bad RAM size '" + size + "' (at most 8T)");
    } else if (arg == "--swap") {
      std::string size;
      if (!take(size)) return fail("--swap needs a size");
      // parse_ram_size answers 0 for what it cannot read; "0" itself turns swap off.
      const kernel::u64 bytes = size == "0" ? 0 : emu::parse_ram_size(size);
      if (size != "0" && bytes < kernel::kPageSize) return fail("bad swap size '" + size + "'");
      if (bytes > kMaxSwap) return fail("swap size '" + size + "' above the 64G limit");
      o.swap = bytes;
    } else if (arg == "--thp") {
      std::string mode;
      if (!take(mode)) return fail("--thp needs always, madvise or never");
      if (mode == "always")
        o.thp = kernel::mm::ThpEnabled::Always;
      else if (mode == "madvise")
        o.thp = kernel::mm::ThpEnabled::Madvise;
      else if (mode == "never")
        o.thp = kernel::mm::ThpEnabled::Never;
      else
        return fail("bad --thp mode '" + mode + "' (always, madvise or never)");
    } else if (arg == "--root") {
      if (!take(o.root)) return fail("--root needs a directory");
    } else if (arg == "--bind") {
      std::string spec;
      if (!take(spec)) return fail("--bind needs HOST:GUEST[:rw]");
      kernel::KernelOptions::Bind bind;
      if (spec.size() > 3 && spec.compare(spec.size() - 3, 3, ":rw") == 0) {
        bind.writable = true;
        spec.resize(spec.size() - 3);
      } else if (spec.size() > 3 && spec.compare(spec.size() - 3, 3, ":ro") == 0) {
        spec.resize(spec.size() - 3);
      }
      const auto colon = spec.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 >= spec.size() ||
          spec[colon + 1] != '/')
        return fail("bad --bind '" + spec + "' (HOST:GUEST[:rw], GUEST absolute)");
      bind.host_path = spec.substr(0, colon);
      bind.guest_path = spec.substr(colon + 1);
      o.binds.push_back(std::move(bind));
    } else if (arg == "--uid" || arg == "--gid") {
      std::string text;
      if (!take(text)) return fail(arg + " needs a number");
      // Any id but (uid_t)-1, which means "no id" to every set*id call.
      char* end = nullptr;
      const unsigned long long id = std::strtoull(text.c_str(), &end, 10);
      if (text.empty() || text[0] == '-' || *end || id >= 0xffffffffull)
        return fail("bad " + arg + " '" + text + "' (0 to 4294967294)");
      (arg == "--uid" ? o.uid : o.gid) = static_cast<kernel::u32>(id);
    } else if (arg == "--poison") {
      std::string list;
      if (!take(list)) return fail("--poison needs PADDR[,PADDR...]");
      size_t from = 0;
      while (true) {
        const size_t comma = list.find(',', from);
        const std::string item =
            list.substr(from, comma == std::string::npos ? comma : comma - from);
        const auto addr = parse_address(item);
        if (!addr) return fail("bad --poison address '" + item + "' (0x-prefixed hex or decimal)");
        if (o.poison.size() >= 4096) return fail("--poison takes at most 4096 addresses");
        o.poison.push_back(*addr);
        if (comma == std::string::npos) break;
        from = comma + 1;
      }
    } else if (arg == "--poison-after") {
      std::string spec;
      if (!take(spec)) return fail("--poison-after needs N[:syscalls|:faults]");
      const auto colon = spec.find(':');
      const std::string count = spec.substr(0, colon);
      const std::string kind = colon == std::string::npos ? "" : spec.substr(colon + 1);
      char* end = nullptr;
      const unsigned long long n = std::strtoull(count.c_str(), &end, 10);
      if (count.empty() || !std::isdigit(static_cast<unsigned char>(count[0])) || *end ||
          n > (kernel::u64{1} << 62) ||
          (colon != std::string::npos && kind != "syscalls" && kind != "faults"))
        return fail("bad --poison-after '" + spec + "' (N, N:syscalls or N:faults)");
      o.poison_after = n;
      o.poison_after_syscalls = kind != "faults";
      o.poison_after_faults = kind != "syscalls";
    } else if (arg == "--stats") {
      o.stats = true;
    } else if (arg == "--strace") {
      o.trace.strace = true;
    } else if (arg == "--strace-file") {
      if (!take(o.trace.strace_file)) return fail("--strace-file needs a file name");
      o.trace.strace = true;
    } else if (arg == "--trace") {
      std::string events, bad;
      if (!take(events)) return fail("--trace needs a list of events");
      if (!emu::trace::parse_trace_events(events, o.trace, bad))
        return fail("unknown trace event '" + bad + "'");
    } else if (arg == "--trace-file") {
      if (!take(o.trace.file)) return fail("--trace-file needs a file name");
    } else if (arg == "--trace-format") {
      std::string format;
      if (!take(format)) return fail("--trace-format needs text or json");
      if (format == "text")
        o.trace.format = emu::trace::Format::Text;
      else if (format == "json")
        o.trace.format = emu::trace::Format::Json;
      else
        return fail("unknown trace format '" + format + "'");
    } else {
      return fail("unknown option '" + arg + "'");
    }
  }
  if (o.poison_after && o.poison.empty()) return fail("--poison-after needs --poison addresses");
  for (const kernel::u64 addr : o.poison) {
    if (addr >= o.ram) {
      char text[96];
      std::snprintf(text, sizeof text, "--poison address %#llx is beyond the %llu MiB of RAM",
                    static_cast<unsigned long long>(addr),
                    static_cast<unsigned long long>(o.ram >> 20));
      return fail(text);
    }
  }
  if (i >= argc) return fail("no program given");
  for (; i < argc; ++i) o.argv.emplace_back(argv[i]);
  return -1;
}

void print_stats(emu::Machine& machine, kernel::Kernel& kernel) {
  const auto& faults = kernel.current().address_space().fault_counters();
  std::string by_kind;
  for (int i = 0; i <= static_cast<int>(kernel::mm::FaultResolution::OutOfMemory); ++i) {
    if (!faults.by_resolution[i]) continue;
    if (!by_kind.empty()) by_kind += ", ";
    by_kind += kernel::mm::fault_resolution_name(static_cast<kernel::mm::FaultResolution>(i));
    by_kind += ' ' + std::to_string(faults.by_resolution[i]);
  }
  const auto& c = machine.counters();
  const auto& frames = kernel.frames();
  std::fprintf(stderr,
               "emu: page faults: %llu handled (%s)\n"
               "emu: TLB fills %llu, TLB flushes %llu (%llu to grow it), syscalls %llu\n"
               "emu: frames in use %llu of %llu (%llu KiB)\n",
               static_cast<unsigned long long>(faults.minor), by_kind.c_str(),
               static_cast<unsigned long long>(c.tlb_fills),
               static_cast<unsigned long long>(c.tlb_flushes),
               static_cast<unsigned long long>(c.tlb_growth_flushes),
               static_cast<unsigned long long>(c.syscalls),
               static_cast<unsigned long long>(frames.total_frames() - frames.free_frames()),
               static_cast<unsigned long long>(frames.total_frames()),
               static_cast<unsigned long long>((frames.total_frames() - frames.free_frames()) * 4));
  const auto& vm = kernel.memory().stats();
  const auto& swap = kernel.memory().swap();
  std::fprintf(
      stderr,
      "emu: reclaim: pgscan %llu, pgsteal %llu, pglazyfreed %llu; swap: pswpin %llu, "
      "pswpout %llu, pgmajfault %llu, slots in use %llu of %llu\n",
      static_cast<unsigned long long>(vm.pgscan), static_cast<unsigned long long>(vm.pgsteal),
      static_cast<unsigned long long>(vm.pglazyfreed), static_cast<unsigned long long>(vm.pswpin),
      static_cast<unsigned long long>(vm.pswpout), static_cast<unsigned long long>(vm.pgmajfault),
      static_cast<unsigned long long>(swap.total_slots() - swap.free_slots()),
      static_cast<unsigned long long>(swap.total_slots()));
}

// Ends emu once the guest is gone, with `status`. Nothing the kernel still holds is
// observable then, and the host takes back emulated RAM and every kernel object at once:
// tearing them down one by one would only add to every run's time. Sanitizer builds return
// the status instead, and main's return tears down, so leak checks cover every object.
int exit_emu(int status) {
#if !defined(__SANITIZE_ADDRESS__)
  std::fflush(nullptr);
  std::_Exit(status);
#endif
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // A guest writing to a closed pipe gets EPIPE (and its own SIGPIPE); the emulator
  // itself must not die of the host's.
  std::signal(SIGPIPE, SIG_IGN);
  Options options;
  if (const int status = parse_options(argc, argv, options); status >= 0) return status;

  emu::trace::Tracer tracer(options.trace);
  if (!tracer.ok()) {
    std::fprintf(stderr, "emu: %s\n", tracer.error().c_str());
    return 1;
  }
  emu::Machine machine(options.ram);
  if (!machine.ok()) {
    std::fprintf(stderr, "emu: %s\n", machine.error().c_str());
    return 1;
  }

  kernel::KernelOptions kopts;
  kopts.root = options.root;
  kopts.binds = options.binds;
  kopts.strace = options.trace.strace;
  kopts.strace_pid_column = !options.trace.strace_file.empty();
  kopts.swap_bytes = options.swap;
  kopts.uid = options.uid;
  kopts.gid = options.gid;
  if (char* cwd = getcwd(nullptr, 0)) {
    kopts.host_cwd = cwd;
    std::free(cwd);
  }
  kernel::Kernel kernel(machine.ram().memory(), machine, kopts, &tracer);
  kernel.set_tracing(options.trace.kernel_events);
  std::vector<kernel::PhysAddr> poison;
  for (const kernel::u64 addr : options.poison) poison.emplace_back(addr);
  if (options.poison_after)
    machine.poison_after(std::move(poison), *options.poison_after, options.poison_after_syscalls,
                         options.poison_after_faults);
  else
    for (const kernel::PhysAddr addr : poison) kernel.inject_poison(addr, "cmdline");
  if (options.thp) kernel.tunables().thp.enabled = *options.thp;

  std::vector<std::string> envp;
  for (char** e = environ; *e; ++e) envp.emplace_back(*e);
  std::string why;
  const std::string& program = options.argv[0];
  if (!kernel.start(program, options.argv, envp, why).ok()) {
    std::fprintf(stderr, "emu: %s: %s\n", program.c_str(), why.c_str());
    return 126 + (why == kernel::abi::errno_message(static_cast<int>(kernel::abi::Errno::kENOENT)));
  }

  machine.run(kernel, &tracer);
  tracer.flush();
  std::fflush(stdout);

  if (options.stats) print_stats(machine, kernel);
  const kernel::ExitState& exit = kernel.exit_state();
  if (exit.signal == 0) return exit_emu(exit.status);
  const kernel::u64 rip = machine.reg(kernel::hal::Reg::Rip);
  const char* name = kernel::abi::signal_name(exit.signal);
  const char* code_name = kernel::abi::si_code_name(exit.signal, exit.si_code);
  if (exit.out_of_memory) {
    std::fprintf(stderr,
                 "emu: %s killed by SIGKILL: out of memory (%llu MiB of RAM) at address %#llx, "
                 "rip %#llx: %s\n",
                 program.c_str(), static_cast<unsigned long long>(options.ram >> 20),
                 static_cast<unsigned long long>(exit.fault_addr),
                 static_cast<unsigned long long>(rip), machine.instruction_at(rip).c_str());
    return exit_emu(128 + exit.signal);
  }
  std::fprintf(stderr, "emu: %s killed by %s (%s) at address %#llx, rip %#llx: %s\n",
               program.c_str(), name ? name : "signal", code_name ? code_name : "?",
               static_cast<unsigned long long>(exit.fault_addr),
               static_cast<unsigned long long>(rip), machine.instruction_at(rip).c_str());
  return exit_emu(128 + exit.signal);
}
