// The exact faulting address. Unicorn's TLB-fill hook only names the page; the byte
// the instruction touched (what Linux reports as si_addr and the trace as addr) is
// recovered by decoding the faulting instruction and computing its memory operand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "emu/mmu.h"
#include "kernel/hal.h"

namespace emu {

// Decodes `code` (the instruction at rip) and returns the first byte it accessed inside
// `page`, when its memory operand lands there; otherwise `page` itself.
u64 exact_fault_address(const std::uint8_t* code, std::size_t size, u64 rip, u64 page,
                        Access access, const std::function<u64(kernel::hal::Reg)>& reg);

}  // namespace emu
