#!/usr/bin/env bash
# bq-pull reads a 100,000-row result across many getQueryResults pages and
# prints every source row exactly once, in timestamp order, typed exactly,
# with a sync line after each page that proves only complete groups.
. "$(dirname "$0")/lib.sh"

pull_setup '[{"name":"ts","type":"TIMESTAMP"},
    {"name":"seq","type":"INT64"},{"name":"mmsi","type":"STRING"},
    {"name":"lat","type":"FLOAT64"}]'
# distinct microsecond timestamps, inserted out of order
bqtest gen pull-pages > "$T/src.ndjson"
expect_eq 100000 "$(bqapi insert test-project ds t < "$T/src.ndjson")" inserted

bq-pull -c "$T/cfg.yaml" -v --limit 100000 > "$T/out.ndjson" 2> "$T/err"
# many pages: one getQueryResults request per page after the first
pages=$(grep -c 'queries/.*pageToken=' "$T/err" || true)
say "pages after the first: $pages"
[ "$pages" -ge 9 ] || fail "expected at least 10 pages, got $((pages + 1))"

bqtest check pull-pages "$T/src.ndjson" "$T/out.ndjson"
