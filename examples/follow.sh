#!/usr/bin/env bash
# Continuous sync of one worker: bq-pull --follow keeps pulling as rows
# arrive (phase batch sizes and poll intervals from config.yaml); every
# acknowledged batch moves the checkpoint.  Ctrl-C ends it after the current
# page, with nothing lost.
set -euo pipefail
table=${1:-vessel_positions} worker=${2:-0/1}
bq-pull --follow --table "$table" --worker "$worker" \
    --after "$(bq-checkpoint get --table "$table" --worker "$worker")" |
    harper-load --table "$table" |
    bq-checkpoint commit --table "$table" --worker "$worker"
