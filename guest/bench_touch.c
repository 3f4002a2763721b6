/* bench_touch: maps N fresh anonymous pages (default 65536 = 256 MiB) and writes one byte
 * per page, so every page costs one page fault. Usage: bench_touch [N]  (N=0: start-up only,
 * the 256 MiB mapping is still made and unmapped). Transparent huge pages are disabled for
 * the region so each 4 KiB page faults separately. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "common.h"

#define PAGE 4096UL
#define MAP_PAGES 65536UL

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : (long)MAP_PAGES;
    CHECK(n >= 0);
    size_t pages = (size_t)n > MAP_PAGES ? (size_t)n : MAP_PAGES;
    volatile unsigned char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK(madvise((void *)p, pages * PAGE, MADV_NOHUGEPAGE) == 0);
    for (long i = 0; i < n; i++)
        p[(size_t)i * PAGE] = (unsigned char)(i | 1);
    unsigned long sum = 0;
    for (long i = 0; i < n; i += 4096)
        sum += p[(size_t)i * PAGE];
    CHECK(munmap((void *)p, pages * PAGE) == 0);
    printf("touched pages: %ld, sample sum: %lu\n", n, sum);
    CHECK(fflush(stdout) == 0);
    return 0;
}
