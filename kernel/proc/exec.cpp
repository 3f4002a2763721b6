#include "kernel/proc/exec.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>

#include "kernel/abi/linux.h"
#include "kernel/fs/file.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/initial_stack.h"
#include "kernel/proc/signal_frame.h"

namespace kernel::proc {

namespace {

// The features a program may rely on, as CPUID leaf 1 EDX reports them for the CPU model
// the machine emulates (qemu64: FPU ... SSE2, no VME): Linux passes that word as AT_HWCAP.
constexpr u64 kHwcap = 0x078bfbfd;
// The initial stack VMA: at least 128 KiB, like Linux's setup_arg_pages().
constexpr u64 kInitialStackSize = 128 * 1024;

Result<void> map_segment(mm::AddressSpace& as, const std::shared_ptr<fs::File>& file,
                         const ElfSegment& seg, u64 bias) {
  const u64 start = seg.vaddr + bias;
  const u64 map_start = page_round_down(start);
  const u64 file_end = start + seg.filesz;
  const u64 mem_end = start + seg.memsz;
  if (seg.filesz > 0) {
    mm::MapRequest req;
    req.addr = map_start;
    req.length = page_round_up(file_end) - map_start;
    req.prot = seg.prot;
    req.placement = mm::MapPlacement::Fixed;
    req.file = file;
    req.offset = page_round_down(seg.file_offset);
    TRY(as.map(req));
  }
  // .bss: zero the rest of the last file page, then anonymous pages up to memsz.
  if (seg.memsz > seg.filesz) {
    if (seg.filesz > 0 && !page_aligned(file_end) && (seg.prot & abi::kPROT_WRITE)) {
      TRY(mm::clear_user(as, file_end, page_round_up(file_end) - file_end));
    }
    const u64 anon_start = seg.filesz > 0 ? page_round_up(file_end) : map_start;
    if (page_round_up(mem_end) > anon_start) {
      mm::MapRequest req;
      req.addr = anon_start;
      req.length = page_round_up(mem_end) - anon_start;
      req.prot = seg.prot;
      req.placement = mm::MapPlacement::Fixed;
      TRY(as.map(req));
    }
  }
  return {};
}

// load_elf_binary()'s code and data bounds: code is what the executable segments hold from
// the file; data runs from the highest segment start to the highest file-backed end.
ProgramLayout layout_of(const ElfImage& image, u64 bias) {
  ProgramLayout out;
  u64 start_code = ~u64{0};
  for (const ElfSegment& seg : image.segments) {
    const bool exec = seg.prot & abi::kPROT_EXEC;
    if (exec && seg.vaddr < start_code) start_code = seg.vaddr;
    if (seg.vaddr > out.start_data) out.start_data = seg.vaddr;
    const u64 file_end = seg.vaddr + seg.filesz;
    if (exec && file_end > out.end_code) out.end_code = file_end;
    if (file_end > out.end_data) out.end_data = file_end;
  }
  out.start_code = start_code + bias;
  out.end_code += bias;
  out.start_data += bias;
  out.end_data += bias;
  return out;
}

}  // namespace

Result<void> load_program(mm::AddressSpace& as, hal::Cpu& cpu, const ExecRequest& request,
                          std::string& why, ProgramLayout* layout) {
  abi::Stat st{};
  TRY(request.file->stat(st));
  const u64 file_size = static_cast<u64>(st.st_size);
  auto reader = [&](std::span<u8> buf, u64 offset) -> Result<u64> {
    u64 done = 0;
    while (done < buf.size()) {
      const u64 n = TRY(request.file->pread(buf.subspan(done), offset + done));
      if (n == 0) break;
      done += n;
    }
    return done;
  };
  auto parsed = parse_elf(reader, file_size, &why);
  if (!parsed.ok()) return parsed.error();
  const ElfImage& image = parsed.value();

  u64 bias = 0;
  if (image.type == abi::kET_DYN) {
    // A static-PIE is placed like any mmap without a hint: top-down below mmap_base.
    const u64 base = as.find_free_range(image.span_size(), mm::kStackTop - 128 * 1024 * 1024);
    if (base == 0) {
      why = "no room for the program image";
      return abi::Errno::kENOMEM;
    }
    bias = TRY(elf_load_bias(image, base));
  }
  for (const ElfSegment& seg : image.segments) {
    if (auto r = map_segment(as, request.file, seg, bias); !r.ok()) {
      why = "cannot map a program segment";
      return r.error();
    }
  }
  as.set_brk_start(page_round_up(image.max_vaddr + bias));

  mm::MapRequest stack;
  stack.addr = mm::kStackTop - kInitialStackSize;
  stack.length = kInitialStackSize;
  stack.prot = abi::kPROT_READ | abi::kPROT_WRITE | (image.executable_stack ? abi::kPROT_EXEC : 0);
  stack.placement = mm::MapPlacement::Fixed;
  stack.extra_flags = mm::VM_GROWSDOWN;
  stack.role = mm::VmaRole::Stack;
  TRY(as.map(stack));

  std::vector<AuxEntry> aux = {
      {abi::kAT_MINSIGSTKSZ, 2048},
      {abi::kAT_HWCAP, kHwcap},
      {abi::kAT_PAGESZ, kPageSize},
      {abi::kAT_CLKTCK, 100},
      {abi::kAT_PHDR, image.phdrs.vaddr.value_or(0) + bias},
      {abi::kAT_PHENT, image.phdrs.entsize},
      {abi::kAT_PHNUM, image.phdrs.count},
      {abi::kAT_BASE, 0},
      {abi::kAT_FLAGS, 0},
      {abi::kAT_ENTRY, image.entry + bias},
      {abi::kAT_UID, getuid()},
      {abi::kAT_EUID, geteuid()},
      {abi::kAT_GID, getgid()},
      {abi::kAT_EGID, getegid()},
      {abi::kAT_SECURE, 0},
  };
  InitialStackParams params;
  params.stack_top = mm::kStackTop;
  params.argv = request.argv;
  params.envp = request.envp;
  params.execfn = request.execfn;
  params.platform = "x86_64";
  if (getrandom(params.random_bytes.data(), params.random_bytes.size(), 0) !=
      static_cast<ssize_t>(params.random_bytes.size())) {
    why = "no random bytes for AT_RANDOM";
    return abi::Errno::kEIO;
  }
  params.aux = aux;
  auto built = build_initial_stack(params);
  if (!built.ok()) {
    why = built.error() == abi::Errno::kE2BIG ? "argument list too long" : "cannot build the stack";
    return built.error();
  }
  const InitialStack& initial = built.value();
  if (auto r = mm::copy_to_user(as, initial.sp, initial.image.data(), initial.image.size());
      !r.ok()) {
    why = "cannot write the initial stack";
    return r.error();
  }
  if (layout) {
    *layout = layout_of(image, bias);
    layout->start_stack = initial.sp;
    layout->arg_start = initial.arg_start;
    layout->arg_end = initial.arg_end;
    layout->env_start = initial.env_start;
    layout->env_end = initial.env_end;
    layout->auxv = initial.auxv;
  }

  for (int r = 0; r < static_cast<int>(hal::Reg::Count); ++r)
    cpu.set_reg(static_cast<hal::Reg>(r), 0);
  cpu.set_reg(hal::Reg::Rsp, initial.sp);
  cpu.set_reg(hal::Reg::Rip, image.entry + bias);
  cpu.set_reg(hal::Reg::Rflags, 0x202);
  // A fresh x87/SSE state, as Linux's exec leaves it (FCW 0x37f, MXCSR 0x1f80).
  cpu.restore_fpu(initial_fpu_state());
  // %rdx = 0: the ELF ABI says a non-zero %rdx is a function for atexit().
  cpu.set_reg(hal::Reg::Rdx, 0);
  return {};
}

}  // namespace kernel::proc
