#!/usr/bin/env bash
# run-e2e.sh [NAME...]: the end-to-end tests only (see run-tests.sh).
exec "$(dirname "$0")/run-tests.sh" --e2e "$@"
