/*
 * keelson-init: PID 1 of a Keelson VM pod (the /init of its initramfs).
 *
 * It loads the virtio modules, configures eth0 from the kernel command line, then serves the
 * node agent over one virtio-serial port ("keelson.0") with the framed protocol described in
 * deploy/vm/guest/PROTOCOL.md: it mounts each container's rootfs disk (an ext4 image on a
 * virtio-blk slot), runs the container's command with its env/cwd/user, forwards stdout/stderr
 * and exit codes, and runs exec sessions (with a pty for tty exec). Frames waiting for the host
 * are queued while no agent is connected, so output and exit codes survive an agent restart.
 *
 * Built static: gcc -static -O2 -o init keelson-init.c (deploy/vm/build-initramfs.sh).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <linux/random.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ---- protocol constants (keep in sync with PROTOCOL.md and GuestProtocol.java) ---- */
#define MAGIC 0xB5
#define HDR 11
#define MAX_PAYLOAD (1u << 20)

enum {
  H_HELLO = 0x01, H_TASK_START = 0x02, H_SIGNAL = 0x03, H_EXEC_START = 0x04, H_STDIN = 0x05,
  H_STDIN_EOF = 0x06, H_RESIZE = 0x07, H_TASK_RELEASE = 0x08, H_SHUTDOWN = 0x09, H_POD_CONFIG = 0x0A,
  G_READY = 0x41, G_HELLO_ACK = 0x42, G_STARTED = 0x43, G_START_FAILED = 0x44, G_STDOUT = 0x45,
  G_STDERR = 0x46, G_EXIT = 0x47, G_TASK_STATE = 0x48, G_LOG = 0x49, G_RELEASED = 0x4A,
  G_CONFIGURED = 0x4B,
};

#define OUT_LIMIT (8u << 20) /* stop reading workload output while this much waits for the host */
#define MAXP 256
#define DRAIN_MS 1000 /* how long output may stay open after a process exited (daemons holding it) */

struct buf {
  char *d;
  size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    size_t c = b->cap ? b->cap : 4096;
    while (c < b->len + n) c *= 2;
    b->d = realloc(b->d, c);
    if (!b->d) abort();
    b->cap = c;
  }
  memcpy(b->d + b->len, p, n);
  b->len += n;
}

static void buf_drop(struct buf *b, size_t n) {
  memmove(b->d, b->d + n, b->len - n);
  b->len -= n;
}

struct proc {
  int used;
  uint32_t id;
  int is_task;
  pid_t pid;
  int out_fd, err_fd, in_fd; /* for a tty: out_fd == in_fd == pty master, err_fd == -1 */
  int tty;
  int exited, status;
  long exit_ms;
  int done; /* EXIT sent */
  struct buf inq;
  int stdin_eof;
  /* task only: what exec sessions inherit */
  char root[128];
  char cwd[512];
  char **env;
  int nenv;
  uid_t uid;
  gid_t gid;
  gid_t groups[32];
  int ngroups;
  int mounted;
  long oom_at_start; /* the guest's oom_kill counter when the task started */
};

static struct proc procs[MAXP];
static long oom_kills(void);
static int port_fd = -1;
static int host_up;
static struct buf outq, inbuf;
static int shutting_down;
static long shutdown_deadline;

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void klog(const char *fmt, ...) {
  char m[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(m, sizeof m - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof m - 2) n = sizeof m - 2;
  m[n++] = '\n';
  int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!write(fd, "keelson-init: ", 14);
    (void)!write(fd, m, n);
    close(fd);
  }
}

/* ---- frames ---- */

static void send_frame(int type, uint32_t id, const void *p, uint32_t n) {
  unsigned char h[HDR];
  h[0] = MAGIC;
  h[1] = type;
  h[2] = id >> 24; h[3] = id >> 16; h[4] = id >> 8; h[5] = id;
  h[6] = n >> 24; h[7] = n >> 16; h[8] = n >> 8; h[9] = n;
  unsigned char x = 0x5A;
  for (int i = 0; i < 10; i++) x ^= h[i];
  h[10] = x;
  buf_add(&outq, h, HDR);
  if (n) buf_add(&outq, p, n);
}

/* key=value\0 pairs */
struct kv {
  struct buf b;
};
static void kv_put(struct kv *k, const char *key, const char *val) {
  buf_add(&k->b, key, strlen(key));
  buf_add(&k->b, "=", 1);
  buf_add(&k->b, val, strlen(val) + 1);
}
static void kv_puti(struct kv *k, const char *key, long v) {
  char s[32];
  snprintf(s, sizeof s, "%ld", v);
  kv_put(k, key, s);
}
static void kv_send(struct kv *k, int type, uint32_t id) {
  send_frame(type, id, k->b.d, k->b.len);
  free(k->b.d);
  k->b.d = NULL;
  k->b.len = k->b.cap = 0;
}

/* Iterates the "key=value\0" pairs of a payload: returns the value of the n-th "key" or NULL. */
static const char *kv_get(const char *p, uint32_t n, const char *key, int nth) {
  size_t kl = strlen(key);
  const char *end = p + n;
  while (p < end) {
    size_t l = strnlen(p, end - p);
    if (l > kl && p[kl] == '=' && memcmp(p, key, kl) == 0) {
      if (nth-- == 0) return p + kl + 1;
    }
    p += l + 1;
  }
  return NULL;
}
static int kv_count(const char *p, uint32_t n, const char *key) {
  int c = 0;
  while (kv_get(p, n, key, c)) c++;
  return c;
}

