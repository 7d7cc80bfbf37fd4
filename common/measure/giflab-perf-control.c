/* giflab-perf-control: the built-in control workload.
 *
 * A fixed amount of work, the same on every run and every machine: a
 * CPU-bound part (integer arithmetic in registers) and a memory-bound part
 * (passes over a buffer larger than a core's own cache). Measured beside the
 * scenarios, interleaved with their runs, it tells how fast the machine is
 * now against when the baselines were taken: when it slows down as much as
 * a scenario does, the machine moved, not the scenario.
 *
 * Usage: giflab-perf-control   (no arguments; exit 0; prints nothing) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The memory part works on 4 MB: beyond the per-core L2 of small VMs, within
 * a shared L3, as gifsicle's frame buffers are. The first version faulted in
 * 24 MB (12 ms of page faults a run): it measured the hypervisor's page-fault
 * cost, which moved on its own (7 % run-to-run) and hardly with the
 * scenarios (correlation 0-0.15 on this VM); this one moves with them
 * (0.33-0.68) and faults 1024 pages. Its work changed, so its identity did
 * too (kBuiltinControlRevision in machine.hpp). */
enum {
  kCpuSteps = 12000000,            /* about 20 ms on a 2020s core */
  kBufferBytes = 4 * 1024 * 1024,
  kPasses = 150,                   /* about 8 ms */
};

int main(int argc, char** argv) {
  (void)argv;
  if (argc != 1) {
    fprintf(stderr, "usage: giflab-perf-control (no arguments)\n");
    return 2;
  }
  /* xorshift64: no memory traffic, cannot be folded away (the result decides the exit path). */
  uint64_t x = 88172645463325252ull;
  for (long i = 0; i < kCpuSteps; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  /* Memory: a write pass faults every page in, then read-modify-write passes
   * with a cache-line stride. */
  unsigned char* buffer = malloc(kBufferBytes);
  if (!buffer) return 3;
  memset(buffer, (int)(x & 0xff), kBufferBytes);
  uint64_t sum = 0;
  for (int pass = 0; pass < kPasses; ++pass)
    for (size_t i = 0; i < kBufferBytes; i += 64) {
      buffer[i] = (unsigned char)(buffer[i] + pass);
      sum += buffer[i];
    }
  free(buffer);
  return (x == 0 && sum == 1) ? 1 : 0;
}
