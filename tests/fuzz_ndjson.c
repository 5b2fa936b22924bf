/* libFuzzer target: the NDJSON reader and parser on arbitrary input. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ndjson.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bq_err err = BQ_ERR_INIT;
	struct ndjson_reader *r;
	cJSON *obj;
	int fd, rc;

	ndjson_count((const char *)data, size);
	if ((fd = memfd_create("fuzz", 0)) == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0) {
		r = ndjson_reader_new(fd, "fuzz");
		while ((rc = ndjson_next_object(r, &obj, &err)) != 0) {
			if (rc == -1 && err.kind != EXIT_DATA)
				break;
			cJSON_Delete(obj);
		}
		ndjson_reader_free(r);	/* closes fd */
	} else {
		close(fd);
	}
	return 0;
}
