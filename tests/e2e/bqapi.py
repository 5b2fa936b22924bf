#!/usr/bin/env python3
"""bqapi.py: test-side BigQuery REST calls against $BIGQUERY_EMULATOR_HOST
(with $BQAPI_TOKEN as bearer token if set), to set up tables for the bq-pull
end-to-end tests.

  bqapi.py table PROJECT DATASET TABLE 'FIELDS_JSON' ['PARTITIONING_JSON']
                                                        create (dataset too)
  bqapi.py insert PROJECT DATASET TABLE < rows.ndjson   insertAll, 10k a call
  bqapi.py get PROJECT DATASET TABLE KEY                prints tables.get's KEY
"""
import json
import os
import sys
import urllib.error
import urllib.request

base = "http://%s/bigquery/v2" % os.environ["BIGQUERY_EMULATOR_HOST"]


def call(method, path, body=None, ok=(200,)):
    data = None if body is None else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"}
    if os.environ.get("BQAPI_TOKEN"):
        hdrs["Authorization"] = "Bearer " + os.environ["BQAPI_TOKEN"]
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers=hdrs)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return e.code, e.read()
        sys.exit("bqapi: %s %s: HTTP %d %s" % (method, path, e.code,
                                                e.read()[:300]))


cmd, proj, ds, tab = sys.argv[1:5]
if cmd == "table":
    call("POST", "/projects/%s/datasets" % proj,
         {"datasetReference": {"projectId": proj, "datasetId": ds}},
         ok=(200, 409))
    t = {"tableReference": {"projectId": proj, "datasetId": ds,
                            "tableId": tab},
         "schema": {"fields": json.loads(sys.argv[5])}}
    if len(sys.argv) > 6:
        t["timePartitioning"] = json.loads(sys.argv[6])
    call("POST", "/projects/%s/datasets/%s/tables" % (proj, ds), t)
elif cmd == "get":
    st, body = call("GET", "/projects/%s/datasets/%s/tables/%s" %
                    (proj, ds, tab))
    print(json.loads(body)[sys.argv[5]])
elif cmd == "insert":
    batch, n = [], 0

    def flush():
        st, body = call("POST", "/projects/%s/datasets/%s/tables/%s/insertAll"
                        % (proj, ds, tab), {"rows": [{"json": r}
                                                     for r in batch]})
        if json.loads(body or b"{}").get("insertErrors"):
            sys.exit("bqapi: insertErrors: %s" % body[:300])
    for line in sys.stdin:
        if line.strip():
            batch.append(json.loads(line))
            n += 1
            if len(batch) == 10000:
                flush()
                batch = []
    if batch:
        flush()
    print(n)
else:
    sys.exit("bqapi: unknown command %s" % cmd)
