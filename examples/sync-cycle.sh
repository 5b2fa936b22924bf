#!/bin/sh
# One sync cycle of one worker for one table, as cron runs it.
#   sync-cycle.sh TABLE WORKER     e.g. sync-cycle.sh vessel_positions 1/3
# The batch size adapts to the lag (phase) that bq-checkpoint computes.
# Credentials: HARPER_* from the environment (e.g. a 0600 env file sourced
# by the crontab line), GOOGLE_APPLICATION_CREDENTIALS for BigQuery.
set -eu
table=$1 worker=$2
eval "$(bq-checkpoint get --table "$table" --worker "$worker" --format sh)"
bq-pull --table "$table" --worker "$worker" --after "$BQSYNC_CURSOR" \
    --limit "$BQSYNC_BATCH_SIZE" |
    harper-load --table "$table" |
    bq-checkpoint commit --table "$table" --worker "$worker"
