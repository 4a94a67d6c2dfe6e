/*
 * asyncdirect native library: the few things JavaScript cannot do well.
 *
 * Every function is synchronous and returns either a value >= 0 or -errno,
 * so the caller never has to read a thread-local errno after the fact.
 * Pointers cross the FFI boundary as plain addresses (uint64_t) so the same
 * memory can be named from any worker thread.
 */
#ifndef ASYNCDIRECT_H
#define ASYNCDIRECT_H

#include <stdint.h>

#define AD_OPEN_DIRECT 1 /* O_DIRECT: bypass the page cache */
#define AD_OPEN_DSYNC 2  /* O_DSYNC: durable when the write returns */
#define AD_OPEN_CREATE 4 /* O_CREAT */

/* Version of this ABI; bumped whenever a signature changes. */
int ad_abi_version(void);

/* Zeroed memory aligned to `align` (a power of two); 0 on failure. */
uint64_t ad_alloc_aligned(uint64_t align, uint64_t size);
void ad_free(uint64_t addr);

/* One anonymous private mapping (page aligned, zeroed); 0 on failure. */
uint64_t ad_mmap(uint64_t size);
int ad_munmap(uint64_t addr, uint64_t size);

/* Sets `len` bytes at `addr` to zero. */
void ad_zero(uint64_t addr, uint64_t len);

/* open(2) for writing with AD_OPEN_* flags; fd or -errno. */
int ad_open(const char *path, int flags, int mode);
int ad_close(int fd);

/* 1 when the fd was opened with O_DIRECT (read back with fcntl), 0 if not. */
int ad_is_direct(int fd);

/*
 * Direct-I/O alignment of an open file: statx(STATX_DIOALIGN) where the
 * kernel reports it, else the device's logical block size, else 4096.
 * out[0] = memory alignment, out[1] = offset/length alignment,
 * out[2] = 1 if the kernel reported it (statx), 0 if it was inferred.
 */
int ad_dio_align(int fd, uint32_t *out);

/* Size of an open file in bytes, or -errno. */
int64_t ad_file_size(int fd);

/*
 * Writes `count` blocks (iov[2i] = address, iov[2i+1] = length) at `offset`
 * with pwritev, resuming after partial writes and EINTR.
 * Returns the bytes written (always the full total) or -errno.
 */
int64_t ad_write_blocks(int fd, const uint64_t *iov, int count, int64_t offset);

int ad_fdatasync(int fd);
int ad_ftruncate(int fd, int64_t length);
int ad_fallocate(int fd, int mode, int64_t offset, int64_t length);

/* Non-blocking exclusive advisory lock (LOCK_EX|LOCK_NB); 0 or -errno. */
int ad_flock_exclusive(int fd);

/*
 * Page-cache residency of a file: maps it read-only and asks mincore.
 * out[0] = resident pages, out[1] = total pages. 0 or -errno.
 */
int ad_cached_pages(const char *path, uint64_t *out);

#endif
