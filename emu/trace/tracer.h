// Where emu's observable events go: strace lines and warnings on stderr, structured
// events (--trace=fault ...) as text or JSON lines to a file or stderr. spdlog does the
// writing; nothing here runs unless its event is switched on.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "emu/mmu.h"
#include "kernel/trace_sink.h"

namespace spdlog {
class logger;
}

namespace emu::trace {

enum class Format { Text, Json };

struct TraceOptions {
  bool strace = false;
  std::string strace_file;  // empty: strace lines go to stderr
  bool faults = false;
  kernel::u32 kernel_events = 0;  // kernel::kTrace* classes (madvise, reclaim, swap, tlb)
  std::string file;               // empty: stderr
  Format format = Format::Text;
};

struct FaultEvent {
  int thread = 0;
  u64 rip = 0;
  std::string insn;
  u64 addr = 0;
  Access access = Access::Read;
  u32 error_code = 0;
  const Walk* walk = nullptr;  // the walk that faulted
  const char* resolution = "";
  bool stack_grown = false;
  u64 ns = 0;
};

class Tracer final : public kernel::TraceSink {
 public:
  explicit Tracer(const TraceOptions& options);
  ~Tracer() override;

  bool ok() const { return m_error.empty(); }
  const std::string& error() const { return m_error; }
  bool faults_enabled() const { return m_options.faults; }

  void fault(const FaultEvent& event);
  void strace_line(std::string_view line) override;
  void warning(std::string_view message) override;
  void event(const char* name, std::span<const kernel::TraceField> fields) override;
  void flush();

 private:
  TraceOptions m_options;
  std::string m_error;
  std::shared_ptr<spdlog::logger> m_stderr;
  std::shared_ptr<spdlog::logger> m_events;
  std::shared_ptr<spdlog::logger> m_strace;  // stderr, or --strace-file
};

// Parses "--trace=fault,..." event names; false on an unknown name.
bool parse_trace_events(std::string_view list, TraceOptions& options, std::string& bad);

}  // namespace emu::trace
