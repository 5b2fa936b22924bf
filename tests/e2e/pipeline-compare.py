#!/usr/bin/env python3
"""pipeline-compare.py: the oracle of the pipeline-*.sh tests, independent
of libbqsync.  BigQuery's side is read from bq-emulator's REST API
(tabledata.list), Harper's with SQL; both are normalised to plain values
(TIMESTAMP -> integer microseconds, INTEGER -> int, FLOAT -> float) and
compared as multisets of rows, ignoring id, _syncedAt and _fp.

  dump PROJECT DATASET TABLE > rows.ndjson
      every row of the table, normalised, one JSON object a line
  compare ROWS DB.TABLE [KEY]
      Harper's rows equal ROWS exactly: no row missing, none extra, none
      twice.  With KEY (an idColumns table) Harper must hold, per KEY, the
      source row with the latest timestamp (TSCOL env), and nothing else.
  covered DB.TABLE SHARE CURSOR [SHARE CURSOR...]
      the invariant of a checkpoint: every row of each SHARE file (a
      worker's rows, from bq-partition) with ts <= CURSOR is in Harper.
      An empty CURSOR covers nothing.  Prints the rows checked.
Environment: BIGQUERY_EMULATOR_HOST, HARPER_URL, HARPER_USERNAME,
HARPER_PASSWORD, TSCOL (the timestamp column), TSCOLS (every TIMESTAMP
column, comma-separated).
"""
import base64
import collections
import datetime
import json
import os
import re
import sys
import urllib.error
import urllib.request


def fail(msg):
    sys.exit("pipeline-compare: " + msg)


def micros(v):
    """RFC 3339 text or an integer -> microseconds since the epoch."""
    if v is None or isinstance(v, int):
        return v
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)"
                     r"(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)?", str(v))
    if not m:
        if re.fullmatch(r"-?\d+", str(v)):
            return int(v)
        fail("bad timestamp %r" % (v,))
    d = datetime.datetime(*map(int, m.groups()[:6]),
                          tzinfo=datetime.timezone.utc)
    z = m.group(8)
    if z and z != "Z":
        sign = 1 if z[0] == "+" else -1
        d -= sign * datetime.timedelta(hours=int(z[1:3]), minutes=int(z[4:]))
    frac = int((m.group(7) or "0").ljust(6, "0"))
    return int(d.timestamp()) * 1000000 + frac


def bq(path):
    url = "http://%s/bigquery/v2%s" % (os.environ["BIGQUERY_EMULATOR_HOST"],
                                       path)
    with urllib.request.urlopen(url, timeout=600) as f:
        return json.load(f)


def cell(field, v):
    if v is None:
        return None
    t = field["type"]
    if field.get("mode") == "REPEATED":
        return [cell(dict(field, mode="NULLABLE"), x["v"]) for x in v]
    if t in ("INTEGER", "INT64"):
        return int(v)
    if t in ("FLOAT", "FLOAT64"):
        return float(v)
    if t in ("BOOLEAN", "BOOL"):
        return v in (True, "true")
    if t == "TIMESTAMP":
        if not re.fullmatch(r"-?\d+", str(v)):
            fail("TIMESTAMP cell %r is not int64 microseconds" % (v,))
        return int(v)
    if t in ("RECORD", "STRUCT"):
        return {f["name"]: cell(f, c["v"])
                for f, c in zip(field["fields"], v["f"])}
    return v


def dump(proj, ds, tab):
    p = "/projects/%s/datasets/%s/tables/%s" % (proj, ds, tab)
    fields = bq(p)["schema"]["fields"]
    token, n = None, 0
    while True:
        q = "?maxResults=5000&formatOptions.useInt64Timestamp=true"
        if token:
            q += "&pageToken=" + urllib.request.quote(token)
        page = bq(p + "/data" + q)
        for r in page.get("rows", []):
            print(json.dumps({f["name"]: cell(f, c["v"])
                              for f, c in zip(fields, r["f"])},
                             sort_keys=True))
            n += 1
        token = page.get("pageToken")
        if not token:
            break
    total = int(bq(p).get("numRows", n))
    if total != n:
        fail("tabledata.list gave %d rows, the table has %d" % (n, total))


