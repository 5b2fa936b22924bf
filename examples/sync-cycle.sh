#!/usr/bin/env bash
# One sync cycle of one worker for one table, by hand or from a script
# (cron: use bq-sync --once, see crontab).
#   sync-cycle.sh TABLE WORKER     e.g. sync-cycle.sh vessel_positions 1/3
# The batch size adapts to the lag (phase) that bq-checkpoint computes.
# Credentials: HARPER_* from the environment, GOOGLE_APPLICATION_CREDENTIALS
# for BigQuery.  bash for pipefail: a failing stage fails the cycle.
set -euo pipefail
table=$1 worker=$2
eval "$(bq-checkpoint get --table "$table" --worker "$worker" --format sh)"
bq-pull --table "$table" --worker "$worker" --after "$BQSYNC_CURSOR" \
    --limit "$BQSYNC_BATCH_SIZE" |
    harper-load --table "$table" |
    bq-checkpoint commit --table "$table" --worker "$worker"
