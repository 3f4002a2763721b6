/* Reads stdin line by line while another thread computes without making a single system
 * call, until the reader has seen end of file. The reader's waits for input must not stop
 * the computing thread, and the computing thread must not keep the reader from its input:
 * run with stdin from a pipe that is written slowly (compare.sh does), every read waits.
 * With stdin at end of file at once (/dev/null) it reads nothing and ends.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static atomic_int reading_done;
static atomic_ulong spins;

static void* compute(void* arg) {
  (void)arg;
  unsigned long n = 0;
  while (!atomic_load_explicit(&reading_done, memory_order_relaxed)) ++n;
  atomic_store(&spins, n);
  return NULL;
}

int main(void) {
  pthread_t worker;
  CHECK(pthread_create(&worker, NULL, compute, NULL) == 0);
  char line[256];
  int lines = 0;
  size_t bytes = 0;
  /* read(2) rather than stdio, so that each wait is one read of the pipe. */
  char buf[64];
  size_t used = 0;
  for (;;) {
    const ssize_t n = read(0, buf, sizeof buf);
    CHECK(n >= 0);
    if (n == 0) break;
    bytes += (size_t)n;
    for (ssize_t i = 0; i < n; ++i) {
      if (used < sizeof line - 1) line[used++] = buf[i];
      if (buf[i] == '\n') {
        line[used] = '\0';
        printf("got: %s", line);
        fflush(stdout);
        ++lines;
        used = 0;
      }
    }
  }
  atomic_store(&reading_done, 1);
  CHECK(pthread_join(worker, NULL) == 0);
  printf("lines %d, bytes %zu, the other thread ran: %s\n", lines, bytes,
         yesno(atomic_load(&spins) > 0 || lines == 0));
  return 0;
}