def harper(table):
    req = urllib.request.Request(
        os.environ["HARPER_URL"] + "/",
        data=json.dumps({"operation": "sql",
                         "sql": "SELECT * FROM %s" % table}).encode(),
        headers={"Content-Type": "application/json"})
    cred = "%s:%s" % (os.environ["HARPER_USERNAME"],
                      os.environ["HARPER_PASSWORD"])
    req.add_header("Authorization",
                   "Basic " + base64.b64encode(cred.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=600) as f:
            rows = json.load(f)
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors="replace")
        if e.code == 404 and "not exist" in body:
            return []	# not created yet: no rows
        fail("%s: HTTP %d %s" % (table, e.code, body[:300]))
    ids = collections.Counter(r.get("id") for r in rows)
    dup = [i for i, c in ids.items() if c > 1 or i is None]
    if dup:
        bad = [r for r in rows if r.get("id") in dup][:3]
        fail("%s: ids missing or repeated: %r, e.g. %s"
             % (table, dup[:5], json.dumps(bad)[:600]))
    return [norm(r) for r in rows]


def norm(r):
    """A row as a hashable key: without id and _syncedAt, timestamps in
    microseconds, integral floats and ints alike."""
    tscols = set(filter(None, os.environ.get("TSCOLS", "").split(",")))
    out = {}
    for k, v in r.items():
        if k in ("id", "_syncedAt", "_fp", "__createdtime__", "__updatedtime__"):
            continue
        if v is None:	# Harper may omit a null attribute
            continue
        if k in tscols:
            v = micros(v)
        elif isinstance(v, float) and v.is_integer():
            v = int(v)
        out[k] = v
    return out


def key(r):
    return json.dumps(r, sort_keys=True)


def load(path):
    with open(path) as f:
        return [norm(json.loads(l)) for l in f if l.strip()]


def compare(path, table, idcol=None):
    src = load(path)
    got = harper(table)
    ts = os.environ["TSCOL"]
    if idcol:
        latest = {}
        for r in src:
            k = r[idcol]
            if k not in latest or r[ts] > latest[k][ts]:
                latest[k] = r
        src = list(latest.values())
    want = collections.Counter(map(key, src))
    have = collections.Counter(map(key, got))
    missing = want - have
    extra = have - want
    for what, rows in (("missing from Harper", missing),
                       ("extra in Harper", extra)):
        for k in list(rows)[:3]:
            print("pipeline-compare: %s: %s: %s" % (table, what, k),
                  file=sys.stderr)
    if missing or extra:
        fail("%s: %d rows in BigQuery, %d in Harper: %d missing, %d extra"
             % (table, sum(want.values()), sum(have.values()),
                sum(missing.values()), sum(extra.values())))
    print(sum(want.values()))


def covered(table, pairs):
    ts = os.environ["TSCOL"]
    have = collections.Counter(map(key, harper(table)))
    checked = 0
    for share, cur in zip(pairs[::2], pairs[1::2]):
        if not cur:
            continue
        c = micros(cur)
        want = collections.Counter(key(r) for r in load(share) if r[ts] <= c)
        lost = want - have
        if lost:
            fail("%s: the cursor %s of %s ran ahead: %d of its %d rows at or "
                 "before it are not in Harper, e.g. %s"
                 % (table, cur, share, sum(lost.values()),
                    sum(want.values()), next(iter(lost))))
        checked += sum(want.values())
    print(checked)


cmd = sys.argv[1] if len(sys.argv) > 1 else ""
if cmd == "dump" and len(sys.argv) == 5:
    dump(*sys.argv[2:])
elif cmd == "compare" and len(sys.argv) in (4, 5):
    compare(*sys.argv[2:])
elif cmd == "covered" and len(sys.argv) >= 5 and len(sys.argv) % 2 == 1:
    covered(sys.argv[2], sys.argv[3:])
else:
    fail("usage: dump P D T | compare ROWS DB.T [KEY] | covered DB.T "
         "SHARE CURSOR...")
