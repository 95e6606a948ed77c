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
 * usage: keelson-monitor [--stdin] [--stdin-once] [--tty] [--attach SOCKET]
 *                        ID BUNDLE RUNC RUNC_ROOT LOG_PATH EXIT_FILE PID_FILE [OOM_FILE...]
 * Prints "ok PID" once the container runs, or "err MESSAGE", then returns (the monitor stays).
 *
 * Attach (kubectl attach / run -i; only monitor.pl lacks it): --stdin keeps the container's stdin
 * open on a pipe held here; --tty runs it on a pty (runc's --console-socket hands the master to us
 * at SOCKET-console), whose output goes to the log as stdout, as kubelet does. --attach serves
 * SOCKET (a unix stream socket) to the agent's attach sessions, in frames [type u8][length u32 BE]
 * [payload]. To a client: 1 stdout, 2 stderr (raw bytes as they are read, from the moment of
 * connecting; with --stdin-once the first client also gets what came before); the socket closes once the container has exited and its output was sent. From a
 * client: 0 stdin bytes, 1 stdin EOF, 2 resize (u16 BE columns, u16 BE rows), 3 "this session
 * forwards stdin". With --stdin-once the end of the first stdin session (EOF, or its client going
 * away) closes the container's stdin (on a tty: sends ^D); otherwise stdin stays open for the next.
 * A client's stdin EOF also ends its session (as containerd does), except with --stdin-once and no
 * tty, where the session gets the output until the container exits (kubectl run -i with a pipe).
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
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
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
  char tag;                 /* 'F' a whole line (its newline dropped), 'P' a part */
};

/* stdout and stderr pipes of runc (and of the container without a tty), and the pty master with one */
static struct stream streams[3] = {{"stdout", -1, {0}, 0}, {"stderr", -1, {0}, 0}, {"stdout", -1, {0}, 0}};
#define NSTREAMS 3

/* attach sessions (see the header) */
#define MAX_CLIENTS 16
#define FRAME_MAX CHUNK
struct client {
  int fd;
  int forwards_stdin;
  size_t len;
  char buf[5 + FRAME_MAX];
};
static struct client *clients[MAX_CLIENTS];
static int listen_fd = -1;
static int stdin_fd = -1;              /* the container's stdin: our end of its pipe, or the pty master */
static int stdin_is_tty, stdin_once, stdin_sessions_ended;
static int output_after_eof;           /* stdin-once without a tty: a session's stdin EOF does not end it */
static char pending[CHUNK];            /* stdin bytes the container has not taken yet */
static size_t pending_len;
static int close_when_flushed;         /* stdin is to be closed once the pending bytes are taken */
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
  e->tag = tag;
  *held_tail = e;
  held_tail = &e->next;
}

static void drop_client(int i);

/*
 * With --stdin-once (kubectl run -i / -it) the output written before the first attach session is kept
 * (up to REPLAY_MAX) and sent to that session first: kubectl attaches only after it sees the pod
 * running, and a quick command's output (or a shell's first prompt) would otherwise be lost to it
 * (kubernetes#27264). Later sessions get output from the moment they connect, as before.
 */
#define REPLAY_MAX (1 << 20)
static int replay_pending;             /* no session yet, and the buffer below still holds all output */
static char *replay;
static size_t replay_len;

static void keep_for_replay(int type, const char *data, size_t n) {
  char head[5] = {(char)type, (char)(n >> 24), (char)(n >> 16), (char)(n >> 8), (char)n};
  if (!replay_pending || !n) return;
  if (replay_len + 5 + n > REPLAY_MAX) { /* too much to replay whole: a gap would mislead, keep none */
    free(replay); replay = NULL; replay_len = 0; replay_pending = 0;
    return;
  }
  if (!replay && !(replay = malloc(REPLAY_MAX))) { replay_pending = 0; return; }
  memcpy(replay + replay_len, head, 5);
  memcpy(replay + replay_len + 5, data, n);
  replay_len += 5 + n;
}

