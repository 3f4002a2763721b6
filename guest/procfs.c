/* procfs: reads /proc and /sys the way allocators, runtimes and busybox do, and prints what
 * must agree between a Linux host and emu: the maps line of a mapping this program made
 * (perms, offset, size, file identity), statm and smaps values for a known number of
 * touched pages, pagemap bits of touched, untouched and discarded pages, comm after prctl,
 * cmdline, environ, the signal masks in status, fdinfo, the links, and the format of the
 * machine-wide files. Never an address, a time or a host-specific number. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common.h"

#define PAGE 4096UL

static char text[1 << 16];

/* The whole file into `text` with raw read()s (no stdio buffer is allocated, so memory
 * measurements around it stay exact); its length, or -1. */
static long slurp(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  long total = 0;
  for (;;) {
    ssize_t n = read(fd, text + total, sizeof text - 1 - (size_t)total);
    if (n <= 0) break;
    total += n;
  }
  close(fd);
  text[total] = 0;
  return total;
}

/* The line of `text` that starts with `prefix`, or NULL. */
static const char* line_with(const char* prefix) {
  size_t n = strlen(prefix);
  for (const char* p = text; *p;) {
    if (strncmp(p, prefix, n) == 0) return p;
    const char* nl = strchr(p, '\n');
    if (!nl) break;
    p = nl + 1;
  }
  return NULL;
}

static long field_kb(const char* prefix) {
  const char* l = line_with(prefix);
  return l ? strtol(l + strlen(prefix), NULL, 10) : -1;
}

/* Prints the /proc/self/maps line for [start, end): size, perms, offset, and for a file the
 * match of its device and inode with stat(); the name for an anonymous one. */
static void show_mapping(const char* what, void* start, size_t len, const struct stat* file) {
  CHECK(slurp("/proc/self/maps") > 0);
  char head[64];
  snprintf(head, sizeof head, "%08lx-%08lx ", (unsigned long)start, (unsigned long)start + len);
  const char* l = line_with(head);
  if (!l) {
    printf("%s: no maps line\n", what);
    return;
  }
  char perms[8];
  unsigned long long offset;
  unsigned major, minor;
  unsigned long inode;
  int used = 0;
  CHECK(sscanf(l + strlen(head), "%4s %llx %x:%x %lu%n", perms, &offset, &major, &minor, &inode,
               &used) == 5);
  const char* name = l + strlen(head) + used;
  while (*name == ' ') name++;
  int name_len = (int)(strchr(name, '\n') - name);
  printf("%s: %zu pages %s offset %llx", what, len / PAGE, perms, offset);
  if (file) {
    int same = makedev(major, minor) == file->st_dev && inode == file->st_ino;
    printf(" file identity matches stat: %s\n", yesno(same));
  } else {
    printf(" dev %02x:%02x inode %lu name '%.*s'\n", major, minor, inode, name_len, name);
  }
}

static void maps_test(const char* self) {
  unsigned char* p =
      mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  show_mapping("anon rw", p, 3 * PAGE, NULL);
  CHECK(mprotect(p + PAGE, PAGE, PROT_READ) == 0);
  show_mapping("split low", p, PAGE, NULL);
  show_mapping("split middle", p + PAGE, PAGE, NULL);
  show_mapping("split high", p + 2 * PAGE, PAGE, NULL);
  munmap(p, 3 * PAGE);

  int fd = open(self, O_RDONLY);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  void* f = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
  CHECK(f != MAP_FAILED);
  show_mapping("file", f, 2 * PAGE, &st);
  munmap(f, 2 * PAGE);
  close(fd);
}

/* statm's resident pages. */
static long resident_pages(void) {
  CHECK(slurp("/proc/self/statm") > 0);
  long size, resident;
  CHECK(sscanf(text, "%ld %ld", &size, &resident) == 2);
  return resident;
}

static long size_pages(void) {
  CHECK(slurp("/proc/self/statm") > 0);
  long size;
  CHECK(sscanf(text, "%ld", &size) == 1);
  return size;
}

