/*
 * ndjson: newline-delimited JSON in and out.
 *
 * The reader returns one line at a time from a file descriptor, of any
 * length, without its "\n" or "\r\n"; a last line without a newline is a
 * line.  It counts lines from 1 so every message can say "name:line".
 * Lines are validated as UTF-8 and parsed with cJSON on request.  The
 * writer appends "\n" to compact JSON; its only failure is a stdio write
 * error (errno kept, so the tool can re-raise SIGPIPE on EPIPE).
 */
#ifndef BQSYNC_NDJSON_H
#define BQSYNC_NDJSON_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "log.h"

struct ndjson_reader;

/* name is used in messages ("<stdin>" for fd 0); the reader copies it. */
struct ndjson_reader *ndjson_reader_new(int fd, const char *name);
/* Opens path ("-" = stdin); NULL and err (EXIT_IOERR) on failure. */
struct ndjson_reader *ndjson_reader_open(const char *path, struct bq_err *);
void	 ndjson_reader_free(struct ndjson_reader *);	/* closes fd unless 0 */

/*
 * Reads the next line: 1 with *line (valid until the next call, NUL-
 * terminated, no line ending) and *len; 0 at end of input; -1 on a read
 * error (err, EXIT_IOERR).  Blank lines are returned too.
 */
int	 ndjson_read_line(struct ndjson_reader *, const char **line,
	    size_t *len, struct bq_err *);
/* Number of the line last returned (1-based). */
unsigned long ndjson_lineno(const struct ndjson_reader *);
const char *ndjson_name(const struct ndjson_reader *);

/*
 * Parses a line.  Returns the cJSON value (caller frees with cJSON_Delete)
 * or NULL with err = EXIT_DATA "name:line: invalid UTF-8" or
 * "name:line: invalid JSON".
 */
cJSON	*ndjson_parse(const struct ndjson_reader *, const char *line,
	    size_t len, struct bq_err *);
/*
 * Convenience: the next non-blank line parsed as a JSON object.  Returns 1
 * with *obj, 0 at end, -1 with err (EXIT_DATA for a bad line, including
 * "name:line: not a JSON object"; EXIT_IOERR for I/O).  After EXIT_DATA the
 * reader is positioned after the bad line, so the caller may carry on.
 */
int	 ndjson_next_object(struct ndjson_reader *, cJSON **obj,
	    struct bq_err *);

/* 1 if s[0..len) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int	 ndjson_utf8_valid(const char *s, size_t len);
/* Number of lines (non-blank) in buf. */
size_t	 ndjson_count(const char *buf, size_t len);

/* Writes v compactly plus "\n"; 0, or -1 with errno set. */
int	 ndjson_write(FILE *, const cJSON *v);
/* Writes s[0..len) plus "\n"; 0, or -1 with errno set. */
int	 ndjson_write_raw(FILE *, const char *s, size_t len);

#endif
