/* crash MODE: dies the way MODE says, to compare how emu reports a fatal signal with how
 * the host kernel delivers it. Modes: div ud2 int3 abort ro exec stack kernel noncanon
 * jmp0 hlt cli in cr3 killself (SIGKILL to its own pid). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char** argv) {
  if (argc < 2) return 2;
  volatile int zero = 0;
  if (!strcmp(argv[1], "div")) return 10 / zero;
  if (!strcmp(argv[1], "ud2")) __asm__ volatile("ud2");
  if (!strcmp(argv[1], "int3")) __asm__ volatile("int3");
  if (!strcmp(argv[1], "abort")) abort();
  if (!strcmp(argv[1], "ro")) { char* p = mmap(0, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); p[5] = 1; }
  if (!strcmp(argv[1], "exec")) { char* p = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); p[0]=0xc3; ((void(*)(void))p)(); }
  if (!strcmp(argv[1], "stack")) { char buf[1<<20]; static volatile int d; d++; buf[d]=1; if (d < 100) return main(argc, argv) + buf[d]; }
  if (!strcmp(argv[1], "kernel")) { *(volatile int*)0xffffffff81000000 = 1; }
  if (!strcmp(argv[1], "noncanon")) { *(volatile int*)0x0000900000000000 = 1; }
  if (!strcmp(argv[1], "jmp0")) { ((void(*)(void))0)(); }
  if (!strcmp(argv[1], "hlt")) __asm__ volatile("hlt");
  if (!strcmp(argv[1], "cli")) __asm__ volatile("cli");
  if (!strcmp(argv[1], "in")) __asm__ volatile("inb $0x60, %%al" ::: "al");
  if (!strcmp(argv[1], "cr3")) { unsigned long x = 0; __asm__ volatile("mov %0, %%cr3" :: "r"(x)); }
  if (!strcmp(argv[1], "killself")) kill(getpid(), SIGKILL);
  return 0;
}
