/* bench_mm: the cost of range operations over sparse memory, and of many mappings.
 *   bench_mm sparse   a 1 TiB MAP_NORESERVE mapping with one page touched per GiB; one
 *                     mprotect, one madvise(MADV_DONTNEED) and one munmap over all of it
 *   bench_mm mmaps    30,000 one-page mmaps (every other one read-only, so that they stay
 *                     30,000 VMAs), then their munmaps
 * Prints "NAME NS" lines: nanoseconds of each timed step. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "common.h"

#define GIB (1UL << 30)

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static char* sparse_terabyte(void) {
  const size_t len = 1024 * GIB;
  char* p =
      mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(p != MAP_FAILED);
  for (size_t g = 0; g < 1024; g++) p[g * GIB] = 1;
  return p;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "sparse";
  if (strcmp(mode, "sparse") == 0) {
    const size_t len = 1024 * GIB;
    char* p = sparse_terabyte();
    uint64_t t = now_ns();
    CHECK(mprotect(p, len, PROT_READ) == 0);
    printf("mprotect_1tib %llu\n", (unsigned long long)(now_ns() - t));
    CHECK(mprotect(p, len, PROT_READ | PROT_WRITE) == 0);
    t = now_ns();
    CHECK(madvise(p, len, MADV_DONTNEED) == 0);
    printf("madvise_dontneed_1tib %llu\n", (unsigned long long)(now_ns() - t));
    for (size_t g = 0; g < 1024; g++) p[g * GIB] = 1;
    t = now_ns();
    CHECK(munmap(p, len) == 0);
    printf("munmap_1tib %llu\n", (unsigned long long)(now_ns() - t));
  } else if (strcmp(mode, "mmaps") == 0) {
    enum { N = 30000 };
    static char* maps[N];
    uint64_t t = now_ns();
    for (int i = 0; i < N; i++) {
      maps[i] = mmap(NULL, 4096, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      CHECK(maps[i] != MAP_FAILED);
    }
    printf("mmap_30000 %llu\n", (unsigned long long)(now_ns() - t));
    t = now_ns();
    for (int i = 0; i < N; i++) CHECK(munmap(maps[i], 4096) == 0);
    printf("munmap_30000 %llu\n", (unsigned long long)(now_ns() - t));
  } else {
    fprintf(stderr, "usage: bench_mm sparse|mmaps\n");
    return 2;
  }
  return 0;
}
