/* giflab-perf-exec: runs commands one at a time and reports how each ran.
 *
 * Why a separate program: a child's ru_maxrss starts from the high-water mark
 * of the process it was forked from, so forking the workload straight from a
 * large daemon would charge the daemon's memory to the workload. This helper
 * is a few hundred kilobytes, so what it reports is the workload's own peak.
 *
 * Why it stays up: a check runs its workloads dozens of times; starting this
 * helper once per check instead of once per run halves the process starts a
 * run costs (bench/run.sh measures the difference against hyperfine -N).
 *
 * Usage: giflab-perf-exec RESULT_FD COMMAND_FD
 * Reads commands from COMMAND_FD, each a native-endian 32-bit byte count and
 * then that many bytes: the program and its arguments, each ended by a NUL.
 * Runs each with this process's stdin, stdout and stderr, and after it ended
 * writes one line to RESULT_FD:
 *   exit=<code|-1> signal=<n|0> errno=<exec errno|0> wall_ns=<n> utime_us=<n> stime_us=<n> maxrss_kb=<n>
 * Exits 0 at the end of the commands, 125 on a usage or protocol error. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

enum { kMaxCommandBytes = 1 << 20 }; /* as runner.cpp sends them */

/* Kills every process that is still a child of this one: descendants of the
 * workload that left its process group (setsid) are re-parented here, as
 * this process is a child subreaper. Returns 0 when none is left. */
static int kill_leftovers(void) {
  /* Every living descendant of the workload has a parent chain that ends at
   * a child of this process (orphans are re-parented here), so no child at
   * all means nothing is left, without scanning /proc. */
  siginfo_t any;
  memset(&any, 0, sizeof any);
  if (waitid(P_ALL, 0, &any, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD) return 0;
  const pid_t self = getpid();
  for (int round = 0; round < 20; ++round) {
    int found = 0;
    DIR* proc = opendir("/proc");
    if (!proc) return -1;
    struct dirent* e;
    while ((e = readdir(proc)) != NULL) {
      const pid_t pid = (pid_t)atoi(e->d_name);
      if (pid <= 0) continue;
      char path[64], buf[512];
      snprintf(path, sizeof path, "/proc/%d/stat", pid);
      FILE* f = fopen(path, "r");
      if (!f) continue;
      const size_t n = fread(buf, 1, sizeof buf - 1, f);
      fclose(f);
      buf[n] = 0;
      const char* close_paren = strrchr(buf, ')');
      int ppid = 0;
      char state = 0;
      if (close_paren && sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid == self) {
        kill(pid, SIGKILL);
        found = 1;
      }
    }
    closedir(proc);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (!found) return 0;
    usleep(1000);
  }
  return -1;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* 1 when all n bytes were read, 0 at end of input before the first byte, -1 otherwise. */
static int read_full(int fd, void* into, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read(fd, (char*)into + got, n - got);
    if (r > 0) {
      got += (size_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    return (r == 0 && got == 0) ? 0 : -1;
  }
  return 1;
}

static int write_full(int fd, const char* line, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, line, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    line += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Runs one command and reports it; -1 when the report could not be written
 * or something the workload started outlived it (this helper then ends, so
 * that its caller's next run starts a fresh one and the survivor's group
 * goes with this one's). */
static int run_one(char** argv, int result_fd, int command_fd) {
  /* posix_spawn (a vfork underneath) costs less than fork and exec, and
   * reports a failed exec as its result. The child's peak RSS still starts
   * from this small process's high-water mark, not from anything larger. */
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return -1;
  posix_spawn_file_actions_addclose(&actions, result_fd);
  posix_spawn_file_actions_addclose(&actions, command_fd);
  const long long start = now_ns();
  pid_t pid = 0;
  const int exec_errno = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  char line[256];
  if (exec_errno != 0) {
    const int n = snprintf(line, sizeof line, "exit=127 signal=0 errno=%d wall_ns=%lld utime_us=0 stime_us=0 maxrss_kb=0\n",
                           exec_errno, now_ns() - start);
    return write_full(result_fd, line, (size_t)n);
  }
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) return -1;
  }
  const long long wall = now_ns() - start;
  const int leftovers = kill_leftovers();
  const int n = snprintf(line, sizeof line,
                         "exit=%d signal=%d errno=0 wall_ns=%lld utime_us=%lld stime_us=%lld maxrss_kb=%ld\n",
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                         wall, (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
                         (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec, ru.ru_maxrss);
  if (write_full(result_fd, line, (size_t)n) != 0) return -1;
  return leftovers;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: giflab-perf-exec RESULT_FD COMMAND_FD (it is started by giflab-perfd and giflab-perfctl)\n");
    return 125;
  }
  const int result_fd = atoi(argv[1]), command_fd = atoi(argv[2]);
  if (result_fd <= 2 || command_fd <= 2) return 125;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  for (;;) {
    uint32_t size = 0;
    const int r = read_full(command_fd, &size, sizeof size);
    if (r == 0) return 0;
    if (r < 0 || size < 2 || size > kMaxCommandBytes) return 125;
    char* text = malloc(size);
    if (!text) return 125;
    if (read_full(command_fd, text, size) != 1 || text[size - 1] != 0) return 125;
    size_t args = 0;
    for (uint32_t i = 0; i < size; ++i) args += text[i] == 0;
    char** command = malloc((args + 1) * sizeof *command);
    if (!command) return 125;
    char* p = text;
    for (size_t i = 0; i < args; ++i) {
      command[i] = p;
      p += strlen(p) + 1;
    }
    command[args] = NULL;
    const int reported = run_one(command, result_fd, command_fd);
    free(command);
    free(text);
    if (reported != 0) return 125;
  }
}
