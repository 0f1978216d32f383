/* An LD_PRELOAD library that puts two reversible storage faults under a running process, for one
 * directory tree (PITLOG_FAULTS_DIR), each while its flag file exists:
 *
 *  - read-only (PITLOG_FAULTS_RO_FLAG): every call that would change a file below the directory
 *    fails with EROFS (opening for writing, write/pwrite/writev on an fd already open there,
 *    fsync, fallocate, ftruncate, rename, unlink, mkdir) and statvfs reports ST_RDONLY. Reads work
 *    throughout. Why not `mount -o remount,ro`: Linux refuses it (EBUSY) while any file on the
 *    file system is open for writing, and pitd always holds its WAL open; an ext2/ext4 image with
 *    errors=remount-ro turns read-only for real, but only an unmount brings it back. What the
 *    process sees from the kernel in that case - EROFS from every write, on old fds and new paths
 *    alike - is what this library gives it, reversibly.
 *  - fsync EIO (PITLOG_FAULTS_EIO_FLAG): fsync and fdatasync of a file below the directory fail
 *    with EIO, as a disk that fails a cache flush makes them; writes go through (into the page
 *    cache), so a WAL record can be whole on disk although its fsync failed, and the file system
 *    looks writable throughout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int flagged(const char* variable) {
  const char* flag = getenv(variable);
  return flag && access(flag, F_OK) == 0;
}
static int active(void) { return flagged("PITLOG_FAULTS_RO_FLAG"); }
static int syncFails(void) { return flagged("PITLOG_FAULTS_EIO_FLAG"); }

/* Whether an absolute path lies below PITLOG_FAULTS_DIR (relative paths: below the cwd). */
static int below(const char* path) {
  const char* dir = getenv("PITLOG_FAULTS_DIR");
  if (!dir || !path) return 0;
  char abs[PATH_MAX];
  if (path[0] != '/') {
    if (!getcwd(abs, sizeof abs)) return 0;
    size_t n = strlen(abs);
    snprintf(abs + n, sizeof abs - n, "/%s", path);
    path = abs;
  }
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int fdBelow(int fd) {
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  return below(target);
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define DENY_FD(fd) \
  if (active() && fdBelow(fd)) { errno = EROFS; return -1; }
#define FAIL_SYNC(fd) \
  if (syncFails() && fdBelow(fd)) { errno = EIO; return -1; }
#define DENY_PATH(p) \
  if (active() && below(p)) { errno = EROFS; return -1; }

static int writes(int flags) { return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0; }

int open(const char* path, int flags, ...) {
  va_list ap; va_start(ap, flags); mode_t mode = va_arg(ap, mode_t); va_end(ap);
  if (writes(flags)) DENY_PATH(path);
  return REAL(open)(path, flags, mode);
}
int open64(const char* path, int flags, ...) {
  va_list ap; va_start(ap, flags); mode_t mode = va_arg(ap, mode_t); va_end(ap);
  if (writes(flags)) DENY_PATH(path);
  return REAL(open64)(path, flags, mode);
}
int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap; va_start(ap, flags); mode_t mode = va_arg(ap, mode_t); va_end(ap);
  if (writes(flags)) DENY_PATH(path);
  return REAL(openat)(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap; va_start(ap, flags); mode_t mode = va_arg(ap, mode_t); va_end(ap);
  if (writes(flags)) DENY_PATH(path);
  return REAL(openat64)(dirfd, path, flags, mode);
}
ssize_t write(int fd, const void* buf, size_t n) { DENY_FD(fd); return REAL(write)(fd, buf, n); }
ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  DENY_FD(fd); return REAL(pwrite)(fd, buf, n, off);
}
ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  DENY_FD(fd); return REAL(pwrite64)(fd, buf, n, off);
}
ssize_t writev(int fd, const struct iovec* v, int c) { DENY_FD(fd); return REAL(writev)(fd, v, c); }
ssize_t pwritev(int fd, const struct iovec* v, int c, off_t off) {
  DENY_FD(fd); return REAL(pwritev)(fd, v, c, off);
}
int fsync(int fd) { DENY_FD(fd); FAIL_SYNC(fd); return REAL(fsync)(fd); }
int fdatasync(int fd) { DENY_FD(fd); FAIL_SYNC(fd); return REAL(fdatasync)(fd); }
int fallocate(int fd, int mode, off_t off, off_t len) {
  DENY_FD(fd); return REAL(fallocate)(fd, mode, off, len);
}
int fallocate64(int fd, int mode, off64_t off, off64_t len) {
  DENY_FD(fd); return REAL(fallocate64)(fd, mode, off, len);
}
int ftruncate(int fd, off_t len) { DENY_FD(fd); return REAL(ftruncate)(fd, len); }
int ftruncate64(int fd, off64_t len) { DENY_FD(fd); return REAL(ftruncate64)(fd, len); }
int rename(const char* a, const char* b) { DENY_PATH(b); return REAL(rename)(a, b); }
int renameat(int da, const char* a, int db, const char* b) {
  DENY_PATH(b); return REAL(renameat)(da, a, db, b);
}
int unlink(const char* p) { DENY_PATH(p); return REAL(unlink)(p); }
int unlinkat(int d, const char* p, int f) { DENY_PATH(p); return REAL(unlinkat)(d, p, f); }
int mkdir(const char* p, mode_t m) { DENY_PATH(p); return REAL(mkdir)(p, m); }
int statvfs(const char* p, struct statvfs* s) {
  int r = REAL(statvfs)(p, s);
  if (r == 0 && active() && below(p)) s->f_flag |= ST_RDONLY;
  return r;
}
int statvfs64(const char* p, struct statvfs64* s) {
  int r = REAL(statvfs64)(p, s);
  if (r == 0 && active() && below(p)) s->f_flag |= ST_RDONLY;
  return r;
}
