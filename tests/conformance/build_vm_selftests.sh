#!/usr/bin/env bash
# Builds Linux 6.1's vm (and memfd) selftests as static x86-64 guest programs:
#   OUT/glibc/NAME  with gcc -static
#   OUT/musl/NAME   with musl-gcc -static (the tests that compile and link against musl)
# Usage: tests/conformance/build_vm_selftests.sh [SRC [OUT]]
#   SRC  the unpacked kernel tree from scripts/bootstrap (default third_party/linux-selftests)
#   OUT  output directory (default build/vm-selftests)
# A program is rebuilt only when it is older than one of its sources, the selftests' shared
# headers or this script. Not built, and why:
#   - musl builds of mlock-random-test, memfd_secret (need libcap) and ksm_tests, migration
#     (need libnuma): Debian ships those static libraries for glibc only.
#   - protection_keys: needs memory protection keys in the CPU (and -mxsave builtins).
#   - hugepage-mmap, hugepage-shm, hugepage-mremap, hugepage-vmemmap, hugetlb-madvise,
#     thuge-gen, compaction_test, write_to_hugetlbfs: need reserved huge pages or a
#     mounted hugetlbfs; compaction_test and thuge-gen rewrite /proc/sys/vm/nr_hugepages.
#   - gup_test, hmm-tests: need debugfs test modules.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
src=${1:-$top/third_party/linux-selftests}
out=${2:-$top/build/vm-selftests}
vm="$src/tools/testing/selftests/vm"
memfd="$src/tools/testing/selftests/memfd"

die() { echo "build_vm_selftests.sh: error: $*" >&2; exit 1; }
[ -d "$vm" ] || die "'$vm' is missing (run scripts/bootstrap)"
for cc in gcc musl-gcc; do
  command -v "$cc" > /dev/null || die "compiler '$cc' not found (run scripts/bootstrap)"
done

# NAME|LIBCS|SOURCES (relative to SRC/tools/testing/selftests)|LIBS|CFLAGS
# mrelease_test falls back to syscall number -1 when nothing defines __NR_pidfd_open and
# __NR_process_mrelease, and it includes no header that does: the kernel's own build
# gets them from its UAPI headers, so do the same.
targets=(
  "madv_populate|glibc musl|vm/madv_populate.c vm/vm_util.c|"
  "mremap_test|glibc musl|vm/mremap_test.c|"
  "map_fixed_noreplace|glibc musl|vm/map_fixed_noreplace.c|"
  "map_populate|glibc musl|vm/map_populate.c|"
  "mlock2-tests|glibc musl|vm/mlock2-tests.c|"
  "mrelease_test|glibc musl|vm/mrelease_test.c||-include asm/unistd.h"
  "mremap_dontunmap|glibc musl|vm/mremap_dontunmap.c|"
  "soft-dirty|glibc musl|vm/soft-dirty.c vm/vm_util.c|"
  "on-fault-limit|glibc musl|vm/on-fault-limit.c|"
  "virtual_address_range|glibc musl|vm/virtual_address_range.c|"
  "va_128TBswitch|glibc musl|vm/va_128TBswitch.c|"
  "map_hugetlb|glibc musl|vm/map_hugetlb.c|"
  "userfaultfd|glibc musl|vm/userfaultfd.c vm/vm_util.c|-lpthread"
  "memfd_test|glibc musl|memfd/memfd_test.c memfd/common.c|"
  "mlock-random-test|glibc|vm/mlock-random-test.c|-lcap"
  "memfd_secret|glibc|vm/memfd_secret.c|-lcap"
  "ksm_tests|glibc|vm/ksm_tests.c|-lnuma"
  "migration|glibc|vm/migration.c|-lnuma -lpthread"
  "khugepaged|glibc musl|vm/khugepaged.c vm/vm_util.c|"
  "split_huge_page_test|glibc musl|vm/split_huge_page_test.c vm/vm_util.c|"
  "transhuge-stress|glibc musl|vm/transhuge-stress.c|"
)

# musl has no Linux UAPI headers of its own: give it the host's (linux-libc-dev, 6.1).
musl_inc="$out/musl-include"
mkdir -p "$musl_inc" "$out/glibc" "$out/musl"
ln -sfn /usr/include/linux "$musl_inc/linux"
ln -sfn /usr/include/asm-generic "$musl_inc/asm-generic"
ln -sfn /usr/include/x86_64-linux-gnu/asm "$musl_inc/asm"

shopt -s nullglob
shared_headers=("$src"/tools/testing/selftests/kselftest*.h "$vm"/*.h "$memfd"/*.h)
shopt -u nullglob

up_to_date() {
  local bin=$1 dep
  shift
  [ -f "$bin" ] || return 1
  for dep in "$@" "${shared_headers[@]}" "${BASH_SOURCE[0]}"; do
    [ "$bin" -nt "$dep" ] || return 1
  done
}

built=0
fresh=0
for target in "${targets[@]}"; do
  IFS='|' read -r name libcs sources libs cflags <<< "$target"
  read -r -a rel <<< "$sources"
  read -r -a link_libs <<< "$libs"
  read -r -a extra_cflags <<< "$cflags"
  files=("${rel[@]/#/$src/tools/testing/selftests/}")
  for libc in $libcs; do
    bin="$out/$libc/$name"
    if up_to_date "$bin" "${files[@]}"; then
      fresh=$((fresh + 1))
      continue
    fi
    case $libc in
      glibc) cc=(gcc) ;;
      musl) cc=(musl-gcc -isystem "$musl_inc") ;;
    esac
    echo "  CC [$libc] $name" >&2
    tmp="$bin.tmp.$$"
    # -w: the sources are Linux's, warts and all; their warnings are not ours to fix.
    # Only a failure shows the compiler's output: libnuma.a's getaddrinfo link warning is
    # noise for these tests.
    if ! "${cc[@]}" -static -O2 -w -D_GNU_SOURCE -I "$src" -I "$vm" \
        ${extra_cflags[@]+"${extra_cflags[@]}"} -o "$tmp" "${files[@]}" \
        ${link_libs[@]+"${link_libs[@]}"} -lrt > "$tmp.log" 2>&1; then
      cat "$tmp.log" >&2
      rm -f "$tmp" "$tmp.log"
      die "failed to build $name ($libc)"
    fi
    rm -f "$tmp.log"
    mv -f "$tmp" "$bin"
    built=$((built + 1))
  done
done
echo "build_vm_selftests.sh: $built built, $fresh up to date, in $out" >&2
