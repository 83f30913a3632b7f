// A fake Linux GPIO character device for tests, loaded with LD_PRELOAD. An open() of
// $FAKE_GPIOCHIP_DEV/$FAKE_GPIOCHIP_NAME gives a fake chip fd, and the uAPI v2 ioctls on it (and on the
// line-request fds it hands out) answer the way the kernel does. It is built against the real
// <linux/gpio.h>, so the struct layouts and ioctl numbers are the kernel's, not a guess. The daemon's
// Python helper runs unchanged on top of it on a machine with no GPIO chip.
//
// Line state lives in $FAKE_GPIOCHIP_STATE, shared with the Node test process (fake-gpiochip.mjs): one
// 64-byte row per line, "L PPPPPPPPPP FFFFFFFF consumer<spaces>\n" (level, holder pid, flags in hex,
// consumer). Every operation opens the file afresh, takes flock(LOCK_EX), reads it, pwrites back only the
// fields it changed (the level byte, or bytes 1..63) and closes it. Node cannot flock, so it writes in
// place too: an input's level byte (one byte cannot tear) or a holder's bytes 1..63. The two sides never
// write the same bytes, so no update is lost, and a row that does not parse is read again.
// Each change of a line's level is appended to $FAKE_GPIOCHIP_STATE.log as "<offset>=<0|1>".

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/gpio.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define ROW 64
#define MAX_FDS 32
#define BIT(i) (1ULL << (i))
#define FLAG(name) ((uint64_t)GPIO_V2_LINE_FLAG_##name)

// The real libc functions, resolved on first use; a missing one means a broken libc: abort loudly.
static struct {
  int (*open)(const char *, int, ...), (*open64)(const char *, int, ...);
  int (*openat)(int, const char *, int, ...), (*openat64)(int, const char *, int, ...);
  int (*close)(int), (*ioctl)(int, unsigned long, ...);
} real;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static void *next_symbol(const char *name) {
  void *f = dlsym(RTLD_NEXT, name);
  if (!f) fprintf(stderr, "fake-gpiochip: dlsym(RTLD_NEXT, %s) failed\n", name), abort();
  return f;
}
static void resolve_real(void) {
  real.open = next_symbol("open"), real.open64 = next_symbol("open64");
  real.openat = next_symbol("openat"), real.openat64 = next_symbol("openat64");
  real.close = next_symbol("close"), real.ioctl = next_symbol("ioctl");
}
#define REAL(fn) (pthread_once(&real_once, resolve_real), real.fn)

static int fail(int err) { return errno = err, -1; }

// Configuration from the environment, read once per process.
static struct {
  char dev[PATH_MAX], chip[PATH_MAX], state[PATH_MAX], name[GPIO_MAX_NAME_SIZE], label[GPIO_MAX_NAME_SIZE];
  unsigned lines;
} cfg;
static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;
static void load_cfg(void) {
  const char *dev = getenv("FAKE_GPIOCHIP_DEV"), *name = getenv("FAKE_GPIOCHIP_NAME");
  const char *label = getenv("FAKE_GPIOCHIP_LABEL"), *lines = getenv("FAKE_GPIOCHIP_LINES");
  const char *state = getenv("FAKE_GPIOCHIP_STATE");
  snprintf(cfg.name, sizeof cfg.name, "%s", name && *name ? name : "gpiochip0");
  snprintf(cfg.label, sizeof cfg.label, "%s", label && *label ? label : "pinctrl-bcm2711");
  if (snprintf(cfg.state, sizeof cfg.state, "%s", state ? state : "") >= PATH_MAX - 16) cfg.state[0] = '\0';
  char *end = "";
  long n = lines && *lines ? strtol(lines, &end, 10) : 58;
  cfg.lines = !*end && n >= 1 && n <= GPIO_V2_LINES_MAX ? (unsigned)n : 0; // 0: refuse to open the chip
  char cwd[PATH_MAX] = "";
  if (!dev || !*dev || (dev[0] != '/' && !getcwd(cwd, sizeof cwd))) return;
  if (snprintf(cfg.dev, sizeof cfg.dev, "%s%s%s", cwd, *cwd ? "/" : "", dev) >= PATH_MAX - GPIO_MAX_NAME_SIZE)
    cfg.dev[0] = '\0'; // too long: intercept nothing
  for (size_t len = strlen(cfg.dev); len > 1 && cfg.dev[len - 1] == '/'; len--) cfg.dev[len - 1] = '\0';
  if (snprintf(cfg.chip, sizeof cfg.chip, "%s/%s", cfg.dev, cfg.name) >= PATH_MAX) cfg.dev[0] = '\0';
}