static void send_error(uint32_t id, const char *fmt, ...) {
  char m[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  struct kv k = {0};
  kv_put(&k, "message", m);
  kv_send(&k, G_START_FAILED, id);
  klog("%u: %s", id, m);
}

/* ---- procs ---- */

static struct proc *find(uint32_t id) {
  for (int i = 0; i < MAXP; i++)
    if (procs[i].used && procs[i].id == id) return &procs[i];
  return NULL;
}

static struct proc *alloc_proc(uint32_t id) {
  for (int i = 0; i < MAXP; i++)
    if (!procs[i].used) {
      memset(&procs[i], 0, sizeof procs[i]);
      procs[i].used = 1;
      procs[i].id = id;
      procs[i].out_fd = procs[i].err_fd = procs[i].in_fd = -1;
      return &procs[i];
    }
  return NULL;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void free_proc(struct proc *p) {
  if (p->in_fd != p->out_fd) close_fd(&p->in_fd);
  close_fd(&p->out_fd);
  close_fd(&p->err_fd);
  p->in_fd = -1;
  free(p->inq.d);
  for (int i = 0; i < p->nenv; i++) free(p->env[i]);
  free(p->env);
  p->used = 0;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* ---- filesystem helpers ---- */

static void mkdirs(const char *path, mode_t mode) {
  char p[512];
  snprintf(p, sizeof p, "%s", path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      mkdir(p, mode);
      *s = '/';
    }
  mkdir(p, mode);
}

/* The block device whose virtio serial is `serial` (the host names each disk slot). */
static int find_disk(const char *serial, char *dev, size_t devlen) {
  for (int attempt = 0; attempt < 50; attempt++) {
    DIR *d = opendir("/sys/block");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (strncmp(e->d_name, "vd", 2) != 0) continue;
      char p[300], s[128] = {0};
      snprintf(p, sizeof p, "/sys/block/%s/serial", e->d_name);
      int fd = open(p, O_RDONLY);
      if (fd < 0) continue;
      int n = read(fd, s, sizeof s - 1);
      close(fd);
      while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) s[--n] = 0;
      if (n > 0 && strcmp(s, serial) == 0) {
        snprintf(dev, devlen, "/dev/%s", e->d_name);
        closedir(d);
        return 0;
      }
    }
    if (d) closedir(d);
    usleep(20000);
  }
  return -1;
}

static void mknod_dev(const char *root, const char *name, int maj, int min) {
  char p[512];
  snprintf(p, sizeof p, "%s/dev/%s", root, name);
  mknod(p, S_IFCHR | 0666, makedev(maj, min));
  chmod(p, 0666);
}

/* Mounts the task's rootfs disk and the kernel filesystems a container expects inside it. */
static int mount_task_root(struct proc *t, const char *serial, char *err, size_t errlen) {
  char dev[64], p[512];
  if (find_disk(serial, dev, sizeof dev) != 0) {
    snprintf(err, errlen, "rootfs disk %s not found in the guest", serial);
    return -1;
  }
  /* The host wrote a fresh filesystem into the slot: drop anything the guest cached from it. */
  int fd = open(dev, O_RDONLY);
  if (fd >= 0) {
    ioctl(fd, BLKFLSBUF, 0);
    close(fd);
  }
  snprintf(t->root, sizeof t->root, "/run/tasks/%u", t->id);
  mkdirs(t->root, 0755);
  if (mount(dev, t->root, "ext4", 0, NULL) != 0) {
    snprintf(err, errlen, "mount %s: %s", dev, strerror(errno));
    return -1;
  }
  t->mounted = 1; /* readOnlyRootFilesystem: remounted read-only once the mount points exist */
  const char *dirs[] = {"proc", "sys", "dev", "tmp", "run", "etc"};
  for (unsigned i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    snprintf(p, sizeof p, "%s/%s", t->root, dirs[i]);
    mkdir(p, 0755);
  }
  snprintf(p, sizeof p, "%s/tmp", t->root);
  chmod(p, 01777);
  snprintf(p, sizeof p, "%s/proc", t->root);
  mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  snprintf(p, sizeof p, "%s/sys", t->root);
  mount("sysfs", p, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
  snprintf(p, sizeof p, "%s/dev", t->root);
  mount("tmpfs", p, "tmpfs", MS_NOSUID, "mode=755,size=65536k");
  mknod_dev(t->root, "null", 1, 3);
  mknod_dev(t->root, "zero", 1, 5);
  mknod_dev(t->root, "full", 1, 7);
  mknod_dev(t->root, "random", 1, 8);
  mknod_dev(t->root, "urandom", 1, 9);
  mknod_dev(t->root, "tty", 5, 0);
  snprintf(p, sizeof p, "%s/dev/pts", t->root);
  mkdir(p, 0755);
  mount("/dev/pts", p, NULL, MS_BIND, NULL);
  snprintf(p, sizeof p, "%s/dev/ptmx", t->root);
  symlink("pts/ptmx", p);
  snprintf(p, sizeof p, "%s/dev/shm", t->root);
  mkdir(p, 01777);
  mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k");
  snprintf(p, sizeof p, "%s/dev/fd", t->root);
  symlink("/proc/self/fd", p);
  snprintf(p, sizeof p, "%s/dev/stdin", t->root);
  symlink("/proc/self/fd/0", p);
  snprintf(p, sizeof p, "%s/dev/stdout", t->root);
  symlink("/proc/self/fd/1", p);
  snprintf(p, sizeof p, "%s/dev/stderr", t->root);
  symlink("/proc/self/fd/2", p);
  return 0;
}

/*
 * The pod's volumes disk (serial "volumes"), built by the host from the pod's volume directories
 * before boot and mounted once at /run/volumes: containers of the pod bind-mount from it, so an
 * emptyDir written by one container is seen by the others.
 */
static int volumes_mounted;

static int mount_volumes(char *err, size_t errlen) {
  char dev[64];
  if (volumes_mounted) return 0;
  if (find_disk("volumes", dev, sizeof dev) != 0) {
    snprintf(err, errlen, "the pod's volumes disk is not attached");
    return -1;
  }
  /* A warm VM had the (then empty) disk at boot; the host wrote it when a pod took the VM. */
  int fd = open(dev, O_RDONLY);
  if (fd >= 0) {
    ioctl(fd, BLKFLSBUF, 0);
    close(fd);
  }
  mkdirs("/run/volumes", 0755);
  if (mount(dev, "/run/volumes", "ext4", 0, NULL) != 0) {
    snprintf(err, errlen, "mount volumes %s: %s", dev, strerror(errno));
    return -1;
  }
  volumes_mounted = 1;
  return 0;
}

/* bind=<ro|rw>\n<path under /run/volumes>\n<container path>, in order. */
static int bind_volumes(struct proc *t, const char *p, uint32_t n, char *err, size_t errlen) {
  for (int i = 0;; i++) {
    const char *b = kv_get(p, n, "bind", i);
    if (!b) return 0;
    char spec[1024];
    snprintf(spec, sizeof spec, "%s", b);
    char *src = strchr(spec, '\n');
    char *dst = src ? strchr(src + 1, '\n') : NULL;
    if (!src || !dst) {
      snprintf(err, errlen, "bad bind spec");
      return -1;
    }
    *src++ = 0;
    *dst++ = 0;
    if (mount_volumes(err, errlen) != 0) return -1;
    char from[600], to[1200];
    snprintf(from, sizeof from, "/run/volumes/%s", src);
    snprintf(to, sizeof to, "%s/%s", t->root, dst[0] == '/' ? dst + 1 : dst);
    struct stat st;
    if (stat(from, &st) != 0) {
      snprintf(err, errlen, "volume path %s: %s", src, strerror(errno));
      return -1;
    }
    if (S_ISDIR(st.st_mode)) {
      mkdirs(to, 0755);
    } else {
      char parent[1200];
      snprintf(parent, sizeof parent, "%s", to);
      char *slash = strrchr(parent, '/');
      if (slash) *slash = 0;
      mkdirs(parent, 0755);
      int fd = open(to, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd >= 0) close(fd);
    }
    if (mount(from, to, NULL, MS_BIND | MS_REC, NULL) != 0) {
      snprintf(err, errlen, "bind %s to %s: %s", src, dst, strerror(errno));
      return -1;
    }
    if (strcmp(spec, "ro") == 0) mount(NULL, to, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
  }
}

static void umount_task_root(struct proc *t) {
  if (!t->mounted) return;
  const char *subs[] = {"dev/shm", "dev/pts", "dev", "sys", "proc"};
  char p[512];
  for (unsigned i = 0; i < sizeof subs / sizeof *subs; i++) {
    snprintf(p, sizeof p, "%s/%s", t->root, subs[i]);
    umount2(p, MNT_DETACH);
  }
  sync();
  if (umount2(t->root, 0) != 0) umount2(t->root, MNT_DETACH);
  rmdir(t->root);
  t->mounted = 0;
}

/* ---- starting processes ---- */

static const char *env_lookup(char **env, const char *key) {
  size_t kl = strlen(key);
  for (char **e = env; e && *e; e++)
    if (strncmp(*e, key, kl) == 0 && (*e)[kl] == '=') return *e + kl + 1;
  return NULL;
}

/* execvpe with the container's PATH (resolved inside the chroot). */
static void exec_in_path(char **argv, char **env) {
  if (strchr(argv[0], '/')) {
    execve(argv[0], argv, env);
    return;
  }
  const char *path = env_lookup(env, "PATH");
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char cand[1024];
  int last = ENOENT;
  for (const char *s = path;; s = strchr(s, ':') + 1) {
    const char *e = strchr(s, ':');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    snprintf(cand, sizeof cand, "%.*s/%s", (int)l, l ? s : ".", argv[0]);
    execve(cand, argv, env);
    if (errno != ENOENT) last = errno;
    if (!e) break;
  }
  errno = last;
}

/*
 * Forks a process in `t`'s root with argv/env, wiring stdio. Returns the pid or -1 with `err` set
 * (the exec failure is reported back through a close-on-exec pipe).
 */
static pid_t spawn(struct proc *t, char **argv, char **env, int tty_slave, int fds[3], char *err,
                   size_t errlen) {
  int ep[2];
  if (pipe2(ep, O_CLOEXEC) != 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "fork: %s", strerror(errno));
    close(ep[0]);
    close(ep[1]);
    return -1;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    setsid();
    if (tty_slave >= 0) {
      ioctl(tty_slave, TIOCSCTTY, 0);
      dup2(tty_slave, 0);
      dup2(tty_slave, 1);
      dup2(tty_slave, 2);
    } else {
      dup2(fds[0], 0);
      dup2(fds[1], 1);
      dup2(fds[2], 2);
    }
    int keep = ep[1];
    for (int fd = 3; fd < 1024; fd++)
      if (fd != keep) close(fd);
    const char *what = "chroot";
    if (chroot(t->root) != 0) goto fail;
    what = "chdir";
    if (chdir(t->cwd[0] ? t->cwd : "/") != 0) {
      /* Kubernetes creates a missing workingDir. */
      mkdirs(t->cwd, 0755);
      if (chdir(t->cwd) != 0) goto fail;
    }
    what = "setgroups";
    if (setgroups(t->ngroups, t->groups) != 0) goto fail;
    what = "setgid";
    if (setgid(t->gid) != 0) goto fail;
    what = "setuid";
    if (setuid(t->uid) != 0) goto fail;
    what = "exec";
    exec_in_path(argv, env);
  fail:;
    char m[600];
    int e = errno;
    if (strcmp(what, "exec") == 0 && e == ENOENT)
      snprintf(m, sizeof m, "exec: \"%s\": executable file not found in $PATH", argv[0]);
    else if (strcmp(what, "exec") == 0)
      snprintf(m, sizeof m, "exec: \"%s\": %s", argv[0], strerror(e));
    else
      snprintf(m, sizeof m, "%s: %s", what, strerror(e));
    (void)!write(ep[1], m, strlen(m));
    _exit(127);
  }
  close(ep[1]);
  int n = read(ep[0], err, errlen - 1);
  close(ep[0]);
  if (n > 0) {
    err[n] = 0;
    int st;
    waitpid(pid, &st, 0);
    return -1;
  }
  return pid;
}

static char **kv_list(const char *p, uint32_t n, const char *key, int *count) {
  int c = kv_count(p, n, key);
  char **v = calloc(c + 1, sizeof *v);
  for (int i = 0; i < c; i++) v[i] = strdup(kv_get(p, n, key, i));
  if (count) *count = c;
  return v;
}

static void free_list(char **v) {
  for (char **e = v; e && *e; e++) free(*e);
  free(v);
}

static void task_start(uint32_t id, const char *p, uint32_t n) {
  char err[600] = {0};
  if (find(id)) {
    send_error(id, "task %u already exists", id);
    return;
  }
  const char *disk = kv_get(p, n, "disk", 0);
  int argc = kv_count(p, n, "arg");
  if (!disk || argc == 0) {
    send_error(id, "task start needs disk= and at least one arg=");
    return;
  }
  struct proc *t = alloc_proc(id);
  if (!t) {
    send_error(id, "too many processes in the guest");
    return;
  }
  t->is_task = 1;
  const char *v;
  if ((v = kv_get(p, n, "cwd", 0))) snprintf(t->cwd, sizeof t->cwd, "%s", v);
  if ((v = kv_get(p, n, "uid", 0))) t->uid = atoi(v);
  if ((v = kv_get(p, n, "gid", 0))) t->gid = atoi(v);
  for (int i = 0; i < 32 && (v = kv_get(p, n, "group", i)); i++) t->groups[t->ngroups++] = atoi(v);
  t->env = kv_list(p, n, "env", &t->nenv);
  const char *ro = kv_get(p, n, "ro", 0);
  if (mount_task_root(t, disk, err, sizeof err) != 0 || bind_volumes(t, p, n, err, sizeof err) != 0) {
    send_error(id, "%s", err);
    umount_task_root(t);
    free_proc(t);
    return;
  }
  if (ro && strcmp(ro, "1") == 0) mount(NULL, t->root, NULL, MS_REMOUNT | MS_RDONLY, NULL);
  int o[2], e[2];
  if (pipe2(o, O_CLOEXEC) != 0 || pipe2(e, O_CLOEXEC) != 0) {
    send_error(id, "pipe: %s", strerror(errno));
    umount_task_root(t);
    free_proc(t);
    return;
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int fds[3] = {devnull, o[1], e[1]};
  char **argv = kv_list(p, n, "arg", NULL);
  pid_t pid = spawn(t, argv, t->env, -1, fds, err, sizeof err);
  free_list(argv);
  close(devnull);
  close(o[1]);
  close(e[1]);
  if (pid < 0) {
    close(o[0]);
    close(e[0]);
    send_error(id, "%s", err);
    umount_task_root(t);
    free_proc(t);
    return;
  }
  t->pid = pid;
  t->oom_at_start = oom_kills();
  t->out_fd = o[0];
  t->err_fd = e[0];
  set_nonblock(o[0]);
  set_nonblock(e[0]);
  struct kv k = {0};
  kv_puti(&k, "pid", pid);
  kv_send(&k, G_STARTED, id);
}

static void exec_start(uint32_t id, const char *p, uint32_t n) {
  char err[600] = {0};
  const char *tv = kv_get(p, n, "task", 0);
  struct proc *t = tv ? find((uint32_t)strtoul(tv, NULL, 10)) : NULL;
  if (!t || !t->is_task || !t->mounted) {
    send_error(id, "container is not running");
    return;
  }
  if (t->exited) {
    send_error(id, "container is not running (exited)");
    return;
  }
  if (find(id) || kv_count(p, n, "arg") == 0) {
    send_error(id, "bad exec request");
    return;
  }
  struct proc *x = alloc_proc(id);
  if (!x) {
    send_error(id, "too many processes in the guest");
    return;
  }
  memcpy(x->root, t->root, sizeof x->root);
  memcpy(x->cwd, t->cwd, sizeof x->cwd);
  x->uid = t->uid;
  x->gid = t->gid;
  memcpy(x->groups, t->groups, sizeof x->groups);
  x->ngroups = t->ngroups;
  const char *tty = kv_get(p, n, "tty", 0);
  x->tty = tty && strcmp(tty, "1") == 0;
  char **argv = kv_list(p, n, "arg", NULL);
  pid_t pid;
  if (x->tty) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
      send_error(id, "pty: %s", strerror(errno));
      if (m >= 0) close(m);
      free_list(argv);
      free_proc(x);
      return;
    }
    struct winsize ws = {0};
    const char *c = kv_get(p, n, "cols", 0), *r = kv_get(p, n, "rows", 0);
    ws.ws_col = c ? atoi(c) : 80;
    ws.ws_row = r ? atoi(r) : 24;
    ioctl(m, TIOCSWINSZ, &ws);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
    char **env = calloc(t->nenv + 2, sizeof *env);
    int ne = 0;
    for (int i = 0; i < t->nenv; i++) env[ne++] = t->env[i];
    if (!env_lookup(t->env, "TERM")) env[ne++] = "TERM=xterm";
    pid = spawn(x, argv, env, s, NULL, err, sizeof err);
    free(env);
    close(s);
    if (pid < 0) {
      close(m);
    } else {
      x->out_fd = x->in_fd = m;
      set_nonblock(m);
    }
  } else {
    int i[2], o[2], e[2];
    pipe2(i, O_CLOEXEC);
    pipe2(o, O_CLOEXEC);
    pipe2(e, O_CLOEXEC);
    int fds[3] = {i[0], o[1], e[1]};
    pid = spawn(x, argv, t->env, -1, fds, err, sizeof err);
    close(i[0]);
    close(o[1]);
    close(e[1]);
    if (pid < 0) {
      close(i[1]);
      close(o[0]);
      close(e[0]);
    } else {
      x->in_fd = i[1];
      x->out_fd = o[0];
      x->err_fd = e[0];
      set_nonblock(i[1]);
      set_nonblock(o[0]);
      set_nonblock(e[0]);
    }
  }
  free_list(argv);
  if (pid < 0) {
    send_error(id, "%s", err);
    free_proc(x);
    return;
  }
  x->pid = pid;
  struct kv k = {0};
  kv_puti(&k, "pid", pid);
  kv_send(&k, G_STARTED, id);
}

/* How many processes the guest kernel's OOM killer has killed so far (/proc/vmstat oom_kill). */
static long oom_kills(void) {
  FILE *f = fopen("/proc/vmstat", "r");
  char line[128];
  long n = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "oom_kill %ld", &n) == 1) break;
  if (f) fclose(f);
  return n;
}

