/* mmap_basics: anonymous mmap/munmap/mprotect, MAP_FIXED, MAP_FIXED_NOREPLACE, zero fill,
 * mremap, madvise(MADV_DONTNEED), mincore and error cases. Prints results, never addresses.
 * Test regions get MADV_NOHUGEPAGE so that mincore counts are per 4 KiB page on every host. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#define PAGE 4096UL

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void fill_page(unsigned char *p, int tag)
{
    for (size_t i = 0; i < PAGE; i++)
        p[i] = (unsigned char)(tag * 7 + i);
}

static int check_page(const unsigned char *p, int tag)
{
    for (size_t i = 0; i < PAGE; i++)
        if (p[i] != (unsigned char)(tag * 7 + i))
            return 0;
    return 1;
}

/* Resident pages of [p, p + pages*PAGE) according to mincore, or -1 with errno. */
static long resident(void *p, size_t pages)
{
    unsigned char vec[256];
    CHECK(pages <= sizeof vec);
    if (mincore(p, pages * PAGE, vec) != 0)
        return -1;
    long n = 0;
    for (size_t i = 0; i < pages; i++)
        n += vec[i] & 1;
    return n;
}

static unsigned char *map_anon(size_t pages, int prot)
{
    unsigned char *p = mmap(NULL, pages * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK(((uintptr_t)p & (PAGE - 1)) == 0);
    CHECK(madvise(p, pages * PAGE, MADV_NOHUGEPAGE) == 0);
    return p;
}

#define SHOW(label, expr)                                                                  \
    do {                                                                                   \
        errno = 0;                                                                         \
        long r_ = (long)(expr);                                                            \
        printf("%s: %s\n", label, result_str(r_, errno));                                  \
    } while (0)

int main(void)
{
    /* 1. Fresh anonymous memory reads as zero and is not resident until touched. */
    unsigned char *a = map_anon(16, PROT_READ | PROT_WRITE);
    printf("mmap 16 pages rw: ok\n");
    printf("resident before touching: %ld\n", resident(a, 16));
    printf("untouched pages read as zero: %s\n", yesno(all_zero(a, 16 * PAGE)));
    for (int i = 0; i < 8; i++)
        fill_page(a + i * PAGE, i);
    int good = 1;
    for (int i = 0; i < 8; i++)
        good &= check_page(a + i * PAGE, i);
    printf("written pages read back: %s\n", yesno(good));
    printf("resident after reading 16 and writing 8: %ld\n", resident(a, 16));

    /* 2. madvise(MADV_DONTNEED) on private anonymous memory drops the contents. */
    SHOW("madvise(4 pages, MADV_DONTNEED)", madvise(a, 4 * PAGE, MADV_DONTNEED));
    printf("pages 0-3 zero after DONTNEED: %s\n", yesno(all_zero(a, 4 * PAGE)));
    good = 1;
    for (int i = 4; i < 8; i++)
        good &= check_page(a + i * PAGE, i);
    printf("pages 4-7 kept their contents: %s\n", yesno(good));

    /* 3. munmap a hole: mincore over it fails with ENOMEM, neighbours survive. */
    SHOW("munmap(page 5)", munmap(a + 5 * PAGE, PAGE));
    errno = 0;
    long r = resident(a, 16);
    printf("mincore over the hole: %s\n", result_str(r, errno));
    printf("page 4 intact: %s, page 6 intact: %s\n", yesno(check_page(a + 4 * PAGE, 4)),
           yesno(check_page(a + 6 * PAGE, 6)));
    printf("mincore pages 0-4: %ld resident\n", resident(a, 5));

    /* 4. MAP_FIXED into the hole and over existing pages replaces them with zero pages. */
    unsigned char *f = mmap(a + 5 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(f != MAP_FAILED);
    printf("MAP_FIXED returned the requested address: %s\n", yesno(f == a + 5 * PAGE));
    printf("MAP_FIXED pages are zero (page 6 replaced): %s\n", yesno(all_zero(f, 2 * PAGE)));
    printf("page 7 untouched by MAP_FIXED: %s\n", yesno(check_page(a + 7 * PAGE, 7)));

    /* 5. MAP_FIXED_NOREPLACE over an existing mapping fails with EEXIST. */
    errno = 0;
    void *nr = mmap(a, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("MAP_FIXED_NOREPLACE over a mapping: %s\n",
           nr == MAP_FAILED ? result_str(-1, errno) : "mapped (unexpected)");
    if (nr != MAP_FAILED && nr != a)
        CHECK(munmap(nr, PAGE) == 0);

    /* 6. mprotect: read-only still reads; PROT_NONE then back to rw keeps contents. */
    SHOW("mprotect(page 4, PROT_READ)", mprotect(a + 4 * PAGE, PAGE, PROT_READ));
    printf("page 4 readable after PROT_READ: %s\n", yesno(check_page(a + 4 * PAGE, 4)));
    SHOW("mprotect(page 4, PROT_NONE)", mprotect(a + 4 * PAGE, PAGE, PROT_NONE));
    SHOW("mprotect(page 4, PROT_READ|PROT_WRITE)",
         mprotect(a + 4 * PAGE, PAGE, PROT_READ | PROT_WRITE));
    printf("page 4 kept contents through PROT_NONE: %s\n", yesno(check_page(a + 4 * PAGE, 4)));
    a[4 * PAGE] ^= 0xff;
    a[4 * PAGE] ^= 0xff;
    printf("page 4 writable again: %s\n", yesno(check_page(a + 4 * PAGE, 4)));

    /* 7. A PROT_NONE reservation made usable piecewise. */
    unsigned char *n = map_anon(8, PROT_NONE);
    SHOW("mprotect(reservation pages 2-3, rw)", mprotect(n + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE));
    fill_page(n + 2 * PAGE, 2);
    fill_page(n + 3 * PAGE, 3);
    printf("reservation pages 2-3 usable: %s\n",
           yesno(check_page(n + 2 * PAGE, 2) && check_page(n + 3 * PAGE, 3)));
    printf("reservation resident: %ld\n", resident(n, 8));
    SHOW("munmap(reservation)", munmap(n, 8 * PAGE));

    /* 8. mremap: grow with MREMAP_MAYMOVE keeps contents; new tail is zero; shrink. */
    unsigned char *m = map_anon(4, PROT_READ | PROT_WRITE);
    for (int i = 0; i < 4; i++)
        fill_page(m + i * PAGE, 100 + i);
    unsigned char *g = mremap(m, 4 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
    CHECK(g != MAP_FAILED);
    good = 1;
    for (int i = 0; i < 4; i++)
        good &= check_page(g + i * PAGE, 100 + i);
    printf("mremap grow 4 -> 64 pages keeps contents: %s\n", yesno(good));
    printf("mremap grown tail is zero: %s\n", yesno(all_zero(g + 4 * PAGE, 60 * PAGE)));
    unsigned char *s = mremap(g, 64 * PAGE, 2 * PAGE, 0);
    CHECK(s != MAP_FAILED);
    printf("mremap shrink stays in place: %s\n", yesno(s == g));
    printf("mremap shrunk contents: %s\n",
           yesno(check_page(s, 100) && check_page(s + PAGE, 101)));
    SHOW("munmap(mremap result)", munmap(s, 2 * PAGE));

    /* Growing in place without MREMAP_MAYMOVE fails when the next page is mapped. */
    errno = 0;
    void *bad = mremap(a, 2 * PAGE, 4 * PAGE, 0);
    printf("mremap grow into mapped pages without MAYMOVE: %s\n",
           bad == MAP_FAILED ? result_str(-1, errno) : "moved or grew (unexpected)");

    /* 9. A larger sparse mapping: touch one byte in every 64th page. */
    size_t big_pages = 16384; /* 64 MiB */
    unsigned char *b = mmap(NULL, big_pages * PAGE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(b != MAP_FAILED);
    unsigned long sum = 0;
    for (size_t i = 0; i < big_pages; i += 64)
        b[i * PAGE + (i % PAGE)] = (unsigned char)(i / 64 + 1);
    for (size_t i = 0; i < big_pages; i += 64)
        sum += b[i * PAGE + (i % PAGE)];
    printf("64 MiB sparse mapping sum: %lu\n", sum);
    SHOW("munmap(64 MiB)", munmap(b, big_pages * PAGE));

    /* 10. Error cases. */
    SHOW("munmap(unaligned address)", munmap(a + 1, PAGE));
    SHOW("munmap(length 0)", munmap(a, 0));
    /* Raw syscall: musl's mprotect() wrapper rounds the address down itself. */
    SHOW("mprotect(unaligned address)", syscall(SYS_mprotect, a + 1, PAGE, PROT_READ));
    SHOW("madvise(unaligned address)", madvise(a + 1, PAGE, MADV_DONTNEED));
    SHOW("madvise(bad advice)", madvise(a, PAGE, 12345));
    errno = 0;
    void *z = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap(length 0): %s\n", z == MAP_FAILED ? result_str(-1, errno) : "mapped (unexpected)");
    errno = 0;
    z = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 12345, 0);
    printf("mmap(bad fd, not anonymous): %s\n", z == MAP_FAILED ? result_str(-1, errno) : "mapped (unexpected)");
    errno = 0;
    z = mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0);
    printf("mmap(neither private nor shared): %s\n", z == MAP_FAILED ? result_str(-1, errno) : "mapped (unexpected)");
    errno = 0;
    z = mmap(a + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("mmap(MAP_FIXED, unaligned): %s\n", z == MAP_FAILED ? result_str(-1, errno) : "mapped (unexpected)");
    errno = 0;
    unsigned char vec[1];
    SHOW("mincore(unaligned address)", mincore(a + 1, PAGE, vec));

    /* 11. Unmapping everything; unmapping again is not an error. */
    SHOW("munmap(all 16 pages)", munmap(a, 16 * PAGE));
    SHOW("munmap(already unmapped)", munmap(a, 16 * PAGE));
    errno = 0;
    r = resident(a, 16);
    printf("mincore after munmap: %s\n", result_str(r, errno));

    printf("mmap_basics done\n");
    CHECK(fflush(stdout) == 0);
    return 0;
}
