/*
 * Keelson namespace maker: creates namespaces held by bind mounts (what `unshare --net=FILE` does)
 * without starting a process per namespace. The agent compiles it with gcc into its state dir and
 * keeps one running; without it, it runs unshare(1) (and ip(8) for lo) per namespace, two execs on
 * every pod start.
 *
 * Reads requests from stdin, one per line:  TYPE PATH   (TYPE: net, ipc or uts)
 * and answers each with one line: "ok" or "err MESSAGE". For each, a child is forked that unshares
 * the namespace, brings lo up in a new network namespace, and bind-mounts /proc/self/ns/TYPE on PATH
 * (created if missing) in the shared mount namespace; then the child exits and the mount holds the
 * namespace. Exits at end of input (the agent is gone).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int make(const char *type, const char *path, char *err, size_t n) {
  int flag = strcmp(type, "net") == 0 ? CLONE_NEWNET : strcmp(type, "ipc") == 0 ? CLONE_NEWIPC
           : strcmp(type, "uts") == 0 ? CLONE_NEWUTS : 0;
  if (!flag) {
    snprintf(err, n, "unknown namespace type %.32s", type);
    return -1;
  }
  int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) {
    snprintf(err, n, "create %s: %s", path, strerror(errno));
    return -1;
  }
  close(fd);
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    snprintf(err, n, "pipe: %s", strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, n, "fork: %s", strerror(errno));
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    const char *what = "unshare";
    if (unshare(flag) != 0) goto fail;
    if (flag == CLONE_NEWNET) {
      what = "bringing lo up";
      int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      struct ifreq r;
      memset(&r, 0, sizeof r);
      strncpy(r.ifr_name, "lo", IFNAMSIZ - 1);
      if (s < 0 || ioctl(s, SIOCGIFFLAGS, &r) != 0) goto fail;
      r.ifr_flags |= IFF_UP;
      if (ioctl(s, SIOCSIFFLAGS, &r) != 0) goto fail;
      close(s);
    }
    what = "mount";
    char src[64];
    snprintf(src, sizeof src, "/proc/self/ns/%.8s", type);
    if (mount(src, path, NULL, MS_BIND, NULL) == 0) _exit(0);
  fail:
    dprintf(p[1], "%s: %s", what, strerror(errno));
    _exit(1);
  }
  close(p[1]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  ssize_t r = read(p[0], err, n - 1);
  close(p[0]);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
  if (r > 0) err[r] = 0;
  else snprintf(err, n, "namespace child ended with status %d", st);
  return -1;
}

int main(void) {
  char line[8192], err[1024];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    char *sp = strchr(line, ' ');
    if (!sp) {
      printf("err bad request\n");
    } else {
      *sp = 0;
      if (make(line, sp + 1, err, sizeof err) == 0) printf("ok\n");
      else printf("err %s\n", err);
    }
    fflush(stdout);
  }
  return 0;
}