static void send_exit(struct proc *p) {
  struct kv k = {0};
  int st = p->status;
  if (WIFSIGNALED(st)) {
    kv_puti(&k, "code", 128 + WTERMSIG(st));
    kv_puti(&k, "signal", WTERMSIG(st));
    /* Killed by SIGKILL while the OOM killer struck: the VM ran out of memory. */
    if (p->is_task && WTERMSIG(st) == SIGKILL && oom_kills() > p->oom_at_start) kv_put(&k, "oom", "1");
  } else {
    kv_puti(&k, "code", WEXITSTATUS(st));
  }
  kv_send(&k, G_EXIT, p->id);
  p->done = 1;
  if (!p->is_task) free_proc(p);
  /* A task keeps its rootfs mounted (for `kubectl logs`-style inspection and exec into a stopped
   * task is refused) until the host releases it. */
}

static void send_task_state(struct proc *p) {
  struct kv k = {0};
  if (p->exited) {
    kv_put(&k, "state", "exited");
    int st = p->status;
    kv_puti(&k, "code", WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
    if (WIFSIGNALED(st)) kv_puti(&k, "signal", WTERMSIG(st));
  } else {
    kv_put(&k, "state", "running");
    kv_puti(&k, "pid", p->pid);
  }
  kv_send(&k, G_TASK_STATE, p->id);
}

static void signal_proc(struct proc *p, int sig) {
  if (p->exited) return;
  kill(p->pid, sig);
  if (sig == SIGKILL) kill(-p->pid, SIGKILL);
}

static void power_off(void) {
  klog("powering off");
  for (int i = 0; i < MAXP; i++)
    if (procs[i].used && procs[i].is_task) umount_task_root(&procs[i]);
  sync();
  reboot(RB_POWER_OFF);
  _exit(0);
}

static void pod_config(const char *p, uint32_t n);

static void handle_frame(int type, uint32_t id, const char *p, uint32_t n) {
  struct proc *x;
  switch (type) {
  case H_HELLO: /* the state of every task, then the ack: when the host sees it, it knows all */
    for (int i = 0; i < MAXP; i++) {
      if (procs[i].used && procs[i].is_task) send_task_state(&procs[i]);
      /* exec sessions belonged to the previous agent connection: nobody can resume them */
      if (procs[i].used && !procs[i].is_task) signal_proc(&procs[i], SIGKILL);
    }
    send_frame(G_HELLO_ACK, id, p, n);
    break;
  case H_TASK_START:
    task_start(id, p, n);
    break;
  case H_EXEC_START:
    exec_start(id, p, n);
    break;
  case H_SIGNAL: {
    const char *s = kv_get(p, n, "sig", 0);
    if ((x = find(id)) && s) signal_proc(x, atoi(s));
    break;
  }
  case H_STDIN:
    if ((x = find(id)) && x->in_fd >= 0 && !x->stdin_eof) buf_add(&x->inq, p, n);
    break;
  case H_STDIN_EOF:
    if ((x = find(id))) {
      x->stdin_eof = 1;
      if (x->tty && x->in_fd >= 0) {
        char eot = 4;
        buf_add(&x->inq, &eot, 1);
      }
    }
    break;
  case H_RESIZE:
    if ((x = find(id)) && x->tty && x->in_fd >= 0) {
      struct winsize ws = {0};
      const char *c = kv_get(p, n, "cols", 0), *r = kv_get(p, n, "rows", 0);
      ws.ws_col = c ? atoi(c) : 80;
      ws.ws_row = r ? atoi(r) : 24;
      ioctl(x->in_fd, TIOCSWINSZ, &ws);
      kill(-x->pid, SIGWINCH);
    }
    break;
  case H_TASK_RELEASE:
    if ((x = find(id)) && x->is_task) {
      if (!x->exited) {
        /* SIGKILL is quick: wait for it, so that the filesystem is really unmounted below */
        signal_proc(x, SIGKILL);
        if (waitpid(x->pid, &x->status, 0) == x->pid) x->exited = 1;
      }
      umount_task_root(x);
      free_proc(x);
    }
    /* The host rewrites the disk slot only after this. */
    send_frame(G_RELEASED, id, NULL, 0);
    break;
  case H_POD_CONFIG:
    pod_config(p, n);
    break;
  case H_SHUTDOWN: {
    const char *g = kv_get(p, n, "grace", 0);
    shutting_down = 1;
    shutdown_deadline = now_ms() + (g ? atol(g) : 10) * 1000L;
    for (int i = 0; i < MAXP; i++)
      if (procs[i].used) signal_proc(&procs[i], SIGTERM);
    break;
  }
  default:
    klog("unknown frame type %d", type);
  }
}

/* Parses complete frames out of inbuf; skips bytes until a valid header (resync after a reconnect). */
static void parse_input(void) {
  size_t off = 0;
  while (inbuf.len - off >= HDR) {
    unsigned char *h = (unsigned char *)inbuf.d + off;
    unsigned char x = 0x5A;
    for (int i = 0; i < 10; i++) x ^= h[i];
    uint32_t n = (uint32_t)h[6] << 24 | h[7] << 16 | h[8] << 8 | h[9];
    if (h[0] != MAGIC || h[10] != x || n > MAX_PAYLOAD) {
      off++;
      continue;
    }
    if (inbuf.len - off < HDR + n) break;
    uint32_t id = (uint32_t)h[2] << 24 | h[3] << 16 | h[4] << 8 | h[5];
    /* copy: handlers may queue output but never touch inbuf */
    char *payload = malloc(n + 1);
    memcpy(payload, h + HDR, n);
    payload[n] = 0;
    handle_frame(h[1], id, payload, n);
    free(payload);
    off += HDR + n;
  }
  buf_drop(&inbuf, off);
}

/* ---- boot ---- */

static void load_modules(void) {
  FILE *f = fopen("/modules.load", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) continue;
    char path[300];
    snprintf(path, sizeof path, "/modules/%s", line);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      klog("module %s: %s", path, strerror(errno));
      continue;
    }
    if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
      klog("insmod %s: %s", line, strerror(errno));
    close(fd);
  }
  if (f) fclose(f);
}