/* Reads /proc/self/smaps into text, from the header of the VMA at p on. */
static void smaps_at(void* p) {
  CHECK(slurp("/proc/self/smaps") > 0);
  char head[32];
  snprintf(head, sizeof head, "%08lx-", (unsigned long)p);
  const char* l = line_with(head);
  CHECK(l != NULL);
  memmove(text, l, strlen(l) + 1);
}

static void statm_smaps_test(void) {
  const size_t pages = 64;
  long size0 = size_pages();
  unsigned char* p =
      mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
  long size1 = size_pages();
  long before = resident_pages();
  for (size_t i = 0; i < pages; i++) p[i * PAGE] = 1;
  long written = resident_pages();
  printf("statm: size +%ld pages, written +%ld resident\n", size1 - size0, written - before);

  /* smaps of the written mapping, for the first VMA at p. */
  smaps_at(p);
  /* Cut at the next VMA header (a line that starts with a hex digit after VmFlags). */
  char* flags = strstr(text, "\nVmFlags:");
  CHECK(flags != NULL);
  char* end = strchr(flags + 1, '\n');
  if (end) end[1] = 0;
  printf("smaps: Size %ld Rss %ld Pss %ld Private_Dirty %ld Anonymous %ld Swap %ld kB\n",
         field_kb("Size:"), field_kb("Rss:"), field_kb("Pss:"), field_kb("Private_Dirty:"),
         field_kb("Anonymous:"), field_kb("Swap:"));
  const char* vmflags = line_with("VmFlags:");
  printf("smaps: VmFlags has rd wr: %s, nh: %s\n",
         yesno(strstr(vmflags, " rd ") && strstr(vmflags, " wr ")),
         yesno(strstr(vmflags, " nh ") != NULL));

  CHECK(slurp("/proc/self/smaps_rollup") > 0);
  const char* nl = strchr(text, '\n');
  printf("smaps_rollup: header ends in [rollup]: %s, has Pss_Anon: %s\n",
         yesno(nl && nl - text > 8 && strncmp(nl - 8, "[rollup]", 8) == 0),
         yesno(line_with("Pss_Anon:") != NULL));
  munmap(p, pages * PAGE);
}

static uint64_t pagemap_entry(int fd, void* addr) {
  uint64_t e = 0;
  off_t off = (off_t)((uintptr_t)addr / PAGE * 8);
  CHECK(pread(fd, &e, 8, off) == 8);
  return e;
}

static void pagemap_test(void) {
  unsigned char* p =
      mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  p[0] = 1;
  p[2 * PAGE] = 1;
  int fd = open("/proc/self/pagemap", O_RDONLY);
  CHECK(fd >= 0);
  const char* names[] = {"written", "untouched", "written", "untouched"};
  for (int i = 0; i < 4; i++) {
    uint64_t e = pagemap_entry(fd, p + i * PAGE);
    printf("pagemap %s: present %d swapped %d file %d exclusive %d\n", names[i], (int)(e >> 63 & 1),
           (int)(e >> 62 & 1), (int)(e >> 61 & 1), (int)(e >> 56 & 1));
  }
  CHECK(madvise(p + 2 * PAGE, PAGE, MADV_DONTNEED) == 0);
  uint64_t e = pagemap_entry(fd, p + 2 * PAGE);
  printf("pagemap after DONTNEED: present %d\n", (int)(e >> 63 & 1));
  uint64_t bad = 0;
  errno = 0;
  long r = pread(fd, &bad, 4, 0);
  printf("pagemap read of 4 bytes: %s\n", result_str(r, errno));
  close(fd);
  munmap(p, 4 * PAGE);
}

/* Referenced of the VMA at p, from smaps. */
static long referenced_kb(void* p) {
  smaps_at(p);
  return field_kb("Referenced:");
}

