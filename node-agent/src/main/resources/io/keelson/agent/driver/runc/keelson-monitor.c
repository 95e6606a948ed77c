/*
 * Keelson container monitor, the C port of monitor.pl (same contract; the agent compiles it with
 * `gcc -static -O2` into its state dir and falls back to monitor.pl without gcc). One small process
 * per container, detached from the agent, so that containers outlive agent restarts (kill -9) while
 * their output and exit status are still captured. It starts the container with
 * `runc run --detach`, becomes the container's parent (child subreaper), copies stdout/stderr into
 * the CRI log format
 *   2026-01-01T00:00:00.000000000Z stdout F text
 * (a line longer than 16 KiB is cut into "P" parts) and, when the container exits, writes its exit
 * status (and whether the memory cgroup OOM-killed something) as JSON to the exit file.
 * Why C: perl's own start-up was the largest piece of the agent's pod start on a loaded host; this
 * starts in ~1 ms and learns of runc's exit from SIGCHLD (signalfd) instead of polling.
 *
 * usage: keelson-monitor ID BUNDLE RUNC RUNC_ROOT LOG_PATH EXIT_FILE PID_FILE [OOM_FILE...]
 * Prints "ok PID" once the container runs, or "err MESSAGE", then returns (the monitor stays).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PART 16384          /* a line this long without a newline is written as a partial ("P") line */
#define CHUNK 65536         /* one read */
#define BUF (PART + CHUNK)  /* what a stream can hold: remainder < PART plus one read */

struct stream {
  const char *name;
  int fd;                   /* -1 once closed */
  char buf[BUF];
  size_t len;
};

/* Until runc has exited, log lines are held back: on failure they are runc's error message. */
struct held {
  struct held *next;
  int is_stderr;
  char *text;               /* the stream's text, for the error message */
  size_t text_len;
  char *line;               /* the formatted log line */
  size_t line_len;
};

static struct stream streams[2] = {{"stdout", -1, {0}, 0}, {"stderr", -1, {0}, 0}};
static struct held *held_head, **held_tail = &held_head;
static int log_fd = -1;
static int runc_done, runc_status;     /* runc's wait status once runc_done */
static pid_t runc_pid, container_pid;
static int have_status, status;        /* the container's wait status */

static void now_rfc3339(char *out, size_t n) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void emit(struct stream *s, const char *text, size_t n, char tag) {
  char ts[64];
  now_rfc3339(ts, sizeof ts);
  size_t head = strlen(ts) + strlen(s->name) + 4; /* "TS NAME T " */
  char *line = malloc(head + n + 2);
  if (!line) return;
  int h = snprintf(line, head + 1, "%s %s %c ", ts, s->name, tag);
  memcpy(line + h, text, n);
  line[h + n] = '\n';
  size_t line_len = (size_t)h + n + 1;
  if (runc_done && runc_status == 0) {
    write_all(log_fd, line, line_len);
    free(line);
    return;
  }
  struct held *e = calloc(1, sizeof *e);
  char *t = malloc(n + 1);
  if (!e || !t) { free(e); free(t); free(line); return; }
  memcpy(t, text, n);
  t[n] = 0;
  e->is_stderr = s == &streams[1];
  e->text = t;
  e->text_len = n;
  e->line = line;
  e->line_len = line_len;
  *held_tail = e;
  held_tail = &e->next;
}

static void drain(struct stream *s) {
  ssize_t n;
  do {
    n = read(s->fd, s->buf + s->len, BUF - s->len);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    close(s->fd);
    s->fd = -1;
    if (s->len) emit(s, s->buf, s->len, 'F');
    s->len = 0;
    return;
  }
  s->len += (size_t)n;
  size_t start = 0;
  char *nl;
  while ((nl = memchr(s->buf + start, '\n', s->len - start)) != NULL) {
    size_t end = (size_t)(nl - s->buf);
    emit(s, s->buf + start, end - start, 'F');
    start = end + 1;
  }
  if (start) {
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
  }
  if (s->len >= PART) {
    emit(s, s->buf, s->len, 'P');
    s->len = 0;
  }
}

