/* bench_dontneed: R rounds (default 50) of writing one byte into each page of a 64 MiB
 * anonymous mapping, then MADV_DONTNEED on all of it, so every round faults in 16384 fresh
 * zero pages and then tears them down. Usage: bench_dontneed [R]  (R=0: start-up only, the
 * mapping is still made and unmapped). Transparent huge pages are disabled for the region so
 * each 4 KiB page faults and is freed separately. After every round the first page must read
 * back as zero, which is what MADV_DONTNEED promises for private anonymous memory. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "common.h"

#define PAGE 4096UL
#define REGION_PAGES 16384UL /* 64 MiB */

int main(int argc, char** argv) {
  long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 50;
  CHECK(rounds >= 0);
  size_t len = REGION_PAGES * PAGE;
  volatile unsigned char* p =
      mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK(madvise((void*)p, len, MADV_NOHUGEPAGE) == 0);
  long zero_after_dontneed = 0;
  unsigned long sum = 0;
  for (long r = 0; r < rounds; r++) {
    for (size_t i = 0; i < REGION_PAGES; i++) p[i * PAGE] = (unsigned char)(r | 1);
    sum += p[(REGION_PAGES - 1) * PAGE];
    CHECK(madvise((void*)p, len, MADV_DONTNEED) == 0);
    zero_after_dontneed += p[0] == 0;
  }
  CHECK(munmap((void*)p, len) == 0);
  printf("dontneed rounds: %ld, zero after dontneed: %s, sample sum: %lu\n", rounds,
         yesno(zero_after_dontneed == rounds), sum);
  CHECK(fflush(stdout) == 0);
  return zero_after_dontneed == rounds ? 0 : 1;
}
