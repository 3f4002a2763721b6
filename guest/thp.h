/* Helpers for the transparent-huge-page guests: 2 MiB-aligned anonymous mappings and the
 * smaps fields of the VMAs inside a range, summed (addresses are never printed). */
#ifndef EMU_GUEST_THP_H
#define EMU_GUEST_THP_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define PAGE 4096UL
#define HUGE (2UL << 20)

/* `len` bytes at a 2 MiB boundary, private anonymous, read-write, with a PROT_NONE guard
 * page on each side so that it never merges with another mapping. */
static inline char* thp_map_aligned(size_t len) {
  size_t total = len + 2 * HUGE;
  char* raw = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    printf("mmap failed: %s\n", errname(errno));
    exit(1);
  }
  char* p = (char*)(((uintptr_t)raw + PAGE + HUGE - 1) & ~(HUGE - 1));
  mprotect(p - PAGE, PAGE, PROT_NONE);
  mprotect(p + len, PAGE, PROT_NONE);
  if (p - PAGE > raw) munmap(raw, (size_t)(p - PAGE - raw));
  if (p + len + PAGE < raw + total)
    munmap(p + len + PAGE, (size_t)(raw + total - (p + len + PAGE)));
  return p;
}

/* The sum of smaps `field` (kB) over the VMAs that overlap [lo, hi); -1 if the file cannot
 * be read. THPeligible is summed the same way (a count of eligible VMAs). */
static inline long thp_smaps_sum(const char* lo, const char* hi, const char* field) {
  FILE* f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  int inside = 0;
  long sum = 0;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f)) {
    unsigned long start, end;
    if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      inside = start < (uintptr_t)hi && end > (uintptr_t)lo;
      continue;
    }
    if (inside && strncmp(line, field, n) == 0 && line[n] == ':') sum += atol(line + n + 1);
  }
  fclose(f);
  return sum;
}

static inline void thp_show(const char* what, const char* lo, const char* hi) {
  printf("%-44s AnonHugePages %5ld kB  Rss %5ld kB\n", what, thp_smaps_sum(lo, hi, "AnonHugePages"),
         thp_smaps_sum(lo, hi, "Rss"));
}

static inline void thp_fill(char* p, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i += PAGE) p[i] = (char)(seed + i / PAGE);
}

static inline int thp_check(const char* p, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i += PAGE)
    if (p[i] != (char)(seed + i / PAGE)) return 0;
  return 1;
}

#endif