// Fds that stand for a chip or a line request: real /dev/null fds, so poll, dup and close just work.
enum kind { FREE, CHIP, LINES };
struct fake { int fd; enum kind kind; unsigned num_lines, offsets[GPIO_V2_LINES_MAX]; };
static struct fake fakes[MAX_FDS];
static pthread_mutex_t fakes_mu = PTHREAD_MUTEX_INITIALIZER;

// Copies fd's entry into *out (and removes it if asked). An entry whose fd is no longer /dev/null was
// closed behind our back (close_range, dup2 over it): it is dropped, the fd passes through.
static int find_fake(int fd, struct fake *out, int remove) {
  int found = 0;
  pthread_mutex_lock(&fakes_mu);
  for (int i = 0; i < MAX_FDS && !found; i++) {
    if (fakes[i].kind == FREE || fakes[i].fd != fd) continue;
    struct stat st;
    found = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
    if (found && out) *out = fakes[i];
    if (!found || remove) fakes[i].kind = FREE;
  }
  pthread_mutex_unlock(&fakes_mu);
  return found;
}

static int add_fake(struct fake f) {
  int i = 0, fd = REAL(open)("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  pthread_mutex_lock(&fakes_mu);
  while (i < MAX_FDS && fakes[i].kind != FREE) i++;
  if (i < MAX_FDS) f.fd = fd, fakes[i] = f;
  pthread_mutex_unlock(&fakes_mu);
  if (i < MAX_FDS) return fd;
  REAL(close)(fd);
  return fail(EMFILE);
}

// ---- the state file ----
struct row { int level, pid; unsigned flags; char consumer[32]; };
struct state {
  int fd, nlog;
  struct row rows[GPIO_V2_LINES_MAX];
  uint64_t dirty_level, dirty_meta; // bit = line offset: which fields to write back
  char log[GPIO_V2_LINES_MAX][8];
};

static int parse_row(const char *b, struct row *r) {
  char num[11] = {0}, hex[9] = {0}, *end;
  if ((b[0] != '0' && b[0] != '1') || b[1] != ' ' || b[12] != ' ' || b[21] != ' ' || b[ROW - 1] != '\n')
    return 0;
  long pid = strtol(memcpy(num, b + 2, 10), &end, 10);
  if (*end || pid < 0 || pid > INT_MAX) return 0;
  r->flags = (unsigned)strtoul(memcpy(hex, b + 13, 8), &end, 16);
  if (*end || hex[0] == ' ') return 0;
  r->level = b[0] == '1', r->pid = (int)pid;
  memcpy(r->consumer, b + 22, 31), r->consumer[31] = '\0';
  for (int i = 30; i >= 0 && r->consumer[i] == ' '; i--) r->consumer[i] = '\0';
  return 1;
}

static void format_row(const struct row *r, char out[ROW + 1]) {
  int n = snprintf(out, ROW + 1, "%c %10d %08x %-31.31s", r->level ? '1' : '0', r->pid, r->flags,
                   r->consumer);
  memset(out + n, ' ', (size_t)(ROW - 1 - n));
  out[ROW - 1] = '\n', out[ROW] = '\0';
}

// Opens and locks the state file and parses every row; rows past its end are free, low, and written back.
static int state_lock(struct state *s) {
  char buf[GPIO_V2_LINES_MAX * ROW];
  memset(s, 0, sizeof *s);
  if ((s->fd = REAL(open)(cfg.state, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) return fail(EIO);
  for (int attempt = 0; attempt < 20 && flock(s->fd, LOCK_EX) == 0; attempt++, usleep(1000)) {
    ssize_t got = pread(s->fd, buf, cfg.lines * ROW, 0);
    int bad = got < 0;
    s->dirty_level = s->dirty_meta = 0;
    for (unsigned i = 0; i < cfg.lines && !bad; i++) {
      memset(&s->rows[i], 0, sizeof s->rows[i]);
      if ((i + 1) * ROW <= (size_t)got) bad = !parse_row(buf + i * ROW, &s->rows[i]);
      else s->dirty_level |= BIT(i), s->dirty_meta |= BIT(i);
    }
    if (!bad) return 0; // else Node may be half-way through writing a row: read again
  }
  fprintf(stderr, "fake-gpiochip: cannot lock or parse %s\n", cfg.state);
  REAL(close)(s->fd);
  return fail(EIO);
}

static void set_level(struct state *s, unsigned offset, int level) {
  if (s->rows[offset].level == level) return;
  s->rows[offset].level = level, s->dirty_level |= BIT(offset);
  snprintf(s->log[s->nlog++], sizeof s->log[0], "%u=%d\n", offset, level);
}

// Writes back the changed fields, appends the log lines (one write each), closes (so unlocks).
static int state_commit(struct state *s) {
  int ok = 1;
  for (unsigned i = 0; i < cfg.lines; i++) {
    char b[ROW + 1];
    size_t from = (s->dirty_level & BIT(i)) ? 0 : 1, to = (s->dirty_meta & BIT(i)) ? ROW : 1;
    if (to <= from) continue;
    format_row(&s->rows[i], b);
    ok &= pwrite(s->fd, b + from, to - from, (off_t)(i * ROW + from)) == (ssize_t)(to - from);
  }
  char path[PATH_MAX + 8];
  snprintf(path, sizeof path, "%s.log", cfg.state);
  int lf = s->nlog ? REAL(open)(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
  for (int i = 0; i < s->nlog; i++) ok &= lf >= 0 && write(lf, s->log[i], strlen(s->log[i])) > 0;
  if (lf >= 0) REAL(close)(lf);
  REAL(close)(s->fd);
  return ok ? 0 : fail(EIO);
}

// A holder that has exited, or is a zombie (killed, not yet reaped), holds nothing any more.
static int alive(int pid) {
  char path[32], buf[512] = "";
  if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM)) return 0;
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && read(fd, buf, sizeof buf - 1) < 0) buf[0] = '\0';
  if (fd >= 0) REAL(close)(fd);
  char *paren = strrchr(buf, ')');
  return !(paren && (paren[2] == 'Z' || paren[2] == 'X'));
}

// ---- line configuration, validated like the kernel's gpio_v2_line_config_validate() ----
static int flags_valid(uint64_t f) {
  uint64_t dir = FLAG(INPUT) | FLAG(OUTPUT), drive = FLAG(OPEN_DRAIN) | FLAG(OPEN_SOURCE);
  uint64_t bias = FLAG(BIAS_PULL_UP) | FLAG(BIAS_PULL_DOWN) | FLAG(BIAS_DISABLED);
  if (f & (FLAG(EDGE_RISING) | FLAG(EDGE_FALLING)))
    fprintf(stderr, "fake-gpiochip: edge detection is not emulated\n");
  if (f & ~(FLAG(ACTIVE_LOW) | dir | bias | drive)) return 0; // unknown, USED, edges, event clocks
  if (__builtin_popcountll(f & dir) != 1 || __builtin_popcountll(f & bias) > 1) return 0;
  return !(f & drive) || ((f & FLAG(OUTPUT)) && __builtin_popcountll(f & drive) == 1);
}

static int all_zero(const void *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (((const unsigned char *)p)[i]) return 0;
  return 1;
}

// Flags and initial physical output level of lines 0..n-1 (indexes into the request). As in the kernel,
// the first attribute whose mask has a line's index wins, and values are logical: active-low inverts.
static int resolve(const struct gpio_v2_line_config *lc, unsigned n, unsigned flags[], int levels[]) {
  if (lc->num_attrs > GPIO_V2_LINE_NUM_ATTRS_MAX || !all_zero(lc->padding, sizeof lc->padding)) return -1;
  for (unsigned a = 0; a < lc->num_attrs; a++) {
    __u32 id = lc->attrs[a].attr.id;
    if (id != GPIO_V2_LINE_ATTR_ID_FLAGS && id != GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES &&
        id != GPIO_V2_LINE_ATTR_ID_DEBOUNCE) // debounce: accepted, and meaningless here
      return -1;
  }
  for (unsigned i = 0; i < n; i++) {
    uint64_t f = lc->flags, value = 0;
    int have_f = 0, have_v = 0;
    for (unsigned a = 0; a < lc->num_attrs; a++) {
      const struct gpio_v2_line_attribute *at = &lc->attrs[a].attr;
      if (!(lc->attrs[a].mask & BIT(i))) continue;
      if (at->id == GPIO_V2_LINE_ATTR_ID_FLAGS && !have_f++) f = at->flags;
      if (at->id == GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES && !have_v++) value = (at->values >> i) & 1;
    }
    if (!flags_valid(f)) return -1;
    flags[i] = (unsigned)f, levels[i] = (int)value ^ !!(f & FLAG(ACTIVE_LOW));
  }
  return 0;
}

// ---- the ioctls ----
static int chip_info(struct gpiochip_info *ci) {
  memset(ci, 0, sizeof *ci);
  snprintf(ci->name, sizeof ci->name, "%s", cfg.name);
  snprintf(ci->label, sizeof ci->label, "%s", cfg.label);
  ci->lines = cfg.lines;
  return 0;
}

static int line_info(struct gpio_v2_line_info *li) {
  unsigned offset = li->offset;
  struct state s;
  if (offset >= cfg.lines || !all_zero(li->padding, sizeof li->padding)) return fail(EINVAL);
  if (state_lock(&s) < 0) return -1;
  REAL(close)(s.fd);
  memset(li, 0, sizeof *li);
  li->offset = offset;
  snprintf(li->name, sizeof li->name, "GPIO%u", offset);
  li->flags = s.rows[offset].flags ? s.rows[offset].flags : FLAG(INPUT); // never configured: reset state
  if (alive(s.rows[offset].pid))
    li->flags |= FLAG(USED), snprintf(li->consumer, sizeof li->consumer, "%s", s.rows[offset].consumer);
  return 0;
}

static void take_consumer(char dst[32], const char *src) {
  size_t n = strnlen(src, GPIO_MAX_NAME_SIZE - 1);
  if (n == 0) src = "?", n = 1; // the kernel labels an unnamed consumer "?"
  for (size_t i = 0; i < n; i++) dst[i] = src[i] < 0x20 || src[i] > 0x7e ? '_' : src[i]; // a row is one line
  dst[n] = '\0';
}

// Stores resolved flags; an output starts driving its initial level, an input keeps what the test set.
static void apply(struct state *s, const unsigned *offs, unsigned n, const unsigned *flags, const int *lvl) {
  for (unsigned i = 0; i < n; i++) {
    s->rows[offs[i]].flags = flags[i], s->dirty_meta |= BIT(offs[i]);
    if (flags[i] & FLAG(OUTPUT)) set_level(s, offs[i], lvl[i]);
  }
}

static int get_line(struct gpio_v2_line_request *req) {
  unsigned n = req->num_lines, flags[GPIO_V2_LINES_MAX];
  int levels[GPIO_V2_LINES_MAX], fd;
  struct state s;
  struct fake f = {.kind = LINES, .num_lines = n};
  if (n < 1 || n > GPIO_V2_LINES_MAX || !all_zero(req->padding, sizeof req->padding)) return fail(EINVAL);
  for (unsigned i = 0; i < n; i++) {
    if (req->offsets[i] >= cfg.lines) return fail(EINVAL);
    for (unsigned j = 0; j < i; j++)
      if (req->offsets[j] == req->offsets[i]) return fail(EINVAL);
  }
  if (resolve(&req->config, n, flags, levels) < 0) return fail(EINVAL);
  if (state_lock(&s) < 0) return -1;
  for (unsigned i = 0; i < n; i++)
    if (alive(s.rows[req->offsets[i]].pid)) return REAL(close)(s.fd), fail(EBUSY); // even if held by us
  memcpy(f.offsets, req->offsets, n * sizeof f.offsets[0]);
  if ((fd = add_fake(f)) < 0) return REAL(close)(s.fd), -1;
  for (unsigned i = 0; i < n; i++)
    s.rows[req->offsets[i]].pid = getpid(), take_consumer(s.rows[req->offsets[i]].consumer, req->consumer);
  apply(&s, req->offsets, n, flags, levels);
  if (state_commit(&s) < 0) return find_fake(fd, NULL, 1), REAL(close)(fd), -1;
  req->fd = fd;
  return 0;
}

static int set_config(const struct fake *f, const struct gpio_v2_line_config *lc) {
  unsigned flags[GPIO_V2_LINES_MAX];
  int levels[GPIO_V2_LINES_MAX];
  struct state s;
  if (resolve(lc, f->num_lines, flags, levels) < 0) return fail(EINVAL);
  if (state_lock(&s) < 0) return -1;
  apply(&s, f->offsets, f->num_lines, flags, levels);
  return state_commit(&s);
}

// GET/SET_VALUES: bit i of bits and mask is the request's line i, a logical (active-low aware) value.
static int values(const struct fake *f, struct gpio_v2_line_values *v, int set) {
  struct state s;
  uint64_t bits = 0;
  if (!v->mask || (f->num_lines < 64 && (v->mask >> f->num_lines))) return fail(EINVAL);
  if (state_lock(&s) < 0) return -1;
  for (unsigned i = 0; i < f->num_lines; i++) {
    const struct row *r = &s.rows[f->offsets[i]];
    if (!(v->mask & BIT(i))) continue;
    if (set && !(r->flags & FLAG(OUTPUT))) return REAL(close)(s.fd), fail(EPERM); // as the kernel does
    bits |= (uint64_t)(r->level ^ !!(r->flags & FLAG(ACTIVE_LOW))) << i;
  }
  if (!set) {
    v->bits = bits;
    REAL(close)(s.fd);
    return 0;
  }
  for (unsigned i = 0; i < f->num_lines; i++) {
    int active_low = !!(s.rows[f->offsets[i]].flags & FLAG(ACTIVE_LOW));
    if (v->mask & BIT(i)) set_level(&s, f->offsets[i], (int)((v->bits >> i) & 1) ^ active_low);
  }
  return state_commit(&s);
}

// Closing a request frees its lines. Level and flags stay: a Pi keeps driving an output after release.
static void release(const struct fake *f) {
  struct state s;
  if (state_lock(&s) < 0) return;
  for (unsigned i = 0; i < f->num_lines; i++) {
    struct row *r = &s.rows[f->offsets[i]];
    if (r->pid == getpid()) r->pid = 0, r->consumer[0] = '\0', s.dirty_meta |= BIT(f->offsets[i]);
  }
  state_commit(&s);
}

// ---- the intercepted libc functions ----
// Paths are compared as strings (no symlinks or ".." resolved); a path without "gpiochip" passes at once.
enum target { PASS, FAKE_CHIP, NO_SUCH_CHIP };
static enum target classify(int dirfd, const char *path) {
  char full[PATH_MAX * 2] = "";
  pthread_once(&cfg_once, load_cfg);
  if (!cfg.dev[0] || !path || !strstr(path, "gpiochip")) return PASS;
  if (path[0] != '/' && (dirfd != AT_FDCWD || !getcwd(full, PATH_MAX))) return PASS; // relative to a dirfd
  snprintf(full + strlen(full), sizeof full - strlen(full), "%s%s", path[0] == '/' ? "" : "/", path);
  if (strcmp(full, cfg.chip) == 0) return FAKE_CHIP;
  size_t d = strlen(cfg.dev);
  int in_dev = strncmp(full, cfg.dev, d) == 0 && full[d] == '/' && !strchr(full + d + 1, '/');
  return in_dev && strncmp(full + d + 1, "gpiochip", 8) == 0 ? NO_SUCH_CHIP : PASS;
}

static int open_chip(void) {
  struct state s;
  if (!cfg.state[0] || !cfg.lines) {
    fprintf(stderr, "fake-gpiochip: FAKE_GPIOCHIP_STATE unset or FAKE_GPIOCHIP_LINES not in 1..64\n");
    return fail(EIO);
  }
  if (state_lock(&s) < 0 || state_commit(&s) < 0) return fail(EIO); // creates or extends the file
  return add_fake((struct fake){.kind = CHIP});
}

// open*(): the mode argument is there only with O_CREAT or O_TMPFILE, as glibc reads it.
#define NEEDS_MODE(flags) (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE)
#define OPEN_BODY(dirfd, call)                                     \
  va_list ap;                                                      \
  va_start(ap, flags);                                             \
  mode_t mode = NEEDS_MODE(flags) ? va_arg(ap, mode_t) : 0;        \
  va_end(ap);                                                      \
  enum target t = classify(dirfd, path);                           \
  return t == FAKE_CHIP ? open_chip() : t == NO_SUCH_CHIP ? fail(ENOENT) : call;

int open(const char *path, int flags, ...) { OPEN_BODY(AT_FDCWD, REAL(open)(path, flags, mode)) }
int open64(const char *path, int flags, ...) { OPEN_BODY(AT_FDCWD, REAL(open64)(path, flags, mode)) }
int openat(int dirfd, const char *path, int flags, ...) {
  OPEN_BODY(dirfd, REAL(openat)(dirfd, path, flags, mode))
}
int openat64(int dirfd, const char *path, int flags, ...) {
  OPEN_BODY(dirfd, REAL(openat64)(dirfd, path, flags, mode))
}

int close(int fd) {
  struct fake f;
  if (find_fake(fd, &f, 1) && f.kind == LINES) release(&f);
  return REAL(close)(fd);
}

int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  struct fake f;
  if (!find_fake(fd, &f, 0)) return REAL(ioctl)(fd, request, arg);
  if (!arg) return fail(EFAULT);
  if (f.kind == CHIP && request == GPIO_GET_CHIPINFO_IOCTL) return chip_info(arg);
  if (f.kind == CHIP && request == GPIO_V2_GET_LINEINFO_IOCTL) return line_info(arg);
  if (f.kind == CHIP && request == GPIO_V2_GET_LINE_IOCTL) return get_line(arg);
  if (f.kind == LINES && request == GPIO_V2_LINE_SET_CONFIG_IOCTL) return set_config(&f, arg);
  if (f.kind == LINES && request == GPIO_V2_LINE_GET_VALUES_IOCTL) return values(&f, arg, 0);
  if (f.kind == LINES && request == GPIO_V2_LINE_SET_VALUES_IOCTL) return values(&f, arg, 1);
  return fail(ENOTTY);
}

// Counts the processes started under the fake: appends the executable's basename to $STATE.starts.
__attribute__((constructor)) static void record_start(void) {
  const char *state = getenv("FAKE_GPIOCHIP_STATE");
  char exe[PATH_MAX], path[PATH_MAX + 8];
  ssize_t n = state && *state ? readlink("/proc/self/exe", exe, sizeof exe - 2) : -1;
  if (n <= 0) return;
  exe[n] = '\n', exe[n + 1] = '\0';
  const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
  snprintf(path, sizeof path, "%s.starts", state);
  int fd = REAL(open)(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0 && write(fd, base, strlen(base)) < 0) fprintf(stderr, "fake-gpiochip: cannot write %s\n", path);
  if (fd >= 0) REAL(close)(fd);
}
