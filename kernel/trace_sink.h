// Where the kernel's observable events go: strace lines, one-time warnings and structured
// events (madvise, reclaim, swap, tlb, sched, signal, fork ...). emu/ implements it (with spdlog);
// the kernel only calls it when the event is switched on, so tracing that is off costs one branch.
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>

#include "kernel/base/types.h"

namespace kernel {

// Event classes, as --trace names them; a bit mask says which are on.
enum TraceEventClass : u32 {
  kTraceMadvise = 1u << 0,
  kTraceReclaim = 1u << 1,
  kTraceSwap = 1u << 2,
  kTraceTlb = 1u << 3,
  kTraceSched = 1u << 4,   // context switches, blocks and wake-ups
  kTraceSignal = 1u << 5,  // signals generated, delivered, and fatal
  kTraceFork = 1u << 6,    // clone/fork/vfork, execve, exit and reaping
  kTracePoison = 1u << 7,  // hardware poison: injection, machine checks, memory_failure
  kTraceKsm = 1u << 9,     // ksmd scan steps, merges, unmerges, full scans
};

// One key=value of an event: a number (decimal or hex) or a static string.
struct TraceField {
  enum class Kind : u8 { Dec, Hex, Text };
  const char* key;
  Kind kind;
  u64 value;
  const char* text;

  static constexpr TraceField dec(const char* key, u64 v) { return {key, Kind::Dec, v, nullptr}; }
  static constexpr TraceField hex(const char* key, u64 v) { return {key, Kind::Hex, v, nullptr}; }
  static constexpr TraceField str(const char* key, const char* t) {
    return {key, Kind::Text, 0, t};
  }
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void strace_line(std::string_view line) = 0;
  virtual void warning(std::string_view message) = 0;
  // A structured event named `name` ("madvise", "tlb-flush" ...) with its fields in order.
  virtual void event(const char* name, std::span<const TraceField> fields) {
    (void)name, (void)fields;
  }
};

}  // namespace kernel
