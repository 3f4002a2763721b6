/* args_env: argc/argv, selected environment variables and the auxiliary vector.
 * Auxv values are printed as booleans, never as raw addresses.
 * Environment variables printed: EMU_TEST_A, EMU_TEST_B, EMU_TEST_UNSET. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "common.h"

extern char _start[];

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        if (i == 0) /* argv[0] is a path that differs between runs: print the basename */
            printf("argv[0] basename=\"%s\"\n",
                   strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
        else
            printf("argv[%d]=\"%s\"\n", i, argv[i]);
    }
    CHECK(argv[argc] == NULL);
    printf("argv[argc] is NULL: yes\n");

    static const char *const vars[] = {"EMU_TEST_A", "EMU_TEST_B", "EMU_TEST_UNSET"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v)
            printf("env %s=\"%s\"\n", vars[i], v);
        else
            printf("env %s is unset\n", vars[i]);
    }

    unsigned long pagesz = getauxval(AT_PAGESZ);
    printf("AT_PAGESZ == 4096: %s\n", yesno(pagesz == 4096));
    printf("sysconf(_SC_PAGESIZE) == 4096: %s\n", yesno(sysconf(_SC_PAGESIZE) == 4096));

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    printf("AT_RANDOM non-null: %s\n", yesno(rnd != NULL));
    if (rnd) {
        int nonzero = 0;
        for (int i = 0; i < 16; i++)
            nonzero |= rnd[i];
        printf("AT_RANDOM 16 bytes not all zero: %s\n", yesno(nonzero != 0));
    }

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN non-null: %s\n", yesno(execfn != NULL));
    if (execfn)
        printf("AT_EXECFN equals argv[0]: %s\n", yesno(strcmp(execfn, argv[0]) == 0));

    const Elf64_Phdr *phdr = (const Elf64_Phdr *)getauxval(AT_PHDR);
    unsigned long phnum = getauxval(AT_PHNUM);
    printf("AT_PHDR non-null: %s\n", yesno(phdr != NULL));
    printf("AT_PHENT == sizeof(Elf64_Phdr): %s\n", yesno(getauxval(AT_PHENT) == sizeof(Elf64_Phdr)));
    printf("AT_PHNUM > 0: %s\n", yesno(phnum > 0));
    if (phdr && phnum > 0 && phnum < 64) {
        int loads = 0;
        for (unsigned long i = 0; i < phnum; i++)
            loads += phdr[i].p_type == PT_LOAD;
        printf("program headers include PT_LOAD: %s\n", yesno(loads > 0));
    }

    unsigned long entry = getauxval(AT_ENTRY);
    printf("AT_ENTRY non-null: %s\n", yesno(entry != 0));
    printf("AT_ENTRY == &_start: %s\n", yesno(entry == (unsigned long)(uintptr_t)_start));

    printf("AT_UID == getuid(): %s\n", yesno(getauxval(AT_UID) == (unsigned long)getuid()));
    printf("AT_EUID == geteuid(): %s\n", yesno(getauxval(AT_EUID) == (unsigned long)geteuid()));
    printf("AT_GID == getgid(): %s\n", yesno(getauxval(AT_GID) == (unsigned long)getgid()));
    printf("AT_EGID == getegid(): %s\n", yesno(getauxval(AT_EGID) == (unsigned long)getegid()));
    printf("AT_SECURE == 0: %s\n", yesno(getauxval(AT_SECURE) == 0));
    printf("AT_CLKTCK == 100: %s\n", yesno(getauxval(AT_CLKTCK) == 100));
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("AT_PLATFORM: %s\n", platform ? platform : "(none)");

    CHECK(fflush(stdout) == 0);
    return 0;
}