static void clear_refs_test(void) {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  CHECK(fd >= 0);
  const char* inputs[] = {"0",           "6", "-1",   "x",  "1x", "0x1",
                          "99999999999", "1", " 2\n", "+3", "5",  "4"};
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    errno = 0;
    long r = write(fd, inputs[i], strlen(inputs[i]));
    printf("clear_refs write '%s': %s\n", inputs[i],
           r == (long)strlen(inputs[i]) ? "ok" : result_str(r, errno));
  }
  close(fd);
  fd = open("/proc/self/clear_refs", O_RDONLY);
  char c;
  errno = 0;
  long r = fd >= 0 ? read(fd, &c, 1) : -1;
  printf("clear_refs read: %s\n", result_str(r, errno));
  if (fd >= 0) close(fd);

  /* Clearing the young bits: a written page is referenced, and is not after "1". */
  const size_t pages = 8;
  unsigned char* p =
      mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
  for (size_t i = 0; i < pages; i++) p[i * PAGE] = 1;
  printf("referenced after writing: %ld kB\n", referenced_kb(p));
  fd = open("/proc/self/clear_refs", O_WRONLY);
  CHECK(fd >= 0);
  CHECK(write(fd, "2", 1) == 1);
  printf("referenced after clear_refs 2: %ld kB\n", referenced_kb(p));
  close(fd);
  munmap(p, pages * PAGE);
}

static void task_test(int argc, char** argv) {
  CHECK(prctl(PR_SET_NAME, "procfs-test", 0, 0, 0) == 0);
  CHECK(slurp("/proc/self/comm") > 0);
  printf("comm: %s", text);
  CHECK(slurp("/proc/self/status") > 0);
  const char* name = line_with("Name:");
  printf("status %.*s", (int)(strchr(name, '\n') - name + 1), name);
  printf("status has State, Tgid, Pid, PPid, VmRSS, VmSize, Threads: %s\n",
         yesno(line_with("State:\tR (running)") && line_with("Tgid:") && line_with("Pid:") &&
               line_with("PPid:") && line_with("VmRSS:") && line_with("VmSize:") &&
               line_with("Threads:\t1\n")));

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
  signal(SIGUSR2, SIG_IGN);
  CHECK(slurp("/proc/self/status") > 0);
  const char* blk = line_with("SigBlk:\t");
  const char* ign = line_with("SigIgn:\t");
  unsigned long long blocked = strtoull(blk + 8, NULL, 16);
  unsigned long long ignored = strtoull(ign + 8, NULL, 16);
  printf("status SigBlk USR1 %d, SigIgn USR2 %d\n", (int)(blocked >> (SIGUSR1 - 1) & 1),
         (int)(ignored >> (SIGUSR2 - 1) & 1));

  CHECK(slurp("/proc/self/stat") > 0);
  int pid = 0;
  char comm[32];
  char state = 0;
  CHECK(sscanf(text, "%d (%31[^)]) %c", &pid, comm, &state) == 3);
  printf("stat: pid matches %s, comm %s, state %c\n", yesno(pid == getpid()), comm, state);

  long n = slurp("/proc/self/cmdline");
  printf("cmdline:");
  for (long i = 0, arg = 0; i < n; i += (long)strlen(text + i) + 1, arg++)
    printf(" [%s]", arg == 0 ? "argv0" : text + i);
  printf(" (%d args)\n", argc);
  (void)argv;
  n = slurp("/proc/self/environ");
  int found = 0;
  for (long i = 0; i < n; i += (long)strlen(text + i) + 1)
    found |= strcmp(text + i, "EMU_TEST_A=alpha") == 0;
  printf("environ has EMU_TEST_A=alpha: %s\n", yesno(found));

  struct rlimit rl;
  CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
  CHECK(slurp("/proc/self/limits") > 0);
  const char* open_files = line_with("Max open files");
  char expect[64];
  snprintf(expect, sizeof expect, "Max open files            %-20lu ", (unsigned long)rl.rlim_cur);
  printf("limits: header %s, open files matches getrlimit %s\n",
         yesno(strncmp(text, "Limit                     Soft Limit", 36) == 0),
         yesno(open_files && strncmp(open_files, expect, strlen(expect)) == 0));
}