static char cmdline[4096];

static const char *param(const char *key) {
  static char val[256];
  size_t kl = strlen(key);
  for (char *s = cmdline; *s;) {
    while (*s == ' ' || *s == '\n') s++;
    char *e = s + strcspn(s, " \n");
    if ((size_t)(e - s) > kl && s[kl] == '=' && strncmp(s, key, kl) == 0) {
      snprintf(val, sizeof val, "%.*s", (int)(e - s - kl - 1), s + kl + 1);
      return val;
    }
    s = e;
  }
  return NULL;
}

static int if_up(int sock, const char *name) {
  struct ifreq r = {0};
  snprintf(r.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(sock, SIOCGIFFLAGS, &r) != 0) return -1;
  r.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl(sock, SIOCSIFFLAGS, &r);
}

/*
 * Gives eth0 the pod's address (A.B.C.D/prefix), MAC (optional, set while eth0 is still down) and
 * default route. Returns 0, or -1 with the reason in err.
 */
static int configure_eth0(const char *ip, const char *gw, const char *mac, char *err, size_t errlen) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int rc = 0;
  char addr[64];
  snprintf(addr, sizeof addr, "%s", ip);
  int prefix = 24;
  char *slash = strchr(addr, '/');
  if (slash) {
    *slash = 0;
    prefix = atoi(slash + 1);
  }
  struct ifreq r = {0};
  snprintf(r.ifr_name, IFNAMSIZ, "eth0");
  for (int i = 0; i < 100 && ioctl(s, SIOCGIFFLAGS, &r) != 0; i++) usleep(20000);
  if (mac && *mac) {
    unsigned int b[6];
    struct ifreq h = {0};
    snprintf(h.ifr_name, IFNAMSIZ, "eth0");
    if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6) {
      h.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
      for (int i = 0; i < 6; i++) h.ifr_hwaddr.sa_data[i] = (char)b[i];
      if (ioctl(s, SIOCSIFHWADDR, &h) != 0) klog("eth0 MAC %s: %s", mac, strerror(errno));
    }
  }
  struct sockaddr_in *sin = (struct sockaddr_in *)&r.ifr_addr;
  sin->sin_family = AF_INET;
  if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
    snprintf(err, errlen, "bad address %s", ip);
    close(s);
    return -1;
  }
  if (ioctl(s, SIOCSIFADDR, &r) != 0) {
    snprintf(err, errlen, "eth0 address %s: %s", addr, strerror(errno));
    rc = -1;
  }
  sin->sin_addr.s_addr = prefix ? htonl(0xffffffffu << (32 - prefix)) : 0;
  if (ioctl(s, SIOCSIFNETMASK, &r) != 0) klog("eth0 netmask: %s", strerror(errno));
  if (if_up(s, "eth0") != 0 && rc == 0) {
    snprintf(err, errlen, "eth0 up: %s", strerror(errno));
    rc = -1;
  }
  if (gw && *gw) {
    struct rtentry rt = {0};
    struct sockaddr_in *g = (struct sockaddr_in *)&rt.rt_gateway;
    g->sin_family = AF_INET;
    inet_pton(AF_INET, gw, &g->sin_addr);
    ((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
    ((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    rt.rt_dev = "eth0";
    if (ioctl(s, SIOCADDRT, &rt) != 0 && rc == 0) {
      snprintf(err, errlen, "default route via %s: %s", gw, strerror(errno));
      rc = -1;
    }
  }
  close(s);
  return rc;
}

/* keelson.ip=A.B.C.D/prefix keelson.gw=A.B.C.D on the command line configure eth0. */
static void setup_network(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if_up(s, "lo");
  close(s);
  const char *ip = param("keelson.ip");
  if (ip) {
    char ipc[64], gwc[64] = "", err[256];
    snprintf(ipc, sizeof ipc, "%s", ip); /* param() reuses its buffer */
    const char *gw = param("keelson.gw");
    if (gw) snprintf(gwc, sizeof gwc, "%s", gw);
    if (configure_eth0(ipc, gwc, NULL, err, sizeof err) != 0) klog("%s", err);
  }
  const char *hn = param("keelson.hostname");
  if (hn) sethostname(hn, strlen(hn));
}

/*
 * seed=<hex>: bytes from the host's CSPRNG, credited to the guest's input pool, then the CRNG is
 * reseeded at once. A VM restored from a template resumes with the template's CRNG state in its
 * RAM: without this every restored VM would hand out the same "random" bytes.
 */
static void reseed(const char *hex) {
  if (!hex) return;
  struct {
    int entropy_count, buf_size;
    unsigned char buf[256];
  } e = {0};
  size_t n = strlen(hex) / 2;
  if (n > sizeof e.buf) n = sizeof e.buf;
  for (size_t i = 0; i < n; i++) {
    unsigned int b;
    if (sscanf(hex + 2 * i, "%2x", &b) != 1) return;
    e.buf[i] = (unsigned char)b;
  }
  e.buf_size = (int)n;
  e.entropy_count = (int)n * 8;
  int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    klog("reseed: /dev/urandom: %s", strerror(errno));
    return;
  }
  if (ioctl(fd, RNDADDENTROPY, &e) != 0) klog("reseed: RNDADDENTROPY: %s", strerror(errno));
  if (ioctl(fd, RNDRESEEDCRNG) != 0) klog("reseed: RNDRESEEDCRNG: %s", strerror(errno));
  close(fd);
}

/*
 * POD_CONFIG: a warm or restored VM (booted without a pod) is given its pod: seed= (reseeds the
 * CRNG), time= (sets the clock), network (ip=, gw=, mac=) and hostname=. Answered with
 * CONFIGURED, carrying error= when something failed.
 */
static void pod_config(const char *p, uint32_t n) {
  char err[256] = "";
  reseed(kv_get(p, n, "seed", 0));
  const char *tm = kv_get(p, n, "time", 0);
  if (tm) { /* a restored VM wakes with the template's clock: take the host's */
    struct timespec ts = {0};
    char frac[10] = "000000000";
    const char *dot = strchr(tm, '.');
    ts.tv_sec = atol(tm);
    if (dot) {
      size_t fl = strspn(dot + 1, "0123456789");
      memcpy(frac, dot + 1, fl > 9 ? 9 : fl);
    }
    ts.tv_nsec = atol(frac);
    if (clock_settime(CLOCK_REALTIME, &ts) != 0) klog("clock_settime: %s", strerror(errno));
  }
  const char *ip = kv_get(p, n, "ip", 0);
  if (ip && configure_eth0(ip, kv_get(p, n, "gw", 0), kv_get(p, n, "mac", 0), err, sizeof err) != 0)
    klog("pod config: %s", err);
  const char *hn = kv_get(p, n, "hostname", 0);
  if (hn && sethostname(hn, strlen(hn)) != 0 && !err[0])
    snprintf(err, sizeof err, "hostname %s: %s", hn, strerror(errno));
  struct kv k = {0};
  if (err[0]) kv_put(&k, "error", err);
  kv_send(&k, G_CONFIGURED, 0);
}

/* The virtio-serial port the host named "keelson.0". */
static int open_port(void) {
  for (int attempt = 0; attempt < 500; attempt++) {
    DIR *d = opendir("/sys/class/virtio-ports");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char p[300], name[64] = {0};
      snprintf(p, sizeof p, "/sys/class/virtio-ports/%s/name", e->d_name);
      int fd = open(p, O_RDONLY);
      if (fd < 0) continue;
      int n = read(fd, name, sizeof name - 1);
      close(fd);
      while (n > 0 && name[n - 1] == '\n') name[--n] = 0;
      if (strcmp(name, "keelson.0") == 0) {
        snprintf(p, sizeof p, "/dev/%s", e->d_name);
        closedir(d);
        for (int i = 0; i < 100; i++) {
          fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
          if (fd >= 0) return fd;
          usleep(10000);
        }
        return -1;
      }
    }
    if (d) closedir(d);
    usleep(10000);
  }
  return -1;
}

/* ---- main loop ---- */

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (int i = 0; i < MAXP; i++) {
      struct proc *p = &procs[i];
      if (p->used && p->pid == pid && !p->exited) {
        p->exited = 1;
        p->status = st;
        p->exit_ms = now_ms();
        if (p->is_task) kill(-pid, SIGKILL); /* the container's other processes go with it */
        if (p->is_task && p->done) { /* released while running */
          free_proc(p);
        }
        break;
      }
    }
  }
}

