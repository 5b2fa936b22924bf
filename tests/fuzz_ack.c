/* libFuzzer target: the ack parser (ckpt_ack_parse) on arbitrary JSON. */
#include <stdint.h>
#include <string.h>

#include "ckpt.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bq_err err = BQ_ERR_INIT;
	struct ckpt_ack a;
	cJSON *obj;

	if ((obj = cJSON_ParseWithLength((const char *)data, size)) == NULL)
		return 0;
	if (ckpt_ack_parse(obj, &a, &err) == 0) {
		/* What the parser accepts is within the documented bounds. */
		if (a.rows < 0 || a.rows > CKPT_MAX_ROWS || a.billed < -1 ||
		    a.billed > CKPT_MAX_COUNT || a.newer < -1 || a.newer > 1 ||
		    strlen(a.table) == 0 || (a.worker != NULL &&
		    (a.wi < 0 || a.wi >= a.wn)) || (a.err_tool != NULL &&
		    (a.err_status < 0 || a.err_status > 255 ||
		    a.err_message == NULL)))
			__builtin_trap();
	} else if (err.kind != EXIT_DATA)
		__builtin_trap();
	cJSON_Delete(obj);
	return 0;
}
