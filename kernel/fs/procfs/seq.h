// Building /proc text the way Linux's seq_file helpers do, so layouts match byte for byte:
// seq_put_decimal_ull_width, seq_put_hex_ll, seq_setwidth and seq_pad.
#pragma once

#include <string>
#include <string_view>

#include "kernel/base/types.h"

namespace kernel::fs::procfs {

class SeqBuf {
 public:
  SeqBuf& puts(std::string_view s) {
    m_out += s;
    return *this;
  }
  SeqBuf& putc(char c) {
    m_out += c;
    return *this;
  }
  // seq_put_decimal_ull_width: `prefix`, then v right-aligned in `width` columns.
  SeqBuf& dec(std::string_view prefix, u64 v, unsigned width = 0) {
    m_out += prefix;
    const std::string digits = std::to_string(v);
    if (digits.size() < width) m_out.append(width - digits.size(), ' ');
    m_out += digits;
    return *this;
  }
  // seq_put_decimal_ll.
  SeqBuf& sdec(std::string_view prefix, i64 v) {
    m_out += prefix;
    m_out += std::to_string(v);
    return *this;
  }
  // seq_put_hex_ll: `prefix`, then v in lower-case hex with at least `width` digits.
  SeqBuf& hex(std::string_view prefix, u64 v, unsigned width) {
    m_out += prefix;
    static constexpr char kDigits[] = "0123456789abcdef";
    char buf[16];
    unsigned n = 0;
    do {
      buf[n++] = kDigits[v & 0xf];
      v >>= 4;
    } while (v);
    for (unsigned i = n; i < width; ++i) m_out += '0';
    while (n) m_out += buf[--n];
    return *this;
  }
  // seq_setwidth / seq_pad: pad with spaces to `width` columns past the mark, then put c.
  void set_width(u64 width) { m_pad_until = m_out.size() + width; }
  SeqBuf& pad(char c) {
    if (m_pad_until > m_out.size()) m_out.append(m_pad_until - m_out.size(), ' ');
    if (c) m_out += c;
    return *this;
  }

  std::string& str() { return m_out; }
  std::string take() { return std::move(m_out); }

 private:
  std::string m_out;
  u64 m_pad_until = 0;
};

}  // namespace kernel::fs::procfs
