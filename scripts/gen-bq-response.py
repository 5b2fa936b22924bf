#!/usr/bin/env python3
"""gen-bq-response.py ROWS [SEED]: a jobs.getQueryResults answer of ROWS rows
in the maritime vessel_positions shape (useInt64Timestamp), on stdout."""
import json
import random
import sys

rows = int(sys.argv[1])
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
F = lambda n, t, m: {"name": n, "type": t, "mode": m}
schema = [F("mmsi", "STRING", "REQUIRED"), F("imo", "STRING", "REQUIRED"),
          F("vessel_name", "STRING", "REQUIRED"),
          F("vessel_type", "STRING", "REQUIRED"),
          F("flag", "STRING", "REQUIRED"), F("length", "INTEGER", "REQUIRED"),
          F("beam", "INTEGER", "REQUIRED"), F("draft", "FLOAT", "REQUIRED"),
          F("latitude", "FLOAT", "REQUIRED"),
          F("longitude", "FLOAT", "REQUIRED"),
          F("speed_knots", "FLOAT", "REQUIRED"),
          F("course", "INTEGER", "REQUIRED"),
          F("heading", "INTEGER", "REQUIRED"),
          F("status", "STRING", "REQUIRED"),
          F("destination", "STRING", "NULLABLE"),
          F("eta", "TIMESTAMP", "NULLABLE"),
          F("timestamp", "TIMESTAMP", "REQUIRED"),
          F("report_date", "STRING", "REQUIRED")]
types = ["Container Ship", "Bulk Carrier", "Tanker", "Fishing", "Passenger"]
flags = ["US", "PA", "LR", "MH", "SG", "NO", "GR"]
ports = ["Rotterdam", "Singapore", "Shanghai", "Los Angeles", None]
status = ["Under way using engine", "At anchor", "Moored"]
out = sys.stdout
out.write('{"kind":"bigquery#getQueryResultsResponse","etag":"x",'
          '"schema":{"fields":%s},"jobReference":{"projectId":"p",'
          '"jobId":"job_bench","location":"US"},"totalRows":"%d",'
          '"rows":[' % (json.dumps(schema, separators=(",", ":")), rows))
ts = 1762776000000000
for i in range(rows):
    ts += rnd.randint(0, 20000)
    mmsi = str(200000000 + rnd.randint(0, 99999))
    dest = rnd.choice(ports)
    cells = [mmsi, "IMO%07d" % rnd.randint(0, 9999999),
             "VESSEL %d" % rnd.randint(0, 99999), rnd.choice(types),
             rnd.choice(flags), str(rnd.randint(30, 400)),
             str(rnd.randint(8, 60)), repr(round(rnd.uniform(3, 15), 1)),
             repr(round(rnd.uniform(-80, 80), 6)),
             repr(round(rnd.uniform(-180, 180), 6)),
             repr(round(rnd.uniform(0, 25), 1)), str(rnd.randint(0, 359)),
             str(rnd.randint(0, 359)), rnd.choice(status), dest,
             None if dest is None else str(ts + 86400000000),
             str(ts), "2025-11-10"]
    out.write(("," if i else "") + json.dumps(
        {"f": [{"v": c} for c in cells]}, separators=(",", ":")))
out.write('],"totalBytesProcessed":"0","jobComplete":true,"cacheHit":false}\n')
