/* giflab-perf-exec: runs one command and reports how it ran.
 *
 * Why a separate program: a child's ru_maxrss starts from the high-water mark
 * of the process it was forked from, so forking the workload straight from a
 * large daemon would charge the daemon's memory to the workload. This helper
 * is a few hundred kilobytes, so what it reports is the workload's own peak.
 *
 * Usage: giflab-perf-exec RESULT_FD PROGRAM [ARG...]
 * Writes one line to RESULT_FD:
 *   exit=<code|-1> signal=<n|0> errno=<exec errno|0> wall_ns=<n> utime_us=<n> stime_us=<n> maxrss_kb=<n>
 * Its own exit code is 0 when it reported, 125 on a usage error. */
#define _GNU_SOURCE
#include <errno.h>
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

/* Kills every process that is still a child of this one: descendants of the
 * workload that left its process group (setsid) are re-parented here, as
 * this process is a child subreaper. */
static void kill_leftovers(void) {
  /* Every living descendant of the workload has a parent chain that ends at
   * a child of this process (orphans are re-parented here), so no child at
   * all means nothing is left, without scanning /proc. */
  siginfo_t any;
  memset(&any, 0, sizeof any);
  if (waitid(P_ALL, 0, &any, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD) return;
  const pid_t self = getpid();
  for (int round = 0; round < 20; ++round) {
    int found = 0;
    DIR* proc = opendir("/proc");
    if (!proc) return;
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
    if (!found) return;
    usleep(1000);
  }
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: giflab-perf-exec RESULT_FD PROGRAM [ARG...]\n");
    return 125;
  }
  const int result_fd = atoi(argv[1]);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  /* posix_spawn (a vfork underneath) costs less than fork and exec, and
   * reports a failed exec as its result. The child's peak RSS still starts
   * from this small process's high-water mark, not from anything larger. */
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return 125;
  if (result_fd > 2) posix_spawn_file_actions_addclose(&actions, result_fd);
  const long long start = now_ns();
  pid_t pid = 0;
  const int exec_errno = posix_spawnp(&pid, argv[2], &actions, NULL, argv + 2, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (exec_errno != 0) {
    char line[256];
    const int n = snprintf(line, sizeof line, "exit=127 signal=0 errno=%d wall_ns=%lld utime_us=0 stime_us=0 maxrss_kb=0\n",
                           exec_errno, now_ns() - start);
    return write(result_fd, line, (size_t)n) == n ? 0 : 125;
  }

  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) return 125;
  }
  const long long wall = now_ns() - start;
  kill_leftovers();
  char line[256];
  const int n = snprintf(line, sizeof line,
                         "exit=%d signal=%d errno=%d wall_ns=%lld utime_us=%lld stime_us=%lld maxrss_kb=%ld\n",
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                         exec_errno, wall,
                         (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
                         (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec, ru.ru_maxrss);
  if (write(result_fd, line, (size_t)n) != n) return 125;
  return 0;
}
