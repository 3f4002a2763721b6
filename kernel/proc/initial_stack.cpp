#include "kernel/proc/initial_stack.h"

#include <algorithm>
#include <cstring>

#include "kernel/abi/linux.h"

namespace kernel::proc {

namespace {

constexpr u64 kWord = sizeof(u64);

// Linux refuses an empty argv by giving the program argv[0] = "" (since 5.18), so that a
// program walking from argv[1] does not wander into envp.
const std::string kEmptyArg;

// Sum of the strings' sizes with their NULs, checking each against MAX_ARG_STRLEN.
Result<u64> strings_size(std::span<const std::string> strings) {
  u64 total = 0;
  for (const std::string& s : strings) {
    if (s.find('\0') != std::string::npos) return abi::Errno::kEINVAL;
    if (s.size() + 1 > kMaxArgStrlen) return abi::Errno::kE2BIG;
    total += s.size() + 1;
  }
  return total;
}

bool builder_owns(u64 type) {
  return type == abi::kAT_NULL || type == abi::kAT_RANDOM || type == abi::kAT_EXECFN ||
         type == abi::kAT_PLATFORM;
}

// The auxiliary vector in create_elf_tables() order, with the entries that point into the
// stack left at 0 until their addresses are known.
std::vector<AuxEntry> aux_vector(std::span<const AuxEntry> caller, bool with_platform) {
  std::vector<AuxEntry> auxv;
  auxv.reserve(caller.size() + 4);
  bool placed_random = false;
  for (const AuxEntry& entry : caller) {
    auxv.push_back(entry);
    if (entry.type == abi::kAT_SECURE && !placed_random) {
      auxv.push_back({abi::kAT_RANDOM, 0});
      placed_random = true;
    }
  }
  if (!placed_random) auxv.push_back({abi::kAT_RANDOM, 0});
  auxv.push_back({abi::kAT_EXECFN, 0});
  if (with_platform) auxv.push_back({abi::kAT_PLATFORM, 0});
  auxv.push_back({abi::kAT_NULL, 0});
  return auxv;
}

// Writes into the image, which starts at guest address `base`.
class StackWriter {
 public:
  StackWriter(std::vector<u8>& image, u64 base) : m_image(image), m_base(base) {}
  void put_bytes(u64 addr, const void* data, u64 len) {
    VERIFY(addr >= m_base && len <= m_image.size() && addr - m_base <= m_image.size() - len);
    if (len) std::memcpy(m_image.data() + (addr - m_base), data, len);
  }
  void put_word(u64 addr, u64 value) { put_bytes(addr, &value, kWord); }
  // Strings back to back from `addr`, each with its NUL; returns where each one starts.
  std::vector<u64> put_strings(u64 addr, std::span<const std::string> strings) {
    std::vector<u64> starts;
    starts.reserve(strings.size());
    for (const std::string& s : strings) {
      starts.push_back(addr);
      put_bytes(addr, s.c_str(), s.size() + 1);
      addr += s.size() + 1;
    }
    return starts;
  }

 private:
  std::vector<u8>& m_image;
  u64 m_base;
};

}  // namespace

u64 arg_strings_limit(u64 stack_rlimit) {
  u64 limit = std::min(kDefaultStackRlimit / 4 * 3, stack_rlimit / 4);
  return std::max(limit, kArgMax);
}

Result<InitialStack> build_initial_stack(const InitialStackParams& params) {
  std::span<const std::string> argv = params.argv;
  if (argv.empty()) argv = std::span(&kEmptyArg, 1);
  std::span<const std::string> envp = params.envp;
  for (const AuxEntry& entry : params.aux) {
    if (builder_owns(entry.type)) return abi::Errno::kEINVAL;
  }
  if (params.execfn.find('\0') != std::string_view::npos ||
      params.platform.find('\0') != std::string_view::npos)
    return abi::Errno::kEINVAL;

  // Linux 6.1 bprm_stack_limits(): the pointers are charged up front, then each string
  // copied (execfn first) must stay within what is left.
  u64 ptr_size = (argv.size() + envp.size()) * kWord;
  if (params.strings_limit <= ptr_size) return abi::Errno::kE2BIG;
  u64 execfn_size = params.execfn.size() + 1;
  if (execfn_size > kMaxArgStrlen) return abi::Errno::kE2BIG;
  u64 env_size = TRY(strings_size(envp));
  u64 arg_size = TRY(strings_size(argv));
  u64 total_strings = execfn_size + env_size + arg_size;
  if (total_strings > params.strings_limit - ptr_size) return abi::Errno::kE2BIG;

  InitialStack out;
  out.argc = argv.size();
  out.envc = envp.size();

  out.auxv = aux_vector(params.aux, !params.platform.empty());

  // Everything below is bounded by the strings limit check or by the caller's vectors, so a
  // generous fixed margin plus those sizes tells whether the layout fits below stack_top.
  u64 platform_size = params.platform.empty() ? 0 : params.platform.size() + 1;
  u64 words = 1 + (out.argc + 1) + (out.envc + 1) + 2 * out.auxv.size();
  u64 worst = kWord + total_strings + 15 + platform_size + 16 + words * kWord + 15;
  if (params.stack_top < worst) return abi::Errno::kEINVAL;

  // The strings, from the top down: execve() copies them before the binary is even looked at.
  u64 p = params.stack_top - kWord;  // bprm->p starts one pointer below the top
  p -= execfn_size;
  out.execfn_addr = p;
  p -= env_size;
  out.env_start = p;
  out.env_end = out.execfn_addr;
  p -= arg_size;
  out.arg_start = p;
  out.arg_end = out.env_start;

  // create_elf_tables(): arch_align_stack() without randomisation is a 16-byte round-down.
  p &= ~u64{15};
  if (platform_size) {
    p -= platform_size;
    out.platform_addr = p;
  }
  p -= params.random_bytes.size();
  out.random_addr = p;
  for (AuxEntry& entry : out.auxv) {
    if (entry.type == abi::kAT_RANDOM) entry.value = out.random_addr;
    if (entry.type == abi::kAT_EXECFN) entry.value = out.execfn_addr;
    if (entry.type == abi::kAT_PLATFORM) entry.value = out.platform_addr;
  }
  // STACK_ROUND(): room for auxv, argc and the two pointer arrays, rounded down to 16 so
  // that sp is aligned as the x86-64 ABI requires at process entry.
  p -= 2 * out.auxv.size() * kWord;
  p -= ((out.argc + 1) + (out.envc + 1) + 1) * kWord;
  out.sp = p & ~u64{15};

  out.image.assign(params.stack_top - out.sp, 0);
  StackWriter w(out.image, out.sp);
  w.put_bytes(out.execfn_addr, params.execfn.data(), params.execfn.size());  // NUL: zeroed
  std::vector<u64> env_ptrs = w.put_strings(out.env_start, envp);
  std::vector<u64> arg_ptrs = w.put_strings(out.arg_start, argv);
  if (platform_size) w.put_bytes(out.platform_addr, params.platform.data(), params.platform.size());
  w.put_bytes(out.random_addr, params.random_bytes.data(), params.random_bytes.size());

  u64 q = out.sp;
  auto push = [&](u64 value) {
    w.put_word(q, value);
    q += kWord;
  };
  push(out.argc);
  for (u64 ptr : arg_ptrs) push(ptr);
  push(0);
  for (u64 ptr : env_ptrs) push(ptr);
  push(0);
  for (const AuxEntry& entry : out.auxv) {
    push(entry.type);
    push(entry.value);
  }
  VERIFY(q <= out.random_addr);
  return out;
}

}  // namespace kernel::proc
