/* time_random: clocks and randomness, printed as booleans (values differ on every run).
 * Also uname(): sysname and machine are printed; the release only as "starts with 6.". */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static long long ns_of(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

static int clock_ok(clockid_t id)
{
    struct timespec t;
    return clock_gettime(id, &t) == 0 && t.tv_nsec >= 0 && t.tv_nsec < 1000000000L;
}

static int not_all_zero(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 1;
    return 0;
}

int main(void)
{
    struct timespec a, b;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    int monotonic = 1;
    for (int i = 0; i < 1000; i++) {
        CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
        monotonic &= ns_of(&b) >= ns_of(&a);
        a = b;
    }
    printf("CLOCK_MONOTONIC works: %s\n", yesno(clock_ok(CLOCK_MONOTONIC)));
    printf("CLOCK_MONOTONIC never goes back over 1000 reads: %s\n", yesno(monotonic));
    printf("CLOCK_REALTIME works: %s\n", yesno(clock_ok(CLOCK_REALTIME)));
    printf("CLOCK_BOOTTIME works: %s\n", yesno(clock_ok(CLOCK_BOOTTIME)));
    printf("CLOCK_MONOTONIC_COARSE works: %s\n", yesno(clock_ok(CLOCK_MONOTONIC_COARSE)));
    printf("CLOCK_PROCESS_CPUTIME_ID works: %s\n", yesno(clock_ok(CLOCK_PROCESS_CPUTIME_ID)));
    struct timespec bad;
    errno = 0;
    int r = clock_gettime((clockid_t)12345, &bad);
    printf("clock_gettime(bad clock): %s\n", result_str(r, errno));

    struct timespec res;
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0);
    printf("CLOCK_MONOTONIC resolution <= 1 ms: %s\n", yesno(res.tv_sec == 0 && res.tv_nsec <= 1000000));

    struct timespec rt;
    CHECK(clock_gettime(CLOCK_REALTIME, &rt) == 0);
    printf("CLOCK_REALTIME after 2020-01-01: %s\n", yesno(rt.tv_sec > 1577836800));
    struct timeval tv;
    CHECK(gettimeofday(&tv, NULL) == 0);
    printf("gettimeofday within 10 s of CLOCK_REALTIME: %s\n",
           yesno(tv.tv_sec - rt.tv_sec < 10 && rt.tv_sec - tv.tv_sec < 10));
    time_t now = time(NULL);
    CHECK(now != (time_t)-1);
    printf("time() within 10 s of CLOCK_REALTIME: %s\n", yesno(now - rt.tv_sec < 10 && rt.tv_sec - now < 10));

    /* Sleeping 2 ms advances the monotonic clock by at least 2 ms. */
    struct timespec before, after, nap = {0, 2000000};
    CHECK(clock_gettime(CLOCK_MONOTONIC, &before) == 0);
    CHECK(nanosleep(&nap, NULL) == 0);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &after) == 0);
    printf("nanosleep(2 ms) advances CLOCK_MONOTONIC by >= 2 ms: %s\n",
           yesno(ns_of(&after) - ns_of(&before) >= 2000000));

    /* getrandom returns the requested count (<= 256 bytes is never short). */
    unsigned char r1[256], r2[256];
    memset(r1, 0, sizeof r1);
    memset(r2, 0, sizeof r2);
    ssize_t n1 = getrandom(r1, 32, 0);
    ssize_t n2 = getrandom(r2, sizeof r2, GRND_NONBLOCK);
    printf("getrandom(32): returned %ld\n", (long)n1);
    printf("getrandom(256, GRND_NONBLOCK): returned %ld\n", (long)n2);
    printf("random bytes not all zero: %s\n", yesno(not_all_zero(r1, 32) && not_all_zero(r2, 256)));
    printf("two draws differ: %s\n", yesno(memcmp(r1, r2, 32) != 0));
    errno = 0;
    long bad_flags = syscall(SYS_getrandom, r1, 16, 0x4000);
    printf("getrandom(bad flags): %s\n", result_str(bad_flags, errno));
    printf("getrandom(0 bytes): %ld\n", (long)getrandom(r1, 0, 0));

    struct utsname u;
    CHECK(uname(&u) == 0);
    printf("uname sysname: %s\n", u.sysname);
    printf("uname machine: %s\n", u.machine);
    printf("uname release starts with \"6.\": %s\n", yesno(strncmp(u.release, "6.", 2) == 0));

    printf("time_random done\n");
    CHECK(fflush(stdout) == 0);
    return 0;
}
