#!/usr/bin/env bash
# mm_range.sh: times guest/bench_mm natively and under emu and prints, for each step, the
# median of RUNS runs in microseconds and the ratio emu/native.
#   sparse: one mprotect / madvise(MADV_DONTNEED) / munmap over 1 TiB with a page per GiB
#   mmaps:  30,000 one-page mmaps (30,000 VMAs), then their munmaps
# Usage: tests/bench/mm_range.sh [EMU [GUEST_DIR [RUNS]]]
#   defaults: build/bin/emu, build/guest, 7; the musl guest is used.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
emu=${1:-$top/build/bin/emu}
guests=${2:-$top/build/guest}
runs=${3:-7}
bench=$guests/musl/bench_mm
[ -x "$bench" ] || { echo "mm_range.sh: $bench missing (build first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for mode in sparse mmaps; do
  for i in $(seq 1 "$runs"); do
    "$bench" "$mode" >>"$tmp/native"
    "$emu" "$bench" "$mode" >>"$tmp/emu"
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-24s %12s %12s %8s\n' step native_us emu_us ratio
for step in $(awk '{ print $1 }' "$tmp/native" | awk '!seen[$0]++'); do
  n=$(awk -v s="$step" '$1 == s { print $2 }' "$tmp/native" | median)
  e=$(awk -v s="$step" '$1 == s { print $2 }' "$tmp/emu" | median)
  awk -v s="$step" -v n="$n" -v e="$e" \
    'BEGIN { printf "%-24s %12.1f %12.1f %8.2f\n", s, n / 1000, e / 1000, (n > 0 ? e / n : 0) }'
done
