/*
 * memscan: does any writable page of this process (heap, stack, data,
 * anonymous maps: what a core file would hold) still contain a secret?
 * Include it in one test file.
 *
 * The test keeps the secret only XORed with MEMSCAN_KEY, so its own copy
 * never matches; memscan_xor() makes that copy.  Regions larger than 1 GiB
 * (sanitizer shadow memory, reserved and mostly unbacked) are skipped.
 * With MEMSCAN_DEBUG set, the region of a find goes to stderr.
 */
#ifndef BQSYNC_TESTS_MEMSCAN_H
#define BQSYNC_TESTS_MEMSCAN_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEMSCAN_KEY	0x5a
#define MEMSCAN_CHUNK	(1 << 20)

/* Copies n bytes of s into x, XORed with MEMSCAN_KEY. */
static inline void
memscan_xor(unsigned char *x, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		x[i] = (unsigned char)s[i] ^ MEMSCAN_KEY;
}

/* A fresh random secret of n letters, kept XORed in x. */
static inline void
memscan_random(unsigned char *x, size_t n)
{
	unsigned char r;
	size_t i;
	int fd = open("/dev/urandom", O_RDONLY);

	for (i = 0; i < n; i++) {
		if (fd == -1 || read(fd, &r, 1) != 1)
			abort();
		x[i] = (unsigned char)(('a' + r % 26) ^ MEMSCAN_KEY);
	}
	close(fd);
}

/* Writes the secret x (XORed) to fd in clear, one byte at a time. */
static inline void
memscan_write(int fd, const unsigned char *x, size_t n)
{
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = x[i] ^ MEMSCAN_KEY;
		if (write(fd, &c, 1) != 1)
			abort();
	}
}

static inline int
memscan_has(const unsigned char *buf, size_t len, const unsigned char *x,
    size_t n)
{
	const unsigned char *p = buf, *end = buf + len;
	size_t j;

	while (n > 0 && (size_t)(end - p) >= n &&
	    (p = memchr(p, x[0] ^ MEMSCAN_KEY, (size_t)(end - p) - n + 1)) !=
	    NULL) {
		for (j = 1; j < n && (p[j] ^ MEMSCAN_KEY) == x[j]; j++)
			;
		if (j == n)
			return 1;
		p++;
	}
	return 0;
}

/* 1 when the secret x (n bytes, XORed) is somewhere in writable memory. */
static inline int
memscan_find(const unsigned char *x, size_t n)
{
	unsigned char *buf = malloc(MEMSCAN_CHUNK + n);
	unsigned long lo, hi, off;
	char line[512], perms[8];
	FILE *maps = fopen("/proc/self/maps", "r");
	int mem = open("/proc/self/mem", O_RDONLY), found = 0;
	ssize_t got;
	size_t want;

	if (buf == NULL || maps == NULL || mem == -1)
		abort();
	while (!found && fgets(line, sizeof(line), maps) != NULL) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || perms[1] != 'w' || hi - lo > (1UL << 30) ||
		    strstr(line, "[vvar") != NULL)
			continue;
		for (off = lo; !found && off < hi; off += MEMSCAN_CHUNK) {
			want = hi - off < MEMSCAN_CHUNK + n - 1 ? hi - off :
			    MEMSCAN_CHUNK + n - 1;
			got = pread(mem, buf, want, (off_t)off);
			found = got > 0 && memscan_has(buf, (size_t)got, x, n);
			if (found && getenv("MEMSCAN_DEBUG") != NULL)
				fprintf(stderr, "memscan: found in %s", line);
		}
	}
	close(mem);
	fclose(maps);
	/* a plain memset before free() may be optimized away */
	explicit_bzero(buf, MEMSCAN_CHUNK + n);
	free(buf);
	return found;
}

#endif
