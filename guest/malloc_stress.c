/* malloc_stress: many malloc/calloc/realloc/free calls from 1 byte to several MiB, so both
 * the brk heap and mmap paths of the allocator are used. Contents are filled from a
 * deterministic PRNG, verified and checksummed; totals are printed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* The pattern byte at offset i of a block with this seed. */
static unsigned char pat(uint64_t seed, size_t i)
{
    return (unsigned char)((seed >> ((i & 7) * 8)) + i * 31);
}

/* Offsets that carry the pattern: every byte of small blocks; for large blocks the first
 * and last 4 KiB plus every 256th byte (so every page is still touched). Keeps the
 * program fast enough to run under an emulator. */
static int marked(size_t i, size_t n)
{
    return n <= 16384 || i < 4096 || i >= n - 4096 || (i & 255) == 0;
}

static void fill(unsigned char *p, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        if (!marked(i, n)) {
            i = (i | 255) < n - 4096 ? (i | 255) : n - 4097; /* skip to the next marked byte */
            continue;
        }
        p[i] = pat(seed, i);
    }
}

/* Checks the first `n` bytes of a block of size `size` that was filled with `seed`. */
static int check_prefix(const unsigned char *p, size_t n, size_t size, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        if (!marked(i, size)) {
            i = (i | 255) < size - 4096 ? (i | 255) : size - 4097;
            continue;
        }
        if (p[i] != pat(seed, i))
            return 0;
    }
    return 1;
}

static int check(const unsigned char *p, size_t n, uint64_t seed) { return check_prefix(p, n, n, seed); }

/* Pick a size: mostly small, some medium, a few of several MiB. */
static size_t pick_size(void)
{
    uint64_t r = rng();
    switch (r % 16) {
    case 0: return (r >> 8) % 8 ? 1 + (r >> 8) % 65536 : 1 + (r >> 8) % (5u << 20); /* to 5 MiB */
    case 1: case 2: return 1 + (r >> 8) % (256u << 10); /* up to 256 KiB */
    case 3: case 4: case 5: return 1 + (r >> 8) % 16384;
    default: return 1 + (r >> 8) % 512;
    }
}

#define SLOTS 512

struct slot {
    unsigned char *p;
    size_t n;
    uint64_t seed;
};

int main(void)
{
    static struct slot slots[SLOTS];
    unsigned long long mallocs = 0, frees = 0, reallocs = 0, callocs = 0;
    unsigned long long bytes = 0, big = 0;
    unsigned long long sum = FNV_INIT;

    for (int round = 0; round < 8000; round++) {
        struct slot *s = &slots[rng() % SLOTS];
        uint64_t op = rng() % 8;
        if (s->p && op < 3) {
            CHECK(check(s->p, s->n, s->seed));
            sum = fnv1a(sum, s->p, s->n < 64 ? s->n : 64);
            free(s->p);
            s->p = NULL;
            frees++;
        } else if (s->p && op < 5) {
            size_t n = pick_size();
            unsigned char *q = realloc(s->p, n);
            CHECK(q != NULL);
            size_t keep = n < s->n ? n : s->n;
            CHECK(check_prefix(q, keep, s->n, s->seed)); /* prefix survives a move */
            s->p = q;
            s->n = n;
            s->seed = rng();
            fill(s->p, s->n, s->seed);
            reallocs++;
            bytes += n;
            big += n >= (1u << 20);
        } else if (!s->p) {
            size_t n = pick_size();
            if (op == 7) {
                s->p = calloc(n, 1);
                CHECK(s->p != NULL);
                for (size_t i = 0; i < n; i += n > 16384 ? 61 : 1)
                    CHECK(s->p[i] == 0);
                CHECK(s->p[n - 1] == 0);
                callocs++;
            } else {
                s->p = malloc(n);
                CHECK(s->p != NULL);
                mallocs++;
            }
            s->n = n;
            s->seed = rng();
            fill(s->p, s->n, s->seed);
            bytes += n;
            big += n >= (1u << 20);
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].p) {
            CHECK(check(slots[i].p, slots[i].n, slots[i].seed));
            sum = fnv1a(sum, slots[i].p, slots[i].n < 64 ? slots[i].n : 64);
            free(slots[i].p);
            frees++;
        }
    }

    /* Alignment guarantees. */
    int aligned = 1;
    for (size_t align = 16; align <= 65536; align <<= 1) {
        void *p = NULL;
        CHECK(posix_memalign(&p, align, 1000) == 0);
        aligned &= ((uintptr_t)p % align) == 0;
        free(p);
    }
    for (int i = 0; i < 100; i++) {
        void *p = malloc((size_t)i * 7 + 1);
        CHECK(p != NULL);
        aligned &= ((uintptr_t)p % 16) == 0;
        free(p);
    }

    /* A few large blocks kept alive together (about 24 MiB). */
    unsigned char *blocks[6];
    for (int i = 0; i < 6; i++) {
        blocks[i] = malloc((size_t)(i + 1) << 20 | 123);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], i + 1, (size_t)(i + 1) << 20 | 123);
    }
    unsigned long long big_sum = 0;
    for (int i = 0; i < 6; i++) {
        size_t n = (size_t)(i + 1) << 20 | 123;
        for (size_t j = 0; j < n; j += 4096)
            big_sum += blocks[i][j];
        big_sum += blocks[i][n - 1];
        free(blocks[i]);
    }

    /* realloc(NULL) acts as malloc; realloc to a smaller size keeps the prefix. */
    char *r = realloc(NULL, 100);
    CHECK(r != NULL);
    memcpy(r, "abcdefghij", 10);
    r = realloc(r, 5 << 20);
    CHECK(r != NULL && memcmp(r, "abcdefghij", 10) == 0);
    r = realloc(r, 4);
    CHECK(r != NULL && memcmp(r, "abcd", 4) == 0);
    free(r);

    printf("mallocs=%llu callocs=%llu reallocs=%llu frees=%llu\n", mallocs, callocs, reallocs,
           frees);
    printf("bytes requested=%llu blocks >= 1 MiB=%llu\n", bytes, big);
    printf("content checksum=%016llx\n", sum);
    printf("large block sum=%llu\n", big_sum);
    printf("alignment ok: %s\n", yesno(aligned));
    printf("malloc_stress done\n");
    CHECK(fflush(stdout) == 0);
    return 0;
}