static int any_open(void) { return streams[0].fd >= 0 || streams[1].fd >= 0; }

static void reap(void) {
  int st;
  pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
    if (p == runc_pid) {
      runc_done = 1;
      runc_status = st;
    } else if (container_pid && p == container_pid) {
      have_status = 1;
      status = st;
    } else if (!container_pid) { /* exited before we read the pid file */
      have_status = 1;
      status = st;
      container_pid = p;
    }
  }
}

/* Waits up to timeout_ms for output or a child's exit and handles what is there. */
static void pump(int sigfd, int timeout_ms) {
  struct pollfd fds[3];
  int n = 0, idx[2] = {-1, -1};
  fds[n].fd = sigfd;
  fds[n].events = POLLIN;
  n++;
  for (int i = 0; i < 2; i++) {
    if (streams[i].fd >= 0) {
      idx[i] = n;
      fds[n].fd = streams[i].fd;
      fds[n].events = POLLIN;
      n++;
    }
  }
  int r = poll(fds, (nfds_t)n, timeout_ms);
  if (r <= 0) return;
  if (fds[0].revents) {
    struct signalfd_siginfo si;
    while (read(sigfd, &si, sizeof si) == sizeof si) {
    }
  }
  for (int i = 0; i < 2; i++) {
    if (idx[i] >= 0 && fds[idx[i]].revents) drain(&streams[i]);
  }
}

