#!/usr/bin/env bash
# verify-drift with three workers verifying their own shares (-w i/3),
# whose union covers the tables, and with bq-verify --repair --prune killed
# by SIGKILL at 10 random instants before the repair that is let finish:
# the end state is the same, Harper equal to BigQuery field by field.
VERIFY_WORKERS=3 VERIFY_KILLS=10 exec "$(dirname "$0")/verify-drift.sh"