/* Sends container output to every attached client; a client that cannot take it for 2 s is dropped. */
static void broadcast(int type, const char *data, size_t n) {
  char head[5] = {(char)type, (char)(n >> 24), (char)(n >> 16), (char)(n >> 8), (char)n};
  keep_for_replay(type, data, n);
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (!clients[i]) continue;
    if (write_all(clients[i]->fd, head, 5) != 0 || write_all(clients[i]->fd, data, n) != 0) drop_client(i);
  }
}

static void close_stdin(void) {
  if (stdin_fd < 0) return;
  if (stdin_is_tty) {
    /* a pty cannot be half-closed: ^D is EOF to a reader in canonical mode */
    if (pending_len < sizeof pending) pending[pending_len++] = 4;
    stdin_once = 0;
    stdin_sessions_ended = 2; /* no more stdin after the ^D */
    return;
  }
  /* what the session sent before its EOF still goes in first (kubectl run -i with a short pipe) */
  stdin_sessions_ended = 2;
  if (pending_len > 0) {
    close_when_flushed = 1;
    return;
  }
  close(stdin_fd);
  stdin_fd = -1;
}

static void stdin_session_ended(void) {
  if (stdin_once && !stdin_sessions_ended) {
    stdin_sessions_ended = 1;
    close_stdin();
  }
}

static void drop_client(int i) {
  if (!clients[i]) return;
  int had_stdin = clients[i]->forwards_stdin;
  close(clients[i]->fd);
  free(clients[i]);
  clients[i] = NULL;
  if (had_stdin) stdin_session_ended();
}

static int stdin_open(void) { return stdin_fd >= 0 && stdin_sessions_ended < 2; }

/* Handles the complete frames a client sent. */
static void client_frames(int i) {
  struct client *c = clients[i];
  size_t at = 0;
  while (c->len - at >= 5) {
    unsigned char *h = (unsigned char *)c->buf + at;
    size_t n = ((size_t)h[1] << 24) | ((size_t)h[2] << 16) | ((size_t)h[3] << 8) | h[4];
    if (n > FRAME_MAX) { drop_client(i); return; }
    if (c->len - at < 5 + n) break;
    const char *p = c->buf + at + 5;
    switch (h[0]) {
      case 0:
        if (c->forwards_stdin && stdin_open() && !(stdin_once && stdin_sessions_ended)) {
          size_t room = sizeof pending - pending_len, take = n < room ? n : room;
          memcpy(pending + pending_len, p, take);
          pending_len += take;
        }
        break;
      case 1:
        if (c->forwards_stdin) {
          c->forwards_stdin = 0;
          stdin_session_ended();
        }
        /* as containerd's attach: the end of a client's stdin ends its session, except that with
           stdin-once and no tty it keeps the output until the container exits */
        if (!output_after_eof) {
          drop_client(i);
          return;
        }
        break;
      case 2:
        if (stdin_is_tty && stdin_fd >= 0 && n >= 4) {
          const unsigned char *q = (const unsigned char *)p;
          struct winsize ws = {0};
          ws.ws_col = (unsigned short)((q[0] << 8) | q[1]);
          ws.ws_row = (unsigned short)((q[2] << 8) | q[3]);
          ioctl(stdin_fd, TIOCSWINSZ, &ws);
        }
        break;
      case 3:
        c->forwards_stdin = 1;
        break;
      default:
        break;
    }
    at += 5 + n;
  }
  if (at) {
    memmove(c->buf, c->buf + at, c->len - at);
    c->len -= at;
  }
}

static void read_client(int i) {
  struct client *c = clients[i];
  ssize_t n;
  do {
    n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) { drop_client(i); return; }
  c->len += (size_t)n;
  client_frames(i);
}

static void accept_client(void) {
  int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return;
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i]) continue;
    clients[i] = calloc(1, sizeof *clients[i]);
    if (!clients[i]) break;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    clients[i]->fd = fd;
    if (replay_pending) {
      replay_pending = 0;
      if (replay_len && write_all(fd, replay, replay_len) != 0) drop_client(i);
      free(replay); replay = NULL; replay_len = 0;
    }
    return;
  }
  close(fd);
}

