/*
 * control: the cluster-wide stop/start switch (the seed's SyncControl), one
 * Harper table of harper.database replicated like the data.
 *
 * Records are {"id":ID,"action":"stop"|"start","updatedAt":TS} where ID is
 * a table id, or "*" for every table.  A table's own record wins over "*";
 * with neither, the table runs.  Setting "*" deletes the tables' own
 * records, so `stop` and `start` without a table mean every table.
 */
#ifndef BQSYNC_CONTROL_H
#define BQSYNC_CONTROL_H

#include "harper.h"
#include "log.h"

#define CONTROL_TABLE "SyncControl"

/*
 * Sets the action ("stop" or "start") for table_id, or for every table
 * with table_id NULL, creating the table on first use.  0, or -1 with err.
 */
int	 control_set(struct harper_client *, const char *table_id,
	    const char *action, struct bq_err *);
/*
 * 1 if table_id is stopped, 0 if it runs (also when the control table does
 * not exist), -1 with err when Harper could not say.
 */
int	 control_stopped(struct harper_client *, const char *table_id,
	    struct bq_err *);
/*
 * The effective action for table_id from the records of the control table
 * (a JSON array as SQL returns it): 1 stopped, 0 running.  Pure, for tests.
 */
int	 control_decide(const cJSON *records, const char *table_id);

#endif
