// Where the kernel's observable events go: strace lines and one-time warnings. emu/
// implements it (with spdlog); the kernel only calls it when the event is switched on,
// so tracing that is off costs one branch.
#pragma once

#include <string_view>

namespace kernel {

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void strace_line(std::string_view line) = 0;
  virtual void warning(std::string_view message) = 0;
};

}  // namespace kernel
