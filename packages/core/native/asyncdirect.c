#define _GNU_SOURCE
#include "asyncdirect.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define ABI_VERSION 3
#define MAX_IOV 1024

int ad_abi_version(void) { return ABI_VERSION; }

uint64_t ad_alloc_aligned(uint64_t align, uint64_t size) {
  void *p = NULL;
  if (size == 0 || posix_memalign(&p, (size_t)align, (size_t)size) != 0) return 0;
  memset(p, 0, (size_t)size);
  return (uint64_t)(uintptr_t)p;
}

void ad_free(uint64_t addr) { free((void *)(uintptr_t)addr); }

uint64_t ad_mmap(uint64_t size) {
  void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  return (uint64_t)(uintptr_t)p;
}

int ad_munmap(uint64_t addr, uint64_t size) {
  return munmap((void *)(uintptr_t)addr, (size_t)size) == 0 ? 0 : -errno;
}

void ad_zero(uint64_t addr, uint64_t len) { memset((void *)(uintptr_t)addr, 0, (size_t)len); }

int ad_open(const char *path, int flags, int mode) {
  int f = O_WRONLY | O_CLOEXEC;
  if (flags & AD_OPEN_DIRECT) f |= O_DIRECT;
  if (flags & AD_OPEN_DSYNC) f |= O_DSYNC;
  if (flags & AD_OPEN_CREATE) f |= O_CREAT;
  int fd;
  do {
    fd = open(path, f, (mode_t)mode);
  } while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : fd;
}

int ad_close(int fd) { return close(fd) == 0 ? 0 : -errno; }

int ad_is_direct(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -errno;
  return (fl & O_DIRECT) ? 1 : 0;
}

static int statx_fd(int fd, unsigned int mask, struct statx *st) {
  memset(st, 0, sizeof *st);
  long r = syscall(SYS_statx, fd, "", AT_EMPTY_PATH, mask, st);
  return r == 0 ? 0 : -errno;
}

/* The device's logical block size from sysfs; a partition has no queue/ of its own. */
static uint32_t logical_block_size(uint32_t major, uint32_t minor) {
  static const char *const patterns[] = {
      "/sys/dev/block/%u:%u/queue/logical_block_size",
      "/sys/dev/block/%u:%u/../queue/logical_block_size",
  };
  for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
    char path[128];
    snprintf(path, sizeof path, patterns[i], major, minor);
    FILE *f = fopen(path, "re");
    if (!f) continue;
    unsigned int v = 0;
    int ok = fscanf(f, "%u", &v) == 1;
    fclose(f);
    if (ok && v >= 512 && v <= 65536 && (v & (v - 1)) == 0) return v;
  }
  return 0;
}

int ad_dio_align(int fd, uint32_t *out) {
  struct statx st;
  int r = statx_fd(fd, STATX_DIOALIGN, &st);
  if (r < 0) return r;
  if ((st.stx_mask & STATX_DIOALIGN) && st.stx_dio_offset_align != 0) {
    out[0] = st.stx_dio_mem_align;
    out[1] = st.stx_dio_offset_align;
    out[2] = 1;
    return 0;
  }
  uint32_t lbs = logical_block_size(st.stx_dev_major, st.stx_dev_minor);
  out[0] = lbs ? lbs : 4096;
  out[1] = lbs ? lbs : 4096;
  out[2] = 0;
  return 0;
}

int64_t ad_file_size(int fd) {
  struct statx st;
  int r = statx_fd(fd, STATX_SIZE, &st);
  return r < 0 ? r : (int64_t)st.stx_size;
}

int64_t ad_write_blocks(int fd, const uint64_t *iov_words, int count, int64_t offset) {
  struct iovec iov[MAX_IOV];
  int64_t total = 0;
  int i = 0;
  while (i < count) {
    int n = count - i < MAX_IOV ? count - i : MAX_IOV;
    for (int k = 0; k < n; k++) {
      iov[k].iov_base = (void *)(uintptr_t)iov_words[2 * (i + k)];
      iov[k].iov_len = (size_t)iov_words[2 * (i + k) + 1];
    }
    struct iovec *cur = iov;
    int left = n;
    while (left > 0) {
      ssize_t w = pwritev(fd, cur, left, offset);
      if (w < 0) {
        if (errno == EINTR) continue;
        return -errno;
      }
      if (w == 0) return -EIO;
      offset += w;
      total += w;
      /* Skip the iovecs this call finished and trim the one it stopped inside. */
      while (left > 0 && (size_t)w >= cur->iov_len) {
        w -= (ssize_t)cur->iov_len;
        cur++;
        left--;
      }
      if (left > 0 && w > 0) {
        cur->iov_base = (char *)cur->iov_base + w;
        cur->iov_len -= (size_t)w;
      }
    }
    i += n;
  }
  return total;
}

int ad_fdatasync(int fd) {
  int r;
  do {
    r = fdatasync(fd);
  } while (r < 0 && errno == EINTR);
  return r == 0 ? 0 : -errno;
}

int ad_ftruncate(int fd, int64_t length) { return ftruncate(fd, (off_t)length) == 0 ? 0 : -errno; }

int ad_fallocate(int fd, int mode, int64_t offset, int64_t length) {
  return fallocate(fd, mode, (off_t)offset, (off_t)length) == 0 ? 0 : -errno;
}

int ad_flock_exclusive(int fd) {
  int r;
  do {
    r = flock(fd, LOCK_EX | LOCK_NB);
  } while (r < 0 && errno == EINTR);
  return r == 0 ? 0 : -errno;
}

int ad_cached_pages(const char *path, uint64_t *out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct statx st;
  int r = statx_fd(fd, STATX_SIZE, &st);
  if (r < 0) {
    close(fd);
    return r;
  }
  long page = sysconf(_SC_PAGESIZE);
  uint64_t size = st.stx_size;
  uint64_t pages = (size + (uint64_t)page - 1) / (uint64_t)page;
  out[0] = 0;
  out[1] = pages;
  if (size == 0) {
    close(fd);
    return 0;
  }
  void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
  int err = map == MAP_FAILED ? errno : 0;
  close(fd);
  if (err) return -err;
  unsigned char *vec = malloc((size_t)pages);
  if (!vec) {
    munmap(map, (size_t)size);
    return -ENOMEM;
  }
  if (mincore(map, (size_t)size, vec) != 0) {
    err = errno;
    free(vec);
    munmap(map, (size_t)size);
    return -err;
  }
  uint64_t resident = 0;
  for (uint64_t i = 0; i < pages; i++) resident += vec[i] & 1;
  free(vec);
  munmap(map, (size_t)size);
  out[0] = resident;
  return 0;
}
