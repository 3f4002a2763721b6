/* segv: writes through a NULL pointer and must die of SIGSEGV (status 139 from a shell). */
#include <stdio.h>

#include "common.h"

int main(void)
{
    /* Volatile pointer and pointee: the compiler can neither drop the store nor turn it
     * into a trap instruction (ud2 would raise SIGILL instead). */
    volatile int *volatile p = NULL;
    CHECK(printf("about to write through a NULL pointer\n") > 0);
    CHECK(fflush(stdout) == 0);
    *p = 42;
    printf("still alive: the write did not fault\n");
    return 0;
}