static void links_test(const char* self) {
  char link[PATH_MAX], real[PATH_MAX], cwd[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", link, sizeof link - 1);
  CHECK(n > 0);
  link[n] = 0;
  CHECK(realpath(self, real) != NULL);
  printf("exe is the program: %s\n", yesno(strcmp(link, real) == 0));
  n = readlink("/proc/self/cwd", link, sizeof link - 1);
  CHECK(n > 0);
  link[n] = 0;
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  printf("cwd matches getcwd: %s\n", yesno(strcmp(link, cwd) == 0));

  int fd = open(self, O_RDONLY);
  CHECK(fd >= 0);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  n = readlink(path, link, sizeof link - 1);
  CHECK(n > 0);
  link[n] = 0;
  printf("fd link names the file: %s\n", yesno(strcmp(link, real) == 0));
  char buf[100];
  CHECK(read(fd, buf, sizeof buf) == 100);
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  CHECK(slurp(path) > 0);
  const char* pos = line_with("pos:");
  const char* flags = line_with("flags:");
  printf("fdinfo %.*s", (int)(strchr(pos, '\n') - pos + 1), pos);
  printf("fdinfo %.*s", (int)(strchr(flags, '\n') - flags + 1), flags);
  close(fd);
}

/* A file holding one decimal number and a newline. */
static int number_file(const char* path, long* value) {
  if (slurp(path) <= 0) return 0;
  char* end;
  *value = strtol(text, &end, 10);
  return end != text && strcmp(end, "\n") == 0;
}

static void system_test(void) {
  long v;
  printf("max_map_count is a number: %s\n",
         yesno(number_file("/proc/sys/vm/max_map_count", &v) && v > 0));
  printf("overcommit_memory in 0..2: %s\n",
         yesno(number_file("/proc/sys/vm/overcommit_memory", &v) && v >= 0 && v <= 2));
  printf("swappiness in 0..200: %s\n",
         yesno(number_file("/proc/sys/vm/swappiness", &v) && v >= 0 && v <= 200));
  printf("hpage_pmd_size: %s",
         slurp("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size") > 0 ? text : "missing\n");
  CHECK(slurp("/sys/kernel/mm/transparent_hugepage/enabled") > 0);
  printf("thp enabled has one bracketed choice: %s\n",
         yesno(strchr(text, '[') && strchr(text, ']') && strchr(text, '[') == strrchr(text, '[')));
  CHECK(slurp("/sys/devices/system/cpu/online") > 0);
  printf("cpu online starts with 0: %s\n", yesno(text[0] == '0'));
  CHECK(slurp("/proc/sys/kernel/ostype") > 0);
  printf("ostype: %s", text);

  CHECK(slurp("/proc/meminfo") > 0);
  long total = field_kb("MemTotal:"), free_kb = field_kb("MemFree:");
  printf("meminfo: MemTotal > MemFree > 0: %s, has SwapTotal and Committed_AS: %s\n",
         yesno(total > free_kb && free_kb > 0),
         yesno(line_with("SwapTotal:") && line_with("Committed_AS:")));
  CHECK(slurp("/proc/uptime") > 0);
  double up, idle;
  printf("uptime: two numbers: %s\n", yesno(sscanf(text, "%lf %lf", &up, &idle) == 2 && up > 0));
  CHECK(slurp("/proc/loadavg") > 0);
  double l1, l5, l15;
  int running, threads, last;
  printf("loadavg: six fields: %s\n", yesno(sscanf(text, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15,
                                                   &running, &threads, &last) == 6 &&
                                            running >= 1));
  CHECK(slurp("/proc/stat") > 0);
  printf("stat: has cpu, btime, processes: %s\n",
         yesno(strncmp(text, "cpu  ", 5) == 0 && line_with("btime ") && line_with("processes ")));
  CHECK(slurp("/proc/self/mounts") > 0);
  printf("mounts: / and /proc are mounted: %s\n",
         yesno(strstr(text, " / ") && strstr(text, " /proc proc ")));
  CHECK(slurp("/proc/filesystems") > 0);
  printf("filesystems: proc and sysfs: %s\n",
         yesno(strstr(text, "nodev\tproc\n") && strstr(text, "nodev\tsysfs\n")));
  CHECK(slurp("/proc/cpuinfo") > 0);
  printf("cpuinfo: processor 0 with flags: %s\n",
         yesno(strncmp(text, "processor\t: 0\n", 14) == 0 && line_with("flags\t\t:")));
}

int main(int argc, char** argv) {
  maps_test(argv[0]);
  statm_smaps_test();
  pagemap_test();
  clear_refs_test();
  task_test(argc, argv);
  links_test(argv[0]);
  system_test();
  return 0;
}
