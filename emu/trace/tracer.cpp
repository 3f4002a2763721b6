#include "emu/trace/tracer.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace emu::trace {

namespace {

const char* access_name(Access a) {
  switch (a) {
    case Access::Read:
      return "read";
    case Access::Write:
      return "write";
    case Access::Fetch:
      return "fetch";
  }
  return "?";
}

const char* level_name(int level) {
  switch (level) {
    case 4:
      return "pml4e";
    case 3:
      return "pdpte";
    case 2:
      return "pde";
    default:
      return "pte";
  }
}

// JSON string escaping for the instruction text (Capstone prints plain ASCII).
std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", c);
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Tracer::Tracer(const TraceOptions& options) : m_options(options) {
  auto err_sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
  m_stderr = std::make_shared<spdlog::logger>("emu", err_sink);
  m_stderr->set_pattern("%v");
  m_strace = m_stderr;
  if (m_options.strace && !m_options.strace_file.empty()) {
    try {
      auto sink = std::make_shared<spdlog::sinks::basic_file_sink_st>(m_options.strace_file, true);
      m_strace = std::make_shared<spdlog::logger>("strace", sink);
      m_strace->set_pattern("%v");
    } catch (const spdlog::spdlog_ex& e) {
      m_error = "cannot open strace file " + m_options.strace_file + ": " + e.what();
    }
  }
  if (m_options.faults || m_options.kernel_events) {
    try {
      spdlog::sink_ptr sink;
      if (m_options.file.empty())
        sink = err_sink;
      else
        sink = std::make_shared<spdlog::sinks::basic_file_sink_st>(m_options.file, true);
      m_events = std::make_shared<spdlog::logger>("events", sink);
      m_events->set_pattern("%v");
    } catch (const spdlog::spdlog_ex& e) {
      m_error = "cannot open trace file " + m_options.file + ": " + e.what();
    }
  }
}

Tracer::~Tracer() {
  flush();
}

void Tracer::flush() {
  if (m_events) m_events->flush();
  if (m_strace != m_stderr) m_strace->flush();
  m_stderr->flush();
}

void Tracer::strace_line(std::string_view line) {
  m_strace->info("{}", line);
}

void Tracer::warning(std::string_view message) {
  m_stderr->warn("emu: {}", message);
}

void Tracer::event(const char* name, std::span<const kernel::TraceField> fields) {
  if (!m_events) return;
  using Kind = kernel::TraceField::Kind;
  std::string line;
  if (m_options.format == Format::Json) {
    line = fmt::format(R"({{"event":"{}")", name);
    for (const auto& f : fields) {
      if (f.kind == Kind::Dec)
        line += fmt::format(R"(,"{}":{})", f.key, f.value);
      else if (f.kind == Kind::Hex)
        line += fmt::format(R"(,"{}":"{:#x}")", f.key, f.value);
      else
        line += fmt::format(R"(,"{}":"{}")", f.key, json_escape(f.text));
    }
    line += '}';
  } else {
    line = name;
    for (const auto& f : fields) {
      if (f.kind == Kind::Dec)
        line += fmt::format(" {}={}", f.key, f.value);
      else if (f.kind == Kind::Hex)
        line += fmt::format(" {}={:#x}", f.key, f.value);
      else if (std::string_view(f.text).find(' ') != std::string_view::npos)
        line += fmt::format(" {}=\"{}\"", f.key, f.text);
      else
        line += fmt::format(" {}={}", f.key, f.text);
    }
  }
  m_events->info("{}", line);
}

void Tracer::fault(const FaultEvent& e) {
  if (!m_events) return;
  const Walk& w = *e.walk;
  if (m_options.format == Format::Json) {
    std::string walk = "[";
    for (int i = 0; i < w.steps; ++i) {
      if (i) walk += ',';
      walk += fmt::format(R"({{"level":"{}","at":"{:#x}","entry":"{:#x}"}})", level_name(4 - i),
                          w.step[i].entry_address.value, w.step[i].entry);
    }
    walk += ']';
    m_events->info(
        R"({{"event":"fault","thread":{},"rip":"{:#x}","insn":"{}","addr":"{:#x}","access":"{}","error_code":{},"walk":{},"resolution":"{}","stack_grown":{},"ns":{}}})",
        e.thread, e.rip, json_escape(e.insn), e.addr, access_name(e.access), e.error_code, walk,
        e.resolution, e.stack_grown ? "true" : "false", e.ns);
    return;
  }
  std::string walk;
  for (int i = 0; i < w.steps; ++i) {
    if (i) walk += ' ';
    walk += fmt::format("{}={:#x}", level_name(4 - i), w.step[i].entry);
  }
  m_events->info(
      "fault thread={} rip={:#x} insn=\"{}\" addr={:#x} access={} ec={:#x} walk=[{}] "
      "resolution={}{} ns={}",
      e.thread, e.rip, e.insn, e.addr, access_name(e.access), e.error_code, walk, e.resolution,
      e.stack_grown ? " stack-grown" : "", e.ns);
}

bool parse_trace_events(std::string_view list, TraceOptions& options, std::string& bad) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    if (name == "fault" || name == "faults")
      options.faults = true;
    else if (name == "syscall" || name == "strace")
      options.strace = true;
    else if (name == "madvise")
      options.kernel_events |= kernel::kTraceMadvise;
    else if (name == "reclaim")
      options.kernel_events |= kernel::kTraceReclaim;
    else if (name == "swap")
      options.kernel_events |= kernel::kTraceSwap;
    else if (name == "tlb")
      options.kernel_events |= kernel::kTraceTlb;
    else if (name == "sched")
      options.kernel_events |= kernel::kTraceSched;
    else if (name == "signal")
      options.kernel_events |= kernel::kTraceSignal;
    else if (name == "fork")
      options.kernel_events |= kernel::kTraceFork;
    else if (name == "ksm")
      options.kernel_events |= kernel::kTraceKsm;
    else if (name == "poison")
      options.kernel_events |= kernel::kTracePoison;
    else {
      bad = std::string(name);
      return false;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace emu::trace
