#!/usr/bin/env bash
# bench-emulator.sh: bq-emulator serving a large result.  Loads N rows
# (default 1,000,000) with one NDJSON load job, then pages through the pull
# query's result (jobs.query + getQueryResults, pages of 100,000 rows);
# the baseline is paging the same table through tabledata.list.  Prints
# rows/s for both, "ratio: X" (query time / tabledata time) and the
# emulator's peak RSS.
set -eu -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_EMULATOR_ROWS:-1000000}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
"$top/bin/bq-emulator" -q -p 0 >"$tmp/addr" & pid=$!
for i in $(seq 200); do [ -s "$tmp/addr" ] && break; sleep 0.05; done
h=http://$(cat "$tmp/addr")
python3 - "$h" "$n" "$tmp" <<'PY'
import json, sys, time, urllib.request
h, n, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def call(method, path, body=None, ctype="application/json"):
    r = urllib.request.Request(h + path, method=method, data=body,
        headers={"Content-Type": ctype})
    return json.loads(urllib.request.urlopen(r).read())
call("POST", "/projects/b/datasets", b'{"datasetReference":{"datasetId":"ds"}}')
meta = json.dumps({"configuration": {"load": {"sourceFormat": "NEWLINE_DELIMITED_JSON",
    "destinationTable": {"projectId": "b", "datasetId": "ds", "tableId": "pos"},
    "timePartitioning": {"type": "DAY", "field": "ts"},
    "schema": {"fields": [{"name": "ts", "type": "TIMESTAMP"},
        {"name": "mmsi", "type": "INT64"}, {"name": "lat", "type": "FLOAT64"},
        {"name": "lon", "type": "FLOAT64"}, {"name": "name", "type": "STRING"}]}}}})
base = 1762271940000000
data = "".join('{"ts":%d.%06d,"mmsi":%d,"lat":%.5f,"lon":%.5f,"name":"V%d"}\n' % (
    (base + i * 997) // 1000000, (base + i * 997) % 1000000, 200000000 + i % 5000,
    (i % 1800) / 10 - 90, (i % 3600) / 10 - 180, i % 5000) for i in range(n))
body = ("--B\r\nContent-Type: application/json\r\n\r\n%s\r\n--B\r\n"
        "Content-Type: application/octet-stream\r\n\r\n%s\r\n--B--\r\n" % (meta, data)).encode()
t = time.time()
job = call("POST", "/upload/bigquery/v2/projects/b/jobs?uploadType=multipart", body,
    "multipart/related; boundary=B")
assert job["statistics"]["load"]["outputRows"] == str(n), job
print("load: %d rows in %.1f s" % (n, time.time() - t))
def page_all(first, path_fmt):
    rows, tok, resp = 0, None, first
    while True:
        rows += len(resp.get("rows", []))
        tok = resp.get("pageToken")
        if not tok:
            return rows
        resp = call("GET", path_fmt % tok)
q = ("SELECT * FROM `b.ds.pos` WHERE ABS(MOD(FARM_FINGERPRINT(CAST(UNIX_MICROS(ts) AS STRING)), 1)) = 0 "
     "AND ts > TIMESTAMP '2020-01-01' AND ts <= (SELECT MAX(ts) FROM (SELECT ts FROM `b.ds.pos` "
     "WHERE ts > TIMESTAMP '2020-01-01' ORDER BY ts LIMIT %d)) ORDER BY ts" % n)
t = time.time()
r = call("POST", "/projects/b/queries", json.dumps({"query": q, "useLegacySql": False,
    "maxResults": 100000, "formatOptions": {"useInt64Timestamp": True}}).encode())
jid = r["jobReference"]["jobId"]
got = page_all(r, "/projects/b/queries/" + jid +
    "?maxResults=100000&formatOptions.useInt64Timestamp=true&pageToken=%s")
tq = time.time() - t
assert got == n, got
t = time.time()
r = call("GET", "/projects/b/datasets/ds/tables/pos/data?maxResults=100000")
got = page_all(r, "/projects/b/datasets/ds/tables/pos/data?maxResults=100000&pageToken=%s")
tt = time.time() - t
assert got == n, got
print("pull query + getQueryResults: %d rows in %.2f s (%.0f rows/s)" % (n, tq, n / tq))
print("baseline tabledata.list:      %d rows in %.2f s (%.0f rows/s)" % (n, tt, n / tt))
print("ratio: %.2f" % (tq / tt))
PY
echo "peak RSS of bq-emulator: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
