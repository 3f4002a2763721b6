#!/usr/bin/env bash
# Builds every guest/*.c twice, as static x86-64 Linux programs:
#   $OUT/musl/NAME   with musl-gcc -static -O2
#   $OUT/glibc/NAME  with gcc -static -O2
#   $OUT/glibc-pie/NAME  with gcc -static-pie -O2 (static position-independent executables)
# Usage: guest/build.sh [OUT]     (OUT defaults to build/guest, relative to the repo top)
# A program is rebuilt when it is older than its .c file, any guest/*.h or this script.
# Environment: MUSL_CC, GLIBC_CC (compilers), GUEST_CFLAGS (extra flags for both).
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$src_dir/.." && pwd)
out=${1:-$top/build/guest}
musl_cc=${MUSL_CC:-musl-gcc}
glibc_cc=${GLIBC_CC:-gcc}
read -r -a extra_cflags <<< "${GUEST_CFLAGS:-}"
common_flags=(-O2 -std=gnu11 -Wall -Wextra -fno-strict-aliasing)

die() { echo "guest/build.sh: error: $*" >&2; exit 1; }

for cc in "$musl_cc" "$glibc_cc"; do
  command -v "$cc" > /dev/null || die "compiler '$cc' not found (run scripts/bootstrap)"
done

shopt -s nullglob
sources=("$src_dir"/*.c)
headers=("$src_dir"/*.h)
shopt -u nullglob
[ ${#sources[@]} -gt 0 ] || die "no guest sources in $src_dir"

mkdir -p "$out/musl" "$out/glibc"

# up_to_date BINARY SOURCE: true when BINARY exists and is newer than everything it depends on.
up_to_date() {
  local bin=$1 dep
  [ -f "$bin" ] || return 1
  for dep in "$2" "${headers[@]}" "${BASH_SOURCE[0]}"; do
    [ "$bin" -nt "$dep" ] || return 1
  done
  return 0
}

built=0
skipped=0
for src in "${sources[@]}"; do
  name=$(basename "$src" .c)
  for libc in musl glibc glibc-pie; do
    case $libc in
      musl) cc=$musl_cc; link=(-static) ;;
      glibc) cc=$glibc_cc; link=(-static) ;;
      glibc-pie) cc=$glibc_cc; link=(-static-pie -fPIE) ;;
    esac
    bin="$out/$libc/$name"
    if up_to_date "$bin" "$src"; then
      skipped=$((skipped + 1))
      continue
    fi
    echo "  CC [$libc] $name" >&2
    tmp="$bin.tmp.$$"
    mkdir -p "$out/$libc"
    if ! "$cc" "${link[@]}" "${common_flags[@]}" "${extra_cflags[@]}" -I"$src_dir" -o "$tmp" "$src"; then
      rm -f "$tmp"
      die "failed to compile $src with $cc ($libc)"
    fi
    mv -f "$tmp" "$bin"
    built=$((built + 1))
  done
done
echo "guest/build.sh: $built built, $skipped up to date, in $out" >&2
