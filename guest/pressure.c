/* Memory pressure: more memory than the machine has, kept exactly through reclaim and
 * swap. Meant for a small RAM under emu (tests/guest/pressure_check.sh runs it with
 * -m 16M); natively it only proves the program itself, so compare.sh skips it.
 *
 *   pressure roundtrip MIB   MIB of private anonymous memory and MIB/4 of shared
 *                            anonymous memory written with a pattern, then read back
 *   pressure free MIB        MADV_FREE'd pages are discarded under pressure (read back as
 *                            zeros) unless written again after the advice
 *   pressure oom MIB         touches MIB of memory, more than RAM and swap hold
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"

#define PAGE 4096u

static uint64_t pattern(uint64_t page, uint64_t word, uint64_t salt)
{
    uint64_t x = (page * 0x9e3779b97f4a7c15ull) ^ (word * 0xbf58476d1ce4e5b9ull) ^ salt;
    x ^= x >> 31;
    return x * 0x94d049bb133111ebull;
}

static void fill(uint64_t *p, size_t pages, uint64_t salt)
{
    for (size_t i = 0; i < pages; ++i)
        for (size_t w = 0; w < PAGE / 8; w += 8) p[i * (PAGE / 8) + w] = pattern(i, w, salt);
}

/* Pages whose sampled words all match, or -1 at the first mismatch. */
static long check(const uint64_t *p, size_t pages, uint64_t salt)
{
    for (size_t i = 0; i < pages; ++i)
        for (size_t w = 0; w < PAGE / 8; w += 8)
            if (p[i * (PAGE / 8) + w] != pattern(i, w, salt)) {
                printf("mismatch at page %zu word %zu\n", i, w);
                return -1;
            }
    return (long)pages;
}

static void *map(size_t bytes, int flags)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("mmap: %s\n", errname(errno));
        exit(1);
    }
    return p;
}

static int roundtrip(size_t mib)
{
    const size_t pages = mib * 256, shared_pages = pages / 4;
    uint64_t *anon = map(pages * PAGE, MAP_PRIVATE);
    uint64_t *shared = map(shared_pages * PAGE, MAP_SHARED);
    fill(anon, pages, 1);
    fill(shared, shared_pages, 2);
    /* Twice over: the second pass reads pages the first pass's reads pushed out. */
    for (int pass = 1; pass <= 2; ++pass) {
        printf("pass %d: private %ld pages, shared %ld pages\n", pass, check(anon, pages, 1),
               check(shared, shared_pages, 2));
    }
    return 0;
}

static int lazy_free(size_t mib)
{
    const size_t pages = 256;  /* 1 MiB advised */
    unsigned char *freed = map(pages * PAGE, MAP_PRIVATE);
    memset(freed, 0x5a, pages * PAGE);
    if (madvise(freed, pages * PAGE, MADV_FREE) != 0) {
        printf("madvise(MADV_FREE): %s\n", errname(errno));
        return 1;
    }
    /* Written again after the advice: the free is cancelled for this page. */
    memset(freed + 7 * PAGE, 0x77, PAGE);
    const size_t other_pages = mib * 256;
    uint64_t *other = map(other_pages * PAGE, MAP_PRIVATE);
    fill(other, other_pages, 3);
    size_t zero = 0, old = 0, rewritten = 0;
    for (size_t i = 0; i < pages; ++i) {
        const unsigned char c = freed[i * PAGE + 100];
        if (c == 0) ++zero;
        else if (c == 0x5a) ++old;
        else if (c == 0x77) ++rewritten;
    }
    printf("after pressure: %zu zero, %zu kept, %zu rewritten\n", zero, old, rewritten);
    printf("other: %ld pages\n", check(other, other_pages, 3));
    return 0;
}

static int oom(size_t mib)
{
    const size_t pages = mib * 256;
    uint64_t *p = map(pages * PAGE, MAP_PRIVATE | MAP_NORESERVE);
    printf("touching %zu MiB\n", mib);
    fflush(stdout);
    fill(p, pages, 4);
    printf("survived\n");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 3) {
        printf("usage: pressure roundtrip|free|oom MIB\n");
        return 2;
    }
    const size_t mib = strtoul(argv[2], NULL, 10);
    if (!strcmp(argv[1], "roundtrip")) return roundtrip(mib);
    if (!strcmp(argv[1], "free")) return lazy_free(mib);
    if (!strcmp(argv[1], "oom")) return oom(mib);
    printf("unknown mode %s\n", argv[1]);
    return 2;
}
