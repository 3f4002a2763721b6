/* sendfile_pipe: sendfile into and out of pipes, as Linux 6.1 has it.
 *  - From a pipe: EINVAL (pipes cannot be spliced from by sendfile), and the data stays.
 *  - From a tmpfs file into a pipe larger than the pipe holds: the call waits for a forked
 *    reader to make room and sends everything; the reader sees every byte in order. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define FILE_SIZE (300 * 1024)

int main(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  CHECK(write(p[1], "abc", 3) == 3);
  int devnull = open("/dev/null", O_WRONLY);
  CHECK(devnull >= 0);
  errno = 0;
  long r = sendfile(devnull, p[0], NULL, 3);
  printf("sendfile from a pipe: %s\n", result_str(r, errno));
  char back[4] = {0};
  CHECK(read(p[0], back, 3) == 3);
  printf("the pipe still holds: %s\n", back);
  close(p[0]);
  close(p[1]);

  char path[] = "/tmp/sendfile_pipe.XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  CHECK(unlink(path) == 0);
  static unsigned char data[FILE_SIZE];
  for (int i = 0; i < FILE_SIZE; i++) data[i] = (unsigned char)(i * 7 + i / 251);
  CHECK(write(fd, data, sizeof data) == (long)sizeof data);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);

  CHECK(pipe(p) == 0);
  CHECK(fflush(stdout) == 0);
  pid_t reader = fork();
  CHECK(reader >= 0);
  if (reader == 0) {
    close(p[1]);
    static unsigned char got[FILE_SIZE + 1];
    long total = 0, n;
    while ((n = read(p[0], got + total, sizeof got - total)) > 0) total += n;
    int same = total == FILE_SIZE && memcmp(got, data, FILE_SIZE) == 0;
    printf("reader: %ld bytes, same as the file: %s\n", total, yesno(same));
    fflush(stdout);
    _exit(same ? 0 : 1);
  }
  close(p[0]);
  long sent = 0;
  while (sent < FILE_SIZE) {
    r = sendfile(p[1], fd, NULL, FILE_SIZE - sent);
    CHECK(r > 0);
    sent += r;
  }
  printf("sendfile into a pipe: %ld bytes, file offset %ld\n", sent, (long)lseek(fd, 0, SEEK_CUR));
  fflush(stdout);
  close(p[1]);
  int status = -1;
  CHECK(waitpid(reader, &status, 0) == reader);
  printf("reader exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