static void flush_stdin(void) {
  while (pending_len > 0 && stdin_fd >= 0) {
    ssize_t w = write(stdin_fd, pending, pending_len);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w <= 0) { pending_len = 0; break; } /* the container closed its stdin (EPIPE): drop */
    memmove(pending, pending + w, pending_len - (size_t)w);
    pending_len -= (size_t)w;
  }
  if (pending_len == 0 && close_when_flushed && stdin_fd >= 0) {
    close(stdin_fd);
    stdin_fd = -1;
    close_when_flushed = 0;
  }
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
  if (runc_done && runc_status == 0) broadcast(s == &streams[1] ? 2 : 1, s->buf + s->len, (size_t)n);
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

static int any_open(void) { return streams[0].fd >= 0 || streams[1].fd >= 0 || streams[2].fd >= 0; }

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

/* Waits up to timeout_ms for output, a child's exit or an attach client and handles what is there. */
static void pump(int sigfd, int timeout_ms) {
  struct pollfd fds[2 + NSTREAMS + MAX_CLIENTS + 1];
  int n = 0, idx[NSTREAMS], cidx[MAX_CLIENTS], lidx = -1, sidx = -1;
  fds[n].fd = sigfd;
  fds[n].events = POLLIN;
  n++;
  for (int i = 0; i < NSTREAMS; i++) {
    idx[i] = -1;
    if (streams[i].fd >= 0) {
      idx[i] = n;
      fds[n].fd = streams[i].fd;
      fds[n].events = POLLIN;
      n++;
    }
  }
  if (listen_fd >= 0) {
    lidx = n;
    fds[n].fd = listen_fd;
    fds[n].events = POLLIN;
    n++;
  }
  /* while stdin bytes wait for the container, clients are not read (so they cannot queue without bound) */
  for (int i = 0; i < MAX_CLIENTS; i++) {
    cidx[i] = -1;
    if (clients[i]) {
      cidx[i] = n;
      fds[n].fd = clients[i]->fd;
      fds[n].events = pending_len ? 0 : POLLIN;
      n++;
    }
  }
  if (pending_len && stdin_fd >= 0) {
    sidx = n;
    fds[n].fd = stdin_fd;
    fds[n].events = POLLOUT;
    n++;
  }
  int r = poll(fds, (nfds_t)n, timeout_ms);
  if (r <= 0) return;
  if (fds[0].revents) {
    struct signalfd_siginfo si;
    while (read(sigfd, &si, sizeof si) == sizeof si) {
    }
  }
  for (int i = 0; i < NSTREAMS; i++) {
    if (idx[i] >= 0 && fds[idx[i]].revents) drain(&streams[i]);
  }
  if (sidx >= 0 && fds[sidx].revents) {
    if (fds[sidx].revents & (POLLERR | POLLHUP)) pending_len = 0;
    flush_stdin();
  }
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (cidx[i] >= 0 && clients[i] && fds[cidx[i]].revents) {
      if (fds[cidx[i]].revents & POLLIN) read_client(i);
      else if (fds[cidx[i]].revents & (POLLERR | POLLHUP)) drop_client(i);
    }
  }
  if (lidx >= 0 && (fds[lidx].revents & POLLIN)) accept_client();
  if (pending_len) flush_stdin();
}

