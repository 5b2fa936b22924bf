#!/usr/bin/env python3
# checkrows.py SOURCE DB.TABLE: compares every row of the NDJSON file SOURCE
# (control lines skipped) with Harper's rows read by SQL (SELECT *): the same
# ids (the source's "id", else the first 32 hex digits of SHA-256 over the
# canonical JSON, computed here independently of libbqsync), every source
# field equal, _syncedAt present in canonical form, and no other row.
# Harper comes from HARPER_URL/HARPER_USERNAME/HARPER_PASSWORD.
import base64, hashlib, json, os, re, sys, urllib.request

def num(v):
    # As libbqsync's row.c: integers up to 2^53 plainly, else the shortest
    # %.{1..17}g text that reads back as the same double; -0 is 0.
    d = float(v)
    if d == 0:
        return "0"
    if abs(d) <= 2.0 ** 53 and d == int(d):
        return "%d" % int(d)
    for p in range(1, 17):
        s = "%.*g" % (p, d)
        if float(s) == d:
            return s
    return "%.17g" % d

def canon(v, top=False):
    if isinstance(v, dict):
        keys = sorted((k for k in v if not (top and (k in ("id", "_syncedAt", "_fp") or v[k] is None))),
                      key=lambda k: k.encode())
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" +
                              canon(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return num(v)
    return json.dumps(v, ensure_ascii=False)

def row_id(r):
    if "id" in r:
        return str(r["id"])
    return hashlib.sha256(canon(r, True).encode()).hexdigest()[:32]

def sql(q):
    req = urllib.request.Request(os.environ["HARPER_URL"] + "/",
        data=json.dumps({"operation": "sql", "sql": q}).encode(),
        headers={"Content-Type": "application/json"})
    cred = "%s:%s" % (os.environ["HARPER_USERNAME"], os.environ["HARPER_PASSWORD"])
    req.add_header("Authorization", "Basic " + base64.b64encode(cred.encode()).decode())
    with urllib.request.urlopen(req, timeout=600) as f:
        return json.load(f)

want = {}
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)
        if "@bqsync" in r:
            continue
        want[row_id(r)] = r
got = sql("SELECT * FROM %s" % sys.argv[2])
bad = []
synced = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
seen = set()
for g in got:
    i = g.get("id")
    if i not in want:
        bad.append("unexpected row %r" % (i,))
        continue
    seen.add(i)
    for k, v in want[i].items():
        if k != "id" and g.get(k) != v:
            bad.append("row %s: %s: want %r, got %r" % (i, k, v, g.get(k)))
    if not synced.match(str(g.get("_syncedAt"))):
        bad.append("row %s: _syncedAt %r" % (i, g.get("_syncedAt")))
missing = len(want) - len(seen)
if missing:
    bad.append("%d rows missing, e.g. %s" % (missing, sorted(set(want) - seen)[:3]))
if len(got) != len(want):
    bad.append("%d rows in Harper, %d in the source" % (len(got), len(want)))
for b in bad[:20]:
    print("checkrows: " + b, file=sys.stderr)
if bad:
    sys.exit(1)
print(len(got))
