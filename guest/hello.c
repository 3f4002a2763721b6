/* hello: prints a greeting and its arguments; exits 0.
 * The greeting goes out through write(2) directly, so `emu --strace hello` shows a
 * `write(1, "hello...` line with either libc (musl's stdio would use writev). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
    static const char greeting[] = "hello from the guest\n";
    CHECK(write(1, greeting, strlen(greeting)) == (ssize_t)strlen(greeting));
    CHECK(printf("argc=%d\n", argc) > 0);
    for (int i = 1; i < argc; i++)
        CHECK(printf("argv[%d]=\"%s\"\n", i, argv[i]) > 0);
    CHECK(fflush(stdout) == 0);
    return 0;
}