/* A listening unix stream socket at path (replacing a stale one), or -1. */
static int listen_unix(const char *path) {
  struct sockaddr_un a = {0};
  a.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof a.sun_path) { errno = ENAMETOOLONG; return -1; }
  strcpy(a.sun_path, path);
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* The pty master runc sent over the console socket (SCM_RIGHTS), or -1. */
static int receive_master(int console_fd) {
  int c = accept4(console_fd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) return -1;
  char name[256];
  struct iovec iov = {name, sizeof name};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.buf;
  m.msg_controllen = sizeof u.buf;
  int fd = -1;
  ssize_t r;
  do {
    r = recvmsg(c, &m, MSG_CMSG_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r >= 0) {
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
      if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(h), sizeof fd);
    }
  }
  close(c);
  return fd;
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
  int want_stdin = 0, want_tty = 0;
  const char *attach_path = NULL;
  while (argc > 1 && strncmp(argv[1], "--", 2) == 0) {
    if (strcmp(argv[1], "--stdin") == 0) want_stdin = 1;
    else if (strcmp(argv[1], "--stdin-once") == 0) stdin_once = replay_pending = 1;
    else if (strcmp(argv[1], "--tty") == 0) want_tty = 1;
    else if (strcmp(argv[1], "--attach") == 0 && argc > 2) { attach_path = argv[2]; argv++; argc--; }
    else { printf("err keelson-monitor: unknown option %s\n", argv[1]); return 255; }
    argv++;
    argc--;
  }
  output_after_eof = stdin_once && !want_tty;
  if (argc < 8) {
    fprintf(stderr, "usage: keelson-monitor [--stdin] [--stdin-once] [--tty] [--attach SOCKET] ID BUNDLE RUNC RUNC_ROOT LOG_PATH EXIT_FILE PID_FILE [OOM_FILE...]\n");
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

  int out[2], err[2], in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) { say(status_w, "err pipe: %s\n", strerror(errno)); return 1; }
  if (want_stdin && !want_tty && pipe2(in, O_CLOEXEC) != 0) { say(status_w, "err pipe: %s\n", strerror(errno)); return 1; }
  char console_path[4096] = {0};
  int console_fd = -1;
  if (want_tty) {
    if (!attach_path) { say(status_w, "err --tty needs --attach\n"); return 1; }
    snprintf(console_path, sizeof console_path, "%s-console", attach_path);
    console_fd = listen_unix(console_path);
    if (console_fd < 0) { say(status_w, "err console socket %s: %s\n", console_path, strerror(errno)); return 1; }
  }
  if (attach_path) {
    listen_fd = listen_unix(attach_path);
    if (listen_fd < 0) { say(status_w, "err attach socket %s: %s\n", attach_path, strerror(errno)); return 1; }
  }
  runc_pid = fork();
  if (runc_pid < 0) { say(status_w, "err fork: %s\n", strerror(errno)); return 1; }
  if (runc_pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    dup2(out[1], 1); /* dup2 clears close-on-exec on the copy */
    dup2(err[1], 2);
    if (in[0] >= 0) dup2(in[0], 0); /* runc -d without a terminal passes its stdio to the container */
    if (want_tty) {
      execl(runc, runc, "--root", root, "run", "--detach", "--console-socket", console_path, "--bundle", bundle,
            "--pid-file", pid_file, id, (char *)NULL);
    } else {
      execl(runc, runc, "--root", root, "run", "--detach", "--bundle", bundle, "--pid-file", pid_file, id, (char *)NULL);
    }
    say(2, "exec %s: %s\n", runc, strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  if (in[0] >= 0) {
    close(in[0]);
    stdin_fd = in[1];
    fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
  }
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
    if (console_fd >= 0) unlink(console_path);
    if (attach_path) unlink(attach_path);
    return 1;
  }
  if (console_fd >= 0) {
    /* runc has sent the master before it exited; the connection waits in the backlog */
    int master = receive_master(console_fd);
    close(console_fd);
    unlink(console_path);
    if (master < 0) {
      say(status_w, "err no pty from runc's console socket\n");
      return 1;
    }
    fcntl(master, F_SETFL, O_NONBLOCK);
    streams[2].fd = master;
    stdin_fd = master;
    stdin_is_tty = 1;
    if (!want_stdin) stdin_sessions_ended = 2; /* a tty without stdin: nothing is forwarded */
  }
  for (struct held *e = held_head; e; e = e->next) write_all(log_fd, e->line, e->line_len);
  /* what the container wrote while runc was still starting it was held, not sent: replay it too,
     and the start of a line not yet ended (the rest is sent as it comes) */
  for (struct held *e = held_head; e; e = e->next) {
    keep_for_replay(e->is_stderr ? 2 : 1, e->text, e->text_len);
    if (e->tag == 'F') keep_for_replay(e->is_stderr ? 2 : 1, "\n", 1);
  }
  for (int k = 0; k < 2; k++) keep_for_replay(k == 1 ? 2 : 1, streams[k].buf, streams[k].len);

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
  /* attach sessions end with the container (their sockets close: EOF to the agent) */
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i]) { close(clients[i]->fd); free(clients[i]); clients[i] = NULL; }
  }
  if (attach_path) unlink(attach_path);
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