static int read_output(struct proc *p, int *fd, int type) {
  char b[16384];
  ssize_t n = read(*fd, b, sizeof b);
  if (n > 0) {
    send_frame(type, p->id, b, n);
    return 1;
  }
  if (n == 0 || (errno != EAGAIN && errno != EINTR)) { /* EOF, or EIO on a pty whose slave closed */
    if (p->in_fd == *fd) p->in_fd = -1;
    close_fd(fd);
  }
  return 0;
}

int main(void) {
  mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  mkdir("/proc", 0755);
  mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mkdir("/sys", 0755);
  mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mkdir("/dev/pts", 0755);
  mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666");
  mkdir("/run", 0755);
  mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
  int fd = open("/proc/cmdline", O_RDONLY);
  if (fd >= 0) {
    (void)!read(fd, cmdline, sizeof cmdline - 1);
    close(fd);
  }
  if (param("keelson.probe")) { /* acceleration probe: booting is all that is asked */
    klog("probe ok");
    reboot(RB_POWER_OFF);
  }
  load_modules();
  klog("modules loaded");
  setup_network();

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);

  port_fd = open_port();
  if (port_fd < 0) {
    klog("virtio-serial port keelson.0 not found; powering off");
    power_off();
  }
  struct utsname u;
  uname(&u);
  struct kv k = {0};
  kv_put(&k, "kernel", u.release);
  kv_put(&k, "caps", "time,seed"); /* POD_CONFIG keys a restored VM needs (the driver checks) */
  kv_send(&k, G_READY, 0);
  klog("ready (kernel %s)", u.release);

  long next_port_check = 0;
  for (;;) {
    struct pollfd pf[3 * MAXP + 2];
    struct proc *owner[3 * MAXP + 2];
    int which[3 * MAXP + 2];
    int np = 0;
    long now = now_ms();
    int timeout = 1000;

    if (!host_up && now >= next_port_check) {
      struct pollfd t = {port_fd, POLLIN, 0};
      poll(&t, 1, 0);
      if (!(t.revents & POLLHUP)) host_up = 1;
      else next_port_check = now + 100;
    }
    if (host_up) {
      pf[np] = (struct pollfd){port_fd, POLLIN | (outq.len ? POLLOUT : 0), 0};
      owner[np] = NULL;
      which[np++] = 0;
    } else {
      timeout = 100;
    }
    pf[np] = (struct pollfd){sfd, POLLIN, 0};
    owner[np] = NULL;
    which[np++] = 1;
    for (int i = 0; i < MAXP; i++) {
      struct proc *p = &procs[i];
      if (!p->used) continue;
      if (outq.len < OUT_LIMIT) {
        if (p->out_fd >= 0) {
          pf[np] = (struct pollfd){p->out_fd, POLLIN, 0};
          owner[np] = p;
          which[np++] = 2;
        }
        if (p->err_fd >= 0) {
          pf[np] = (struct pollfd){p->err_fd, POLLIN, 0};
          owner[np] = p;
          which[np++] = 3;
        }
      }
      if (p->in_fd >= 0 && p->in_fd != p->out_fd && (p->inq.len || p->stdin_eof)) {
        pf[np] = (struct pollfd){p->in_fd, POLLOUT, 0};
        owner[np] = p;
        which[np++] = 4;
      }
      if (p->in_fd >= 0 && p->in_fd == p->out_fd && p->inq.len) {
        /* tty master: write input opportunistically below */
        timeout = 10;
      }
      if (p->exited && !p->done) timeout = 50;
    }
    if (shutting_down) timeout = 50;

    int r = poll(pf, np, timeout);
    if (r < 0 && errno != EINTR) klog("poll: %s", strerror(errno));
    for (int i = 0; r > 0 && i < np; i++) {
      if (!pf[i].revents) continue;
      struct proc *p = owner[i];
      switch (which[i]) {
      case 0: { /* port */
        if (pf[i].revents & POLLIN) {
          char b[65536];
          ssize_t n;
          while ((n = read(port_fd, b, sizeof b)) > 0) buf_add(&inbuf, b, n);
          parse_input();
        }
        if (pf[i].revents & POLLHUP) {
          host_up = 0; /* the agent went away: keep queueing, resync on the next HELLO */
          inbuf.len = 0;
          next_port_check = now_ms() + 100;
        }
        break;
      }
      case 1: {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == sizeof si) {
        }
        reap();
        break;
      }
      case 2:
        if (p->used && p->out_fd == pf[i].fd) read_output(p, &p->out_fd, G_STDOUT);
        break;
      case 3:
        if (p->used && p->err_fd == pf[i].fd) read_output(p, &p->err_fd, G_STDERR);
        break;
      case 4:
        break; /* handled below */
      }
    }
    /* stdin towards processes */
    for (int i = 0; i < MAXP; i++) {
      struct proc *p = &procs[i];
      if (!p->used || p->in_fd < 0) continue;
      while (p->inq.len) {
        ssize_t n = write(p->in_fd, p->inq.d, p->inq.len);
        if (n <= 0) break;
        buf_drop(&p->inq, n);
      }
      if (!p->inq.len && p->stdin_eof && p->in_fd != p->out_fd) close_fd(&p->in_fd);
    }
    /* finished processes: report once their output is drained (or DRAIN_MS passed) */
    now = now_ms();
    for (int i = 0; i < MAXP; i++) {
      struct proc *p = &procs[i];
      if (!p->used || !p->exited || p->done) continue;
      int open_out = p->out_fd >= 0 || p->err_fd >= 0;
      if (open_out && now - p->exit_ms < DRAIN_MS) {
        /* drain what is readable now */
        if (p->out_fd >= 0) while (read_output(p, &p->out_fd, G_STDOUT)) {}
        if (p->err_fd >= 0) while (read_output(p, &p->err_fd, G_STDERR)) {}
        continue;
      }
      if (p->in_fd == p->out_fd) p->in_fd = -1;
      close_fd(&p->out_fd);
      close_fd(&p->err_fd);
      close_fd(&p->in_fd);
      send_exit(p);
    }
    if (shutting_down) {
      int alive = 0;
      for (int i = 0; i < MAXP; i++)
        if (procs[i].used && !procs[i].exited) alive++;
      if (now >= shutdown_deadline)
        for (int i = 0; i < MAXP; i++)
          if (procs[i].used) signal_proc(&procs[i], SIGKILL);
      if (!alive || now >= shutdown_deadline + 2000) {
        /* give the host a moment to read the last exits, then go */
        if (host_up && outq.len) {
          struct pollfd t = {port_fd, POLLOUT, 0};
          for (int j = 0; j < 20 && outq.len && poll(&t, 1, 50) > 0; j++) {
            ssize_t n = write(port_fd, outq.d, outq.len);
            if (n > 0) buf_drop(&outq, n);
          }
        }
        power_off();
      }
    }
    /* towards the host */
    if (host_up) {
      while (outq.len) {
        ssize_t n = write(port_fd, outq.d, outq.len > 65536 ? 65536 : outq.len);
        if (n <= 0) break;
        buf_drop(&outq, n);
      }
    }
  }
}
