// One-byte guest loads and stores and page-table look-ups for memory tests: each access
// goes through the address space as the guest's would (faulting pages in), so a test can
// write and check data without a CPU.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"

namespace test {

inline void poke(kernel::mm::AddressSpace& as, kernel::u64 va, kernel::u8 value) {
  REQUIRE(kernel::mm::write_user(as, va, value).ok());
}

inline kernel::u8 peek(kernel::mm::AddressSpace& as, kernel::u64 va) {
  auto value = kernel::mm::read_user<kernel::u8>(as, va);
  REQUIRE(value.ok());
  return value.value();
}

// The frame the entry for va names (a huge entry's is its head).
inline kernel::Pfn pfn_at(kernel::mm::AddressSpace& as, kernel::u64 va) {
  return as.page_table().lookup(va).pte.pfn();
}

// Whether a present 2 MiB entry maps va.
inline bool huge_at(kernel::mm::AddressSpace& as, kernel::u64 va) {
  const auto l = as.page_table().lookup(va);
  return l.level == 2 && l.pte.present() && l.pte.huge();
}

}  // namespace test
