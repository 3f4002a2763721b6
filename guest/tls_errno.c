/* tls_errno: thread-local storage of the main thread (initialised .tdata, zeroed .tbss,
 * over-aligned TLS, __thread arrays) and errno values set by failing system calls.
 * Also checks the x86-64 TLS ABI: %fs:0 holds the thread pointer itself, and
 * arch_prctl(ARCH_GET_FS) reports the same value. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#ifndef ARCH_GET_FS
#define ARCH_GET_FS 0x1003
#endif

__thread int tls_counter = 42;                    /* .tdata */
__thread long tls_array[256];                     /* .tbss */
__thread char tls_text[32] = "thread-local text"; /* .tdata */
__thread _Alignas(64) unsigned char tls_aligned[100];
__thread struct {
    int a;
    double b;
    char c[5];
} tls_struct = {7, 2.5, "abcd"};
static __thread unsigned long long tls_static_sum;

static __attribute__((noinline)) void bump(int n)
{
    for (int i = 0; i < n; i++) {
        tls_counter++;
        tls_array[i % 256] += i;
        tls_static_sum += (unsigned long long)i * i;
    }
}

static void show_errno(const char *what, long ret)
{
    int e = errno;
    printf("%s: ret=%ld errno=%s\n", what, ret, errname(e));
}

int main(void)
{
    /* Initial values. */
    printf("tls_counter initial: %d\n", tls_counter);
    long zero_sum = 0;
    for (int i = 0; i < 256; i++)
        zero_sum |= tls_array[i];
    printf("tls_array zero-initialised: %s\n", yesno(zero_sum == 0));
    printf("tls_text: \"%s\"\n", tls_text);
    printf("tls_struct: a=%d b=%.2f c=\"%s\"\n", tls_struct.a, tls_struct.b, tls_struct.c);
    printf("tls_aligned 64-byte aligned: %s\n", yesno(((uintptr_t)tls_aligned & 63) == 0));
    int aligned_zero = 1;
    for (size_t i = 0; i < sizeof tls_aligned; i++)
        aligned_zero &= tls_aligned[i] == 0;
    printf("tls_aligned zero-initialised: %s\n", yesno(aligned_zero));

    /* Updates. */
    bump(1000);
    long sum = 0;
    for (int i = 0; i < 256; i++)
        sum += tls_array[i];
    strcpy(tls_text, "changed");
    tls_struct.a *= 6;
    memset(tls_aligned, 0x5a, sizeof tls_aligned);
    printf("tls_counter after bump: %d\n", tls_counter);
    printf("tls_array sum: %ld\n", sum);
    printf("tls_static_sum: %llu\n", tls_static_sum);
    printf("tls_text now: \"%s\", tls_struct.a now %d, tls_aligned[99]=0x%02x\n", tls_text,
           tls_struct.a, tls_aligned[99]);

    /* Thread pointer ABI. */
    uintptr_t fs0;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(fs0));
    uintptr_t fsbase = 0;
    long r = syscall(SYS_arch_prctl, ARCH_GET_FS, &fsbase);
    printf("arch_prctl(ARCH_GET_FS): %s\n", result_str(r, errno));
    printf("%%fs:0 == fs base: %s\n", yesno(fs0 == fsbase));
    uintptr_t counter_addr = (uintptr_t)&tls_counter;
    printf("TLS variables below the thread pointer: %s\n", yesno(counter_addr < fsbase));

    /* errno from failing calls; success does not need to reset it, so set it first. */
    char buf[4];
    errno = 0;
    show_errno("close(-1)", close(-1));
    errno = 0;
    show_errno("read(12345)", read(12345, buf, sizeof buf));
    errno = 0;
    show_errno("open(\"/nonexistent/x\")", open("/nonexistent/x", O_RDONLY));
    errno = 0;
    show_errno("open(\"/dev/null/x\")", open("/dev/null/x", O_RDONLY));
    errno = 0;
    show_errno("munmap(1, 4096)", munmap((void *)1, 4096));
    errno = 0;
    show_errno("chdir(\"/nonexistent\")", chdir("/nonexistent"));
    errno = 0;
    show_errno("syscall(100000)", syscall(100000));
    errno = 0;
    show_errno("read(0, NULL...) on /dev/null", ({
                   int fd = open("/dev/null", O_RDONLY);
                   CHECK(fd >= 0);
                   long rr = read(fd, NULL, 0);
                   CHECK(close(fd) == 0);
                   rr;
               }));
    errno = 0;
    show_errno("pipe(NULL)", syscall(SYS_pipe, NULL));
    errno = 0;
    show_errno("getcwd(buf, 1)", getcwd(buf, 1) == NULL ? -1 : 0);
    errno = 0;
    show_errno("fstat(-5)", ({ struct stat st; fstat(-5, &st); }));
    errno = EDOM;
    show_errno("errno survives a successful getpid", getpid() > 0 ? 0 : -1);

    printf("tls_errno done\n");
    CHECK(fflush(stdout) == 0);
    return 0;
}
