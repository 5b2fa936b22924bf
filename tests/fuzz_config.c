/* libFuzzer target: config.yaml parsing, via a memfd named by /proc path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bq_err err = BQ_ERR_INIT;
	struct config cfg;
	char path[64];
	int fd;

	bqsync_set_verbosity(-1);
	if ((fd = memfd_create("config.yaml", 0)) == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		config_load(&cfg, path, &err);
		config_release(&cfg);
	}
	close(fd);
	return 0;
}