static long elapsed_ms(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void say(int fd, const char *fmt, ...) {
  char msg[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  write_all(fd, msg, (size_t)n);
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: keelson-monitor ID BUNDLE RUNC RUNC_ROOT LOG_PATH EXIT_FILE PID_FILE [OOM_FILE...]\n");
    return 255;
  }
  const char *id = argv[1], *bundle = argv[2], *runc = argv[3], *root = argv[4], *log_path = argv[5];
  const char *exit_file = argv[6], *pid_file = argv[7];
  char **oom_files = argv + 8;
  int n_oom = argc - 8;
  char path[4096];

  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) { perror("pipe"); return 255; }
  pid_t daemon_pid = fork();
  if (daemon_pid < 0) { perror("fork"); return 255; }
  if (daemon_pid > 0) {
    /* the foreground half: relay the daemon's first line and leave */
    close(status_pipe[1]);
    char line[8192];
    size_t len = 0;
    while (len < sizeof line - 1) {
      ssize_t r = read(status_pipe[0], line + len, sizeof line - 1 - len);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      len += (size_t)r;
      if (memchr(line, '\n', len)) break;
    }
    char *nl = memchr(line, '\n', len);
    if (nl) len = (size_t)(nl - line) + 1;
    if (len == 0) {
      const char *m = "err monitor died before starting the container\n";
      len = strlen(m);
      memcpy(line, m, len);
    }
    write_all(1, line, len);
    return len > 3 && memcmp(line, "ok ", 3) == 0 ? 0 : 1;
  }
  close(status_pipe[0]);
  int status_w = status_pipe[1];
  setsid();
  /* the container process is re-parented to us when `runc run -d` exits */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) perror("prctl(PR_SET_CHILD_SUBREAPER)");
  int fd = open("/dev/null", O_RDONLY);
  if (fd >= 0 && fd != 0) { dup2(fd, 0); close(fd); }
  snprintf(path, sizeof path, "%s/monitor.pid", bundle);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd >= 0) { say(fd, "%d\n", (int)getpid()); close(fd); }
  snprintf(path, sizeof path, "%s/monitor.log", bundle);
  fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0666);
  if (fd < 0) fd = open("/dev/null", O_WRONLY); /* never keep the agent's pipe: it waits for its end */
  if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); if (fd > 2) close(fd); }
  /* as monitor.pl: ignored (and so inherited by runc and the container) */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);

  /* SIGCHLD arrives on a signalfd, so that runc's exit wakes the loop at once */
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0) { say(status_w, "err signalfd: %s\n", strerror(errno)); return 1; }

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) { say(status_w, "err pipe: %s\n", strerror(errno)); return 1; }
  runc_pid = fork();
  if (runc_pid < 0) { say(status_w, "err fork: %s\n", strerror(errno)); return 1; }
  if (runc_pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    dup2(out[1], 1); /* dup2 clears close-on-exec on the copy */
    dup2(err[1], 2);
    execl(runc, runc, "--root", root, "run", "--detach", "--bundle", bundle, "--pid-file", pid_file, id, (char *)NULL);
    say(2, "exec %s: %s\n", runc, strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  streams[0].fd = out[0];
  streams[1].fd = err[0];

  log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (log_fd < 0) { say(status_w, "err cannot open log %s: %s\n", log_path, strerror(errno)); return 1; }

  reap();
  while (!runc_done) {
    pump(sigfd, 1000);
    reap();
  }
  if (runc_status != 0) {
    /* runc's error message may still be on its way: wait up to a second for the pipes to close */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long left;
    while (any_open() && (left = 1000 - elapsed_ms(&t0)) > 0) pump(sigfd, (int)left);
    size_t cap = 1, len = 0;
    for (struct held *e = held_head; e; e = e->next) if (e->is_stderr) cap += e->text_len + 1;
    char *msg = malloc(cap);
    if (msg) {
      msg[0] = 0;
      for (struct held *e = held_head; e; e = e->next) {
        if (!e->is_stderr) continue;
        if (len) msg[len++] = ' ';
        size_t l = e->text_len;
        memcpy(msg + len, e->text, l);
        len += l;
        msg[len] = 0;
      }
    }
    int code = WIFEXITED(runc_status) ? WEXITSTATUS(runc_status) : 0;
    if (msg && len) say(status_w, "err %s\n", msg);
    else say(status_w, "err runc run failed with status %d\n", code);
    return 1;
  }
  for (struct held *e = held_head; e; e = e->next) write_all(log_fd, e->line, e->line_len);

  if (!container_pid) {
    char pid_text[64] = {0};
    fd = open(pid_file, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t r = read(fd, pid_text, sizeof pid_text - 1);
      if (r < 0) pid_text[0] = 0;
      close(fd);
    }
    char *p = pid_text;
    while (*p && (*p < '0' || *p > '9')) p++;
    container_pid = (pid_t)strtol(p, NULL, 10);
  }
  say(status_w, "ok %d\n", (int)container_pid);
  close(status_w);

  for (;;) {
    reap();
    if (have_status && !any_open()) break;
    if (!have_status && !any_open() && container_pid && kill(container_pid, 0) != 0) break; /* not our child after all */
    /* output arrives or the pipes close at exit; once closed, only the reaping is left to wait for */
    pump(sigfd, any_open() ? 1000 : 20);
  }
  char finished[64];
  now_rfc3339(finished, sizeof finished);
  int oom = 0;
  for (int i = 0; i < n_oom; i++) {
    FILE *f = fopen(oom_files[i], "re");
    if (!f) continue;
    char l[256];
    while (fgets(l, sizeof l, f)) {
      if (strncmp(l, "oom_kill ", 9) == 0 && l[9] >= '0' && l[9] <= '9' && strtoll(l + 9, NULL, 10) > 0) oom = 1;
    }
    fclose(f);
  }
  int code = 255, sig = 0;
  if (have_status) {
    if (status & 127) {
      sig = status & 127;
      code = 128 + sig;
    } else {
      code = (status >> 8) & 0xff;
    }
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", exit_file);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) { fprintf(stderr, "write %s: %s\n", tmp, strerror(errno)); return 255; }
  say(fd, "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"finishedAt\":\"%s\"}\n", code, sig, oom ? "true" : "false", finished);
  close(fd);
  if (rename(tmp, exit_file) != 0) { fprintf(stderr, "rename %s: %s\n", tmp, strerror(errno)); return 255; }
  return 0;
}
