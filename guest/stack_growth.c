/* stack_growth: grows the main thread's stack to about 4 MiB, first by recursion with 4 KiB
 * frames, then with alloca, touching every page, and prints checksums. */
#include <alloca.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define FRAME 4000
#define DEPTH 768 /* about 3 MiB of frames */

static uint64_t big_alloca(size_t bytes);

/* At the bottom of the recursion, alloca `bottom` more bytes. */
static __attribute__((noinline)) uint64_t recurse(int depth, uint64_t seed, size_t bottom)
{
    volatile unsigned char frame[FRAME];
    for (int i = 0; i < FRAME; i += 256)
        frame[i] = (unsigned char)(seed + i + depth);
    uint64_t below = depth > 0   ? recurse(depth - 1, seed * 6364136223846793005ULL + 1, bottom)
                     : bottom ? big_alloca(bottom)
                              : 0;
    uint64_t sum = below;
    for (int i = 0; i < FRAME; i += 256)
        sum = sum * 31 + frame[i];
    return sum;
}

static __attribute__((noinline)) uint64_t big_alloca(size_t bytes)
{
    volatile unsigned char *p = alloca(bytes);
    for (size_t i = 0; i < bytes; i += 4096)
        p[i] = (unsigned char)(i >> 12);
    uint64_t sum = 0;
    for (size_t i = 0; i < bytes; i += 4096)
        sum += p[i];
    return sum;
}

int main(void)
{
    uint64_t a = recurse(DEPTH, 12345, 0);
    printf("recursion depth %d with %d-byte frames: checksum %016llx\n", DEPTH, FRAME,
           (unsigned long long)a);
    uint64_t b = big_alloca(1u << 20);
    printf("alloca 1 MiB: sum %llu\n", (unsigned long long)b);
    /* Grow deeper than before: recursion, then 1 MiB of alloca at the bottom (~4 MiB). */
    uint64_t c = recurse(DEPTH, 777, 1u << 20);
    printf("recursion plus alloca at the bottom: checksum %016llx\n", (unsigned long long)c);
    printf("stack_growth done\n");
    CHECK(fflush(stdout) == 0);
    return 0;
}
