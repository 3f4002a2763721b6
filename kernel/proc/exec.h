// Loading a static executable into a fresh address space: map its segments, build the
// initial stack and leave the registers as Linux's execve() does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernel/base/result.h"
#include "kernel/hal.h"
#include "kernel/proc/initial_stack.h"

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

// Where exec put the program, as Linux's mm_struct records it (start_code ... env_end and
// saved_auxv): /proc/PID/stat, statm, status, cmdline, environ and auxv read it.
struct ProgramLayout {
  u64 start_code = 0, end_code = 0;  // the executable PT_LOADs' file-backed span
  u64 start_data = 0, end_data = 0;  // from the last PT_LOAD's start to the file-backed end
  u64 start_stack = 0;               // the initial stack pointer (argc)
  u64 arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
  std::vector<AuxEntry> auxv;  // AT_NULL included
};

// Maps the program into `as` (which must be empty) and sets the CPU's registers for its
// first instruction; fills `layout` when given. On failure `why` holds a one-line reason.
Result<void> load_program(mm::AddressSpace& as, hal::Cpu& cpu, const ExecRequest& request,
                          std::string& why, ProgramLayout* layout = nullptr);

}  // namespace kernel::proc
