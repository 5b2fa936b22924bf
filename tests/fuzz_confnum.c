/*
 * libFuzzer target: the numbers of config.yaml.  The first byte picks a
 * numeric key, the rest is its value; whatever loads must lie within the
 * key's bounds (config.h), or the target aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

enum { LONG, DUR };

static const struct {
	const char	*key;		/* block.key */
	int		 type;
	double		 min, max;
} keys[] = {
	{ "harper:\n  batchRows", LONG, 1, CONFIG_BATCH_ROWS_MAX },
	{ "harper:\n  batchBytes", LONG, CONFIG_BATCH_BYTES_MIN,
	    CONFIG_BATCH_BYTES_MAX },
	{ "harper:\n  inFlight", LONG, 1, CONFIG_IN_FLIGHT_MAX },
	{ "harper:\n  timeout", DUR, 0, CONFIG_DURATION_MAX },
	{ "harper:\n  retryDeadline", DUR, 0, CONFIG_DURATION_MAX },
	{ "bigquery:\n  maxRetries", LONG, 0, CONFIG_RETRIES_MAX },
	{ "bigquery:\n  retryDeadline", DUR, 0, CONFIG_DURATION_MAX },
	{ "sync:\n  steadyBatchSize", LONG, 1, CONFIG_BATCH_MAX },
	{ "sync:\n  pollInterval", DUR, 0, CONFIG_DURATION_MAX },
	{ "sync:\n  lookback", DUR, 0, CONFIG_DURATION_MAX },
	{ "synthesizer:\n  vessels", LONG, 1, CONFIG_VESSELS_MAX },
	{ "synthesizer:\n  retentionDays", LONG, 1, CONFIG_DAYS_MAX },
	{ "synthesizer:\n  cleanupIntervalHours", DUR, 0,
	    CONFIG_DURATION_MAX },
};

static double
value(const struct config *c, size_t k)
{
	switch (k) {
	case 0: return (double)c->batch_rows;
	case 1: return (double)c->batch_bytes;
	case 2: return (double)c->in_flight;
	case 3: return c->http_timeout;
	case 4: return c->harper_deadline;
	case 5: return (double)c->max_retries;
	case 6: return c->retry_deadline;
	case 7: return (double)c->sync.steady_batch;
	case 8: return c->sync.steady_poll;
	case 9: return c->sync.lookback;
	case 10: return (double)c->synth.vessels;
	case 11: return (double)c->synth.retention_days;
	default: return c->synth.cleanup_interval;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bq_err err = BQ_ERR_INIT;
	struct config cfg;
	char path[64];
	size_t k;
	double v;
	int fd;

	if (size < 1)
		return 0;
	bqsync_set_verbosity(-1);
	k = data[0] % (sizeof(keys) / sizeof(keys[0]));
	if ((fd = memfd_create("config.yaml", 0)) == -1)
		return 0;
	dprintf(fd, "%s: ", keys[k].key);
	if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (config_load(&cfg, path, &err) == 0) {
			v = value(&cfg, k);
			if (!(v >= keys[k].min && v <= keys[k].max))
				abort();
		}
		config_release(&cfg);
	}
	close(fd);
	return 0;
}
