/* mm_fuzz: random arguments to the memory calls (mmap, munmap, mprotect, mremap, madvise,
 * mincore, brk, mlock, mlock2, munlock, mlockall, munlockall, msync) for a fixed list of
 * seeds, with addresses of every kind: NULL, unmapped, kernel half, non-canonical,
 * misaligned, inside a scratch arena, and huge. Calls that can remove or change memory
 * only ever reach the arena or ranges where nothing of the program lives, so the program
 * survives to print one line per seed. The test is that the emulator survives without a
 * sanitizer report; the native run is not compared (kernels differ in what they accept).
 * It writes with write(2) only: the heap is fuzzed through brk, so there is no malloc.
 * An argument is written to /sys/kernel/mm/transparent_hugepage/shmem_enabled first (under
 * emu only: a host's setting is not a test's to change), so that shared anonymous
 * mappings come in as shmem huge pages too. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL
#define ARENA_SIZE (64UL << 20)
#define ARENA_BASE 0x100000000000UL /* 16 TiB: far from the program, stack and mmap area */

static uint64_t state;
static uint64_t rnd(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

/* An address of a random kind. Destructive calls get only the safe kinds. */
static uintptr_t any_addr(int destructive) {
  switch (rnd() % (destructive ? 6 : 9)) {
    case 0:
      return 0;
    case 1:
      return 0x300000000000UL + (rnd() % 64) * PAGE; /* unmapped */
    case 2:
      return 0xffff800000000000UL + (rnd() & ~(PAGE - 1) & 0x7fffffffffffUL);
    case 3:
      return 0x0000800000000000UL + (rnd() % 1024) * PAGE; /* non-canonical */
    case 4:
      return ARENA_BASE + (rnd() % ARENA_SIZE) + 1 + rnd() % (PAGE - 1); /* misaligned */
    case 5:
      return ARENA_BASE + (rnd() % (ARENA_SIZE / PAGE)) * PAGE;
    case 6:
      return rnd(); /* anything */
    case 7:
      return ~0UL - (rnd() & 0xffff);
    default:
      return 0x7ffffffff000UL - (rnd() % 16) * PAGE; /* just below TASK_SIZE */
  }
}

/* A length of a random kind: never one that could reach the program from a safe address. */
static uintptr_t any_len(void) {
  switch (rnd() % 7) {
    case 0:
      return 0;
    case 1:
      return 1 + rnd() % (4 * PAGE);
    case 2:
      return (1 + rnd() % 256) * PAGE;
    case 3:
      return ~0UL - (rnd() % (2 * PAGE));
    case 4:
      return (1UL << 63) + (rnd() % 16) * PAGE;
    case 5:
      return 0xffff800000000000UL + (rnd() % 16) * PAGE;
    default:
      return PAGE;
  }
}

static void say(const char* s) {
  (void)!write(1, s, strlen(s));
}

static void say_num(const char* label, unsigned long n) {
  char buf[32];
  int i = sizeof buf;
  buf[--i] = 0;
  do {
    buf[--i] = (char)('0' + n % 10);
    n /= 10;
  } while (n && i > 0);
  say(label);
  say(buf + i);
}

int main(int argc, char** argv) {
  if (argc > 1) {
    const long fd =
        syscall(SYS_open, "/sys/kernel/mm/transparent_hugepage/shmem_enabled", O_WRONLY);
    if (fd < 0 || syscall(SYS_write, fd, argv[1], strlen(argv[1])) != (long)strlen(argv[1])) {
      say("cannot set shmem_enabled\n");
      return 1;
    }
    syscall(SYS_close, fd);
  }
  static const uint64_t seeds[] = {1, 2, 3, 42, 1234, 99991, 0xdeadbeef, 0x5eed5eed};
  const long brk0 = syscall(SYS_brk, 0);
  for (unsigned s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
    state = seeds[s] * 0x9e3779b97f4a7c15ULL | 1;
    /* The arena: mapped fresh for every seed. */
    syscall(SYS_munmap, ARENA_BASE, ARENA_SIZE);
    if (syscall(SYS_mmap, ARENA_BASE, ARENA_SIZE, 3, 0x32 /* PRIVATE|ANON|FIXED */, -1, 0) !=
        (long)ARENA_BASE) {
      say("arena mmap failed\n");
      return 1;
    }
    unsigned long failures = 0;
    for (int i = 0; i < 3000; i++) {
      long r = 0;
      const uintptr_t flags = rnd();
      switch (rnd() % 14) {
        case 0: /* mmap: fixed placement only at safe addresses */
          r = syscall(SYS_mmap, any_addr(flags & 0x10), any_len(), rnd() % 8,
                      (flags & 0x1fffff) | ((flags >> 32) & 3), -1 + (int)(rnd() % 3),
                      (rnd() % 4) * PAGE + (rnd() % 2));
          break;
        case 1:
          r = syscall(SYS_munmap, any_addr(1), any_len());
          break;
        case 2: {
          /* PROT_GROWSDOWN with a huge length would reach the stack from a hole. */
          const uintptr_t len = any_len();
          const uintptr_t grows = len < (1UL << 47) ? (flags & 0x3000000) : 0;
          r = syscall(SYS_mprotect, any_addr(1), len, rnd() % 8 | (flags & 8) | grows);
          break;
        }
        case 3:
          r = syscall(SYS_mremap, any_addr(1), any_len(), any_len(), flags % 8, any_addr(1));
          break;
        case 4: {
          /* madvise skips holes: a huge length that does not wrap would reach the
           * stack, so lengths are small or wrap (and are refused). */
          const int advice = (int)(rnd() % 27);
          const uintptr_t len = (rnd() % 4) ? any_len() % (1UL << 20) : ~0UL - rnd() % PAGE;
          r = syscall(SYS_madvise, any_addr(1), len, advice);
          break;
        }
        case 5:
          r = syscall(SYS_mincore, any_addr(0), any_len() & 0xfffffff,
                      (rnd() % 3) ? (void*)(ARENA_BASE + rnd() % ARENA_SIZE) : (void*)any_addr(1));
          break;
        case 6: { /* brk: growth within 16 MiB, or values that must be refused */
          static const uintptr_t bad[] = {0,
                                          1,
                                          0x10000,
                                          ~0UL - 99,
                                          0x0000800000000000UL,
                                          0xffff800000000000UL,
                                          0x7ffffffff000UL};
          r = syscall(SYS_brk, (rnd() % 2) ? brk0 + rnd() % (16 << 20)
                                           : bad[rnd() % (sizeof bad / sizeof bad[0])]);
          break;
        }
        case 7:
          r = syscall(SYS_mlock, any_addr(0), any_len());
          break;
        case 8:
          r = syscall(SYS_mlock2, any_addr(0), any_len(), flags % 4);
          break;
        case 9:
          r = syscall(SYS_munlock, any_addr(0), any_len());
          break;
        case 10: /* MCL_CURRENT only with MCL_ONFAULT: populating every leaked mapping
                  * would only measure RAM */
          r = syscall(SYS_mlockall, (flags % 9) | ((flags & 1) ? 4 : 0));
          break;
        case 11:
          r = syscall(SYS_munlockall);
          break;
        case 12:
          r = syscall(SYS_msync, any_addr(0), any_len(), flags % 8);
          break;
        default: /* touch the arena, as a program would */
          if (syscall(SYS_mincore, ARENA_BASE, PAGE, ARENA_BASE + PAGE) == 0) r = 0;
          break;
      }
      if (r == -1) failures++;
    }
    syscall(SYS_munlockall);
    syscall(SYS_brk, brk0);
    say_num("seed ", s);
    say_num(" failures>0 ", failures > 0);
    say("\n");
  }
  say("survived\n");
  return 0;
}
