// Loading a static executable into a fresh address space: map its segments, build the
// initial stack and leave the registers as Linux's execve() does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernel/base/result.h"
#include "kernel/hal.h"

namespace kernel::fs {
class File;
}
namespace kernel::mm {
class AddressSpace;
}

namespace kernel::proc {

struct ExecRequest {
  std::shared_ptr<fs::File> file;
  std::string execfn;  // the path as given, for AT_EXECFN
  std::vector<std::string> argv;
  std::vector<std::string> envp;
};

// Maps the program into `as` (which must be empty) and sets the CPU's registers for its
// first instruction. On failure `why` holds a one-line reason.
Result<void> load_program(mm::AddressSpace& as, hal::Cpu& cpu, const ExecRequest& request,
                          std::string& why);

}  // namespace kernel::proc
