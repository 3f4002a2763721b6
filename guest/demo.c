/* demo: the bundled demonstration that ./scripts/run runs with no arguments.
 *
 * It walks through the life of some anonymous memory and narrates each step:
 *   mmap 64 pages -> read 16 of them (the shared zero page) -> write 16 others ->
 *   madvise(MADV_DONTNEED) drops them -> MADV_WILLNEED / MADV_COLD / MADV_PAGEOUT
 *   (return value of each) -> munmap -> mincore on the hole fails with ENOMEM.
 * mincore() shows which pages are resident at each step. The output is identical natively
 * and under emu. With --verbose it also prints getrusage() minor-fault counts, which
 * differ between hosts and emulators. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.h"


#define PAGE 4096UL
#define PAGES 64

static int verbose;

static long minor_faults(void)
{
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
    return ru.ru_minflt;
}

static void faults_since(long *last, const char *what)
{
    long now = minor_faults();
    if (verbose)
        printf("      minor faults: %ld (%s)\n", now - *last, what);
    *last = minor_faults();
}

/* Resident page count of the region, and a map like "RRRR....". */
static void show_residency(unsigned char *p, const char *when)
{
    unsigned char vec[PAGES];
    CHECK(mincore(p, PAGES * PAGE, vec) == 0);
    char map[PAGES + 1];
    int n = 0;
    for (int i = 0; i < PAGES; i++) {
        map[i] = (vec[i] & 1) ? '#' : '.';
        n += vec[i] & 1;
    }
    map[PAGES] = 0;
    printf("      mincore %-28s %2d/%d resident  [%s]\n", when, n, PAGES, map);
}

static int range_is_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int range_has_pattern(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 13 + 1))
            return 0;
    return 1;
}

static void report_madvise(const char *name, int ret, int err)
{
    if (ret == 0)
        printf("      madvise(%s) = 0\n", name);
    else
        printf("      madvise(%s) = -1 %s\n", name, errname(err));
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
            verbose = 1;
        } else {
            fprintf(stderr, "usage: demo [--verbose]\n");
            return 2;
        }
    }
    long faults = minor_faults();

    printf("emu demo: the life of %d pages of anonymous memory\n\n", PAGES);

    printf("1. mmap(%lu KiB, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)\n", PAGES * PAGE / 1024);
    unsigned char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    /* One 4 KiB page per fault on every host: no transparent huge pages here. */
    CHECK(madvise(p, PAGES * PAGE, MADV_NOHUGEPAGE) == 0);
    printf("   The kernel only records the mapping; no page is allocated yet.\n");
    show_residency(p, "after mmap:");
    faults_since(&faults, "mmap");

    printf("\n2. Read pages 0-15 without writing them.\n");
    int zero = range_is_zero(p, 16 * PAGE);
    printf("   Every byte reads as zero: %s. Each read fault maps the shared zero page,\n", yesno(zero));
    printf("   so the pages count as resident but cost no memory.\n");
    show_residency(p, "after reading 0-15:");
    faults_since(&faults, "16 read faults");

    printf("\n3. Write a pattern into pages 32-47.\n");
    for (size_t i = 0; i < 16 * PAGE; i++)
        p[32 * PAGE + i] = (unsigned char)(i * 13 + 1);
    printf("   Each write fault allocates a private zeroed page. Pattern reads back: %s\n",
           yesno(range_has_pattern(p + 32 * PAGE, 16 * PAGE)));
    show_residency(p, "after writing 32-47:");
    faults_since(&faults, "16 write faults");

    printf("\n4. madvise(pages 32-47, MADV_DONTNEED)\n");
    errno = 0;
    int r = madvise(p + 32 * PAGE, 16 * PAGE, MADV_DONTNEED);
    report_madvise("MADV_DONTNEED", r, errno);
    printf("   The pages are dropped: the next access sees fresh zero-filled memory.\n");
    show_residency(p, "after MADV_DONTNEED:");
    printf("   Pages 32-47 are all zero again: %s\n", yesno(range_is_zero(p + 32 * PAGE, 16 * PAGE)));
    show_residency(p, "after reading them again:");
    faults_since(&faults, "DONTNEED and re-read");

    printf("\n5. Write pages 48-63, then give the other hints.\n");
    for (size_t i = 0; i < 16 * PAGE; i++)
        p[48 * PAGE + i] = (unsigned char)(i * 13 + 1);
    errno = 0;
    r = madvise(p + 48 * PAGE, 16 * PAGE, MADV_WILLNEED);
    report_madvise("MADV_WILLNEED", r, errno);
    errno = 0;
    r = madvise(p + 48 * PAGE, 16 * PAGE, MADV_COLD);
    report_madvise("MADV_COLD", r, errno);
    errno = 0;
    r = madvise(p + 48 * PAGE, 16 * PAGE, MADV_PAGEOUT);
    report_madvise("MADV_PAGEOUT", r, errno);
    printf("   These are hints only: the data survives all three: %s\n",
           yesno(range_has_pattern(p + 48 * PAGE, 16 * PAGE)));
    errno = 0;
    r = madvise(p, PAGES * PAGE, 999);
    printf("   An unknown hint is refused:\n");
    report_madvise("999", r, errno);
    faults_since(&faults, "hints");

    printf("\n6. munmap(pages 16-31) punches a hole in the mapping.\n");
    CHECK(munmap(p + 16 * PAGE, 16 * PAGE) == 0);
    unsigned char vec[PAGES];
    errno = 0;
    r = mincore(p, PAGES * PAGE, vec);
    printf("      mincore over the hole = %s\n", result_str(r, errno));
    errno = 0;
    r = mincore(p + 32 * PAGE, 32 * PAGE, vec);
    printf("      mincore of pages 32-63 = %s\n", result_str(r, errno));

    printf("\n7. munmap the rest.\n");
    CHECK(munmap(p, 16 * PAGE) == 0);
    CHECK(munmap(p + 32 * PAGE, 32 * PAGE) == 0);
    errno = 0;
    r = mincore(p, PAGE, vec);
    printf("      mincore after munmap = %s\n", result_str(r, errno));

    printf("\nDone: zero-page reads, private write faults, madvise hints, munmap and mincore.\n");
    if (verbose)
        printf("(minor fault counts depend on the host kernel or emulator.)\n");
    CHECK(fflush(stdout) == 0);
    return 0;
}
