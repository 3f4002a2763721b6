/*
 * host_file_shared: a file in a writable host directory (argv[1]), mapped MAP_SHARED while
 * read() and write() reach it too. Linux has one page cache for both, so each sees the
 * other at once: a store through the mapping is in the next read(), a pwrite() is in the
 * mapping, with no msync in between; msync and munmap then leave it in the file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char** argv) {
  CHECK(argc == 2);
  char path[4096];
  snprintf(path, sizeof path, "%s/shared.bin", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  char page[2 * 4096];
  memset(page, '.', sizeof page);
  CHECK(write(fd, page, sizeof page) == (ssize_t)sizeof page);
  char* m = mmap(NULL, sizeof page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  printf("mapped reads '%c'\n", m[100]); /* the page is now in the page cache */

  CHECK(pwrite(fd, "XYZ", 3, 100) == 3);
  printf("mapping sees pwrite: %.3s\n", m + 100);

  memcpy(m + 4096 + 7, "map", 3);
  char got[4] = {0};
  CHECK(pread(fd, got, 3, 4096 + 7) == 3);
  printf("pread sees the mapping's store: %s\n", got);

  CHECK(lseek(fd, 4096 + 5, SEEK_SET) == 4096 + 5);
  char line[8] = {0};
  CHECK(read(fd, line, 6) == 6);
  printf("read across it: %s\n", line);

  /* A write that grows the file: the mapping's second page already covers it. */
  CHECK(pwrite(fd, "tail", 4, sizeof page) == 4);
  printf("size after growing write: %ld\n", (long)lseek(fd, 0, SEEK_END));

  CHECK(msync(m, sizeof page, MS_SYNC) == 0);
  CHECK(munmap(m, sizeof page) == 0);
  CHECK(close(fd) == 0);
  fd = open(path, O_RDONLY);
  CHECK(fd >= 0);
  memset(got, 0, sizeof got);
  CHECK(pread(fd, got, 3, 4096 + 7) == 3);
  printf("after reopening: %s at 4103, ", got);
  CHECK(pread(fd, got, 3, 100) == 3);
  printf("%s at 100\n", got);
  close(fd);
  CHECK(unlink(path) == 0);
  return 0;
}
