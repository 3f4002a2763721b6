#!/usr/bin/env bash
# Builds Linux 6.1's pidfd selftests as static x86-64 guest programs:
#   OUT/glibc/NAME  with gcc -static
#   OUT/musl/NAME   with musl-gcc -static
# Usage: tests/conformance/build_pidfd_selftests.sh [SRC [OUT]]
#   SRC  the unpacked kernel tree from scripts/bootstrap (default third_party/linux-selftests);
#        when it has no selftests/pidfd (an older bootstrap), they are unpacked from
#        /usr/src/linux-source-6.1.tar.xz into OUT/src first.
#   OUT  output directory (default build/pidfd-selftests)
# A program is rebuilt only when it is older than one of its sources, the shared headers
# or this script. All seven of the Makefile's programs are built for both C libraries.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
src=${1:-$top/third_party/linux-selftests}
out=${2:-$top/build/pidfd-selftests}

die() { echo "build_pidfd_selftests.sh: error: $*" >&2; exit 1; }
for cc in gcc musl-gcc; do
  command -v "$cc" > /dev/null || die "compiler '$cc' not found (run scripts/bootstrap)"
done
mkdir -p "$out/glibc" "$out/musl"
out=$(cd "$out" && pwd)

if [ ! -d "$src/tools/testing/selftests/pidfd" ]; then
  src="$out/src"
  if [ ! -f "$src/.complete-v1" ]; then
    tarball=/usr/src/linux-source-6.1.tar.xz
    [ -f "$tarball" ] || die "'$tarball' is missing (apt-get install linux-source-6.1)"
    echo "build_pidfd_selftests.sh: unpacking the pidfd selftests from $tarball" >&2
    rm -rf "$src"
    mkdir -p "$src"
    tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards \
      'linux-source-6.1/tools/testing/selftests/pidfd/*' \
      'linux-source-6.1/tools/testing/selftests/clone3/*' \
      'linux-source-6.1/tools/testing/selftests/kselftest*'
    touch "$src/.complete-v1"
  fi
fi
selftests="$src/tools/testing/selftests"

# NAME|SOURCES (relative to the selftests directory)
targets=(
  "pidfd_test|pidfd/pidfd_test.c"
  "pidfd_fdinfo_test|pidfd/pidfd_fdinfo_test.c"
  "pidfd_open_test|pidfd/pidfd_open_test.c"
  "pidfd_poll_test|pidfd/pidfd_poll_test.c"
  "pidfd_wait|pidfd/pidfd_wait.c"
  "pidfd_getfd_test|pidfd/pidfd_getfd_test.c"
  "pidfd_setns_test|pidfd/pidfd_setns_test.c"
)

# musl has no Linux UAPI headers of its own: give it the host's (linux-libc-dev, 6.1).
musl_inc="$out/musl-include"
mkdir -p "$musl_inc"
ln -sfn /usr/include/linux "$musl_inc/linux"
ln -sfn /usr/include/asm-generic "$musl_inc/asm-generic"
ln -sfn /usr/include/x86_64-linux-gnu/asm "$musl_inc/asm"

shopt -s nullglob
shared_headers=("$selftests"/kselftest*.h "$selftests"/pidfd/*.h "$selftests"/clone3/*.h)
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
failed=()
for target in "${targets[@]}"; do
  IFS='|' read -r name sources <<< "$target"
  read -r -a rel <<< "$sources"
  files=("${rel[@]/#/$selftests/}")
  for libc in glibc musl; do
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
    if ! "${cc[@]}" -static -O2 -g -w -pthread -D_GNU_SOURCE -I "$selftests/pidfd" \
        -o "$tmp" "${files[@]}" > "$tmp.log" 2>&1; then
      # A test that does not compile against a C library is left out for it, with the
      # reason in OUT/LIBC/NAME.build-error for the runner to show.
      mv -f "$tmp.log" "$bin.build-error"
      rm -f "$tmp" "$bin"
      failed+=("$libc/$name")
      continue
    fi
    rm -f "$tmp.log" "$bin.build-error"
    mv -f "$tmp" "$bin"
    built=$((built + 1))
  done
done
echo "build_pidfd_selftests.sh: $built built, $fresh up to date, ${#failed[@]} not buildable" \
  "${failed[*]:-} in $out" >&2
