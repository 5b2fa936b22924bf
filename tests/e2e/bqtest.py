#!/usr/bin/env python3
"""bqtest.py: the Python side of the end-to-end tests (stdlib only), one
subcommand a job.  Every check prints what is wrong on stderr, prefixed
"bqtest CMD:", and exits 1; a usage error exits 64.  tests/e2e/lib.sh wraps
the common ones (jget, jfield, hsql, hcount, checkrows, ...).

Reading JSON
  get [-f FILE] PATH...     one JSON document (stdin or FILE): the value at
                            each PATH ("a.0.b"; "" is the whole document; a
                            key ending in "?" may be missing: null), one a
                            line: strings raw, anything else as JSON
  len [-f FILE] PATH        the length of the array at PATH (null: 0)
  field NAME [FILE]         NAME of each NDJSON record, one a line (MISSING
                            when absent, null, strings raw, else JSON)
  sum NAME [FILE] [--control KIND]
                            the sum of NAME over NDJSON records (absent: 0),
                            with KIND only over KIND's control lines
  after CURSOR [FILE] [--column C]
                            the NDJSON records with C (timestamp) > CURSOR;
                            an empty CURSOR passes every record
  micros [--column C] [FILE]  C (timestamp) of each record in microseconds
  set FILE PATH VALUE       FILE's JSON with PATH set to VALUE (JSON) in
                            every element when a key is "*"
Streams of the tools
  stream FILE [--begin JSON] [--end] [--rows N] [--seq N] [--cursor-last]
         [--controls LIST] [--error-status S]
                            a bq-pull output: its first line (begin, or
                            equal to JSON), its last line the end line,
                            N rows, their "seq" exactly 0..N-1 in order,
                            the sync line before the end at the last row's
                            ts; LIST the control lines in order; the error
                            line's status
  seqs FILE N [--field F]   the records' F (seq) are 0..N-1, each once
                            (control lines skipped, any order)
  disjoint [--column C] FILE...
                            no value of C (timestamp) in two FILEs: no
                            group of equal timestamps split between workers
  acks FILE [--count N] [--min-count N] [--table T] [--rows N] [--last-cursor C]
       [--error-status S] [--unclaimed TS:N]
                            harper-load acks: totals add up ack by ack,
                            cursors never go back; N acks (at least N), of
                            table T, N rows in all, the last cursor C, the
                            last ack's error status S; no ack with total < N
                            claims TS (cursor >= TS)
  acked-in-harper ACKS SOURCE DB.TABLE
                            every row of SOURCE up to the last acked cursor
                            is in Harper, and at least the acked total
Harper (HARPER_URL, HARPER_USERNAME, HARPER_PASSWORD from the environment)
  harper-sql SQL            the JSON result of a SQL query
  harper-count DB.TABLE     its number of records (SQL count)
  harper-url                HARPER_URL with the credentials as userinfo
  quote-env VAR             $VAR percent-encoded (secrets stay off argv)
  compare SOURCE DB.TABLE   Harper holds exactly SOURCE's rows (see
                            compare()); prints their number
BigQuery (bq-emulator at BIGQUERY_EMULATOR_HOST; BQAPI_TOKEN as bearer)
  bq table PROJECT DATASET TABLE FIELDS_JSON [PARTITIONING_JSON]
  bq insert PROJECT DATASET TABLE < rows.ndjson   (prints the rows inserted)
  bq get PROJECT DATASET TABLE KEY
  bq-query [--project P] SQL  the first result row's values, tab-separated
Keys and tokens (RS256 signed with openssl)
  sa-key PEM OUT [--token-uri U] [--project P] [--email E] [--key-id K]
                            a service-account key file (mode 0600)
  jwt PEM AUD ISS SCOPE     a signed grant assertion ("-" leaves a claim out)
  token PEM URI             an access token from URI's JWT bearer grant
Other
  free-port [N]             N consecutive free TCP ports on 127.0.0.1
  now-us | us TIME | iso-in SECONDS   clock helpers (UTC, microseconds)
  gen NAME ARGS...          test data: see GENERATORS
  check NAME ARGS...        the checks only one test makes: see CHECKS

Inline snippets kept in tests/e2e/*.sh, and why: agent-once.sh reads the
metrics with python3-prometheus-client, which is not stdlib, on purpose a
parser from outside; emulator-faults.sh and emulator-clients.sh run the
Google Cloud CLI's own bq.py and google-auth (third-party code, the point
of those tests); emulator-hardening.sh's idle-connection flood runs in the
background for a minute and is the only socket-level client.
"""
import base64
import collections
import datetime
import hashlib
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

ME = "bqtest"


class Fail(Exception):
    pass


def fail(msg):
    raise Fail(msg)


CHECKS = {}
GENERATORS = {}


def check(name):
    """Registers a check that only one test makes (bqtest.py check NAME)."""
    def reg(fn):
        CHECKS[name] = fn
        return fn
    return reg


def generator(name):
    """Registers a data generator (bqtest.py gen NAME)."""
    def reg(fn):
        GENERATORS[name] = fn
        return fn
    return reg


def need(cond, msg):
    if not cond:
        fail(msg)


def usage(msg):
    print("%s: usage: %s" % (ME, msg), file=sys.stderr)
    sys.exit(64)


def opts(argv, flags, nargs):
    """argv -> (positional, {flag: value}); flags maps '--x' to True (takes
    a value) or False (a switch)."""
    pos, got = [], {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in flags:
            if flags[a]:
                if i + 1 >= len(argv):
                    usage("%s needs a value" % a)
                got[a] = argv[i + 1]
                i += 1
            else:
                got[a] = True
        elif a.startswith("--") and len(a) > 2:
            usage("unknown option %s" % a)
        else:
            pos.append(a)
        i += 1
    if not nargs[0] <= len(pos) <= nargs[1]:
        usage("%d arguments, want %d to %d" % (len(pos), nargs[0], nargs[1]))
    return pos, got


def text(v):
    if v is None:
        return "null"
    return v if isinstance(v, str) else json.dumps(v)


def load_json(path=None):
    try:
        if path is None or path == "-":
            return json.load(sys.stdin)
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        fail("%s: not JSON: %s" % (path or "<stdin>", e))


def ndjson(path=None):
    """(line number, record) of each non-empty line of an NDJSON file."""
    f = sys.stdin if path is None or path == "-" else open(path)
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except ValueError as e:
            fail("%s:%d: not JSON: %s" % (path or "<stdin>", n, e))


def records(path=None):
    return [r for _, r in ndjson(path)]


def walk(doc, path):
    v = doc
    for key in [k for k in path.split(".") if k != ""]:
        opt = key.endswith("?")
        key = key.rstrip("?")
        try:
            v = v[int(key)] if isinstance(v, list) else v[key]
        except (KeyError, IndexError, ValueError, TypeError):
            if opt:
                return None
            fail("no %r in %s" % (path, json.dumps(doc)[:300]))
    return v


def cmd_get(argv):
    pos, o = opts(argv, {"-f": True}, (1, 99))
    doc = load_json(o.get("-f"))
    for p in pos:
        print(text(walk(doc, p)))


def cmd_len(argv):
    pos, o = opts(argv, {"-f": True}, (1, 1))
    v = walk(load_json(o.get("-f")), pos[0])
    if v is None:
        v = []
    need(isinstance(v, list), "%s is not an array" % pos[0])
    print(len(v))


def cmd_field(argv):
    pos, _ = opts(argv, {}, (1, 2))
    for _, r in ndjson(pos[1] if len(pos) > 1 else None):
        print(text(r[pos[0]]) if pos[0] in r else "MISSING")


def cmd_sum(argv):
    pos, o = opts(argv, {"--control": True}, (1, 2))
    s = 0
    for n, r in ndjson(pos[1] if len(pos) > 1 else None):
        if "--control" in o and r.get("@bqsync") != o["--control"]:
            continue
        v = r.get(pos[0], 0)
        if isinstance(v, str) and re.fullmatch(r"-?[0-9]+", v):
            v = int(v)
        need(isinstance(v, (int, float)) and not isinstance(v, bool),
             "line %d: %s is %r, not a number" % (n, pos[0], v))
        s += v
    print(s)


def cmd_after(argv):
    pos, o = opts(argv, {"--column": True}, (1, 2))
    col, cur = o.get("--column", "timestamp"), pos[0]
    path = pos[1] if len(pos) > 1 else None
    for n, r in ndjson(path):
        need(col in r, "line %d: no %s" % (n, col))
        if not cur or r[col] > cur:
            sys.stdout.write(json.dumps(r, separators=(",", ":"),
                                        ensure_ascii=False) + "\n")


def micros_of(v):
    """RFC 3339 text (or "SECONDS[.FRACTION]") -> microseconds since 1970."""
    if isinstance(v, int):
        return v
    m = re.fullmatch(r"(-?\d+)(?:\.(\d{1,6}))?", v)
    if m:
        return int(m.group(1)) * 1000000 + int((m.group(2) or "").ljust(6, "0"))
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?"
                     r"(Z|[+-]00:00)?", v)
    need(m, "not a timestamp: %r" % v)
    d = datetime.datetime.strptime(m.group(1) + " " + m.group(2),
                                   "%Y-%m-%d %H:%M:%S")
    e = d - datetime.datetime(1970, 1, 1)
    return ((e.days * 86400 + e.seconds) * 1000000 +
            int((m.group(3) or "").ljust(6, "0")))


def cmd_micros(argv):
    pos, o = opts(argv, {"--column": True}, (0, 1))
    col = o.get("--column", "timestamp")
    for n, r in ndjson(pos[0] if pos else None):
        need(col in r, "line %d: no %s" % (n, col))
        print(micros_of(r[col]))


def cmd_set(argv):
    pos, _ = opts(argv, {}, (3, 3))
    doc = load_json(pos[0])
    keys, val = pos[1].split("."), json.loads(pos[2])

    def put(v, ks):
        if ks[0] == "*":
            need(isinstance(v, list), "%s: * over a non-array" % pos[1])
            for x in v:
                put(x, ks[1:])
        elif len(ks) == 1:
            v[ks[0]] = val
        else:
            put(v[int(ks[0])] if isinstance(v, list) else v[ks[0]], ks[1:])
    put(doc, keys)
    with open(pos[0], "w") as f:
        json.dump(doc, f)


# --- streams of the tools ------------------------------------------------

def cmd_stream(argv):
    pos, o = opts(argv, {"--begin": True, "--end": False, "--rows": True,
                         "--seq": True, "--cursor-last": False,
                         "--controls": True, "--error-status": True}, (1, 1))
    lines = open(pos[0]).read().splitlines()
    need(lines, "%s is empty" % pos[0])
    recs = []
    for n, l in enumerate(lines, 1):
        try:
            recs.append(json.loads(l))
        except ValueError:
            fail("%s:%d: not JSON: %r" % (pos[0], n, l[:200]))
    ctl = [r for r in recs if "@bqsync" in r]
    rows = [r for r in recs if "@bqsync" not in r]
    need(recs[0].get("@bqsync") == "begin",
         "first line is not a begin line: %s" % lines[0])
    if "--begin" in o:
        need(recs[0] == json.loads(o["--begin"]),
             "begin line %s, want %s" % (lines[0], o["--begin"]))
    if "--end" in o:
        need(lines[-1] == '{"@bqsync":"end"}',
             "last line is not the end line: %s" % lines[-1])
    if "--controls" in o:
        want = o["--controls"].split(",")
        got = [r["@bqsync"] for r in ctl]
        need(got == want, "control lines %s, want %s" % (got, want))
    if "--error-status" in o:
        need(recs[-1].get("@bqsync") == "error" and
             recs[-1].get("status") == int(o["--error-status"]),
             "last line %s, want an error with status %s" %
             (lines[-1], o["--error-status"]))
    if "--rows" in o:
        need(len(rows) == int(o["--rows"]),
             "%d rows, want %s" % (len(rows), o["--rows"]))
    if "--seq" in o:
        seqs = [r.get("seq") for r in rows]
        need(seqs == list(range(int(o["--seq"]))),
             "seq not 0..%d in order: %d rows, first differences %s" %
             (int(o["--seq"]) - 1, len(seqs),
              [(i, s) for i, s in enumerate(seqs) if s != i][:5]))
    if "--cursor-last" in o:
        need(len(recs) >= 2 and recs[-2].get("@bqsync") == "sync",
             "no sync line before the end: %s" % lines[-2:])
        need(rows and recs[-2].get("cursor") == rows[-1]["ts"],
             "last sync cursor %s, last row's ts %s" %
             (recs[-2].get("cursor"), rows and rows[-1]["ts"]))


def cmd_seqs(argv):
    pos, o = opts(argv, {"--field": True}, (2, 2))
    f = o.get("--field", "seq")
    seqs = [r[f] for r in records(pos[0]) if "@bqsync" not in r]
    need(sorted(seqs) == list(range(int(pos[1]))),
         "%s: %d values (%d distinct), want 0..%d once each" %
         (f, len(seqs), len(set(seqs)), int(pos[1]) - 1))


def cmd_disjoint(argv):
    pos, o = opts(argv, {"--column": True}, (1, 999))
    col, owner = o.get("--column", "timestamp"), {}
    for path in pos:
        for n, r in ndjson(path):
            if "@bqsync" in r:
                continue
            need(col in r, "%s:%d: no %s" % (path, n, col))
            w = owner.setdefault(r[col], path)
            need(w == path, "%s %s in both %s and %s" % (col, r[col], w, path))


def cmd_acks(argv):
    pos, o = opts(argv, {"--count": True, "--min-count": True,
                         "--table": True, "--rows": True,
                         "--last-cursor": True, "--error-status": True,
                         "--unclaimed": True}, (1, 1))
    acks = records(pos[0])
    tot, prev = 0, ""
    for k, a in enumerate(acks, 1):
        need(isinstance(a.get("rows"), int), "ack %d without rows: %s" % (k, a))
        tot += a["rows"]
        need(a.get("total") == tot, "ack %d: total %s, the rows add up to %d"
             % (k, a.get("total"), tot))
        c = a.get("cursor")
        need(c is None or c >= prev, "ack %d: cursor %s before %s" % (k, c, prev))
        prev = c or prev
        if "--table" in o:
            need(a.get("table") == o["--table"], "ack %d: table %s, want %s" %
                 (k, a.get("table"), o["--table"]))
        if "--unclaimed" in o:
            ts, below = o["--unclaimed"].rsplit(":", 1)
            need(a["total"] >= int(below) or c is None or c < ts,
                 "ack %d claims %s after %d rows: %s" % (k, ts, a["total"], a))
    if "--count" in o:
        need(len(acks) == int(o["--count"]),
             "%d acks, want %s" % (len(acks), o["--count"]))
    if "--min-count" in o:
        need(len(acks) >= int(o["--min-count"]),
             "%d acks, want at least %s" % (len(acks), o["--min-count"]))
    if "--rows" in o:
        need(tot == int(o["--rows"]), "%d rows acked, want %s" % (tot, o["--rows"]))
    if "--last-cursor" in o:
        need(acks and acks[-1].get("cursor") == o["--last-cursor"],
             "last cursor %s, want %s" %
             (acks and acks[-1].get("cursor"), o["--last-cursor"]))
    if "--error-status" in o:
        e = acks[-1].get("error") if acks else None
        need(isinstance(e, dict) and e.get("status") == int(o["--error-status"]),
             "last ack %s, want an error with status %s" %
             (acks and acks[-1], o["--error-status"]))


def cmd_acked_in_harper(argv):
    pos, _ = opts(argv, {}, (3, 3))
    acks = records(pos[0])
    have = {r["id"] for r in harper_sql("SELECT id FROM %s" % pos[2])}
    need(acks, "no acks")
    need(acks[-1]["total"] <= len(have), "%d rows acked, %d in Harper" %
         (acks[-1]["total"], len(have)))
    cur = max((a["cursor"] for a in acks if a.get("cursor")), default=None)
    n = 0
    for _, r in ndjson(pos[1]):
        if cur is not None and r["timestamp"] <= cur:
            need(row_id(r) in have, "acked row not in Harper: %s" % r)
            n += 1
    print("rows up to the cursor: %d" % n, file=sys.stderr)


# --- Harper ----------------------------------------------------------------

def harper(op, timeout=600):
    req = urllib.request.Request(os.environ["HARPER_URL"] + "/",
                                 data=json.dumps(op).encode(),
                                 headers={"Content-Type": "application/json"})
    cred = "%s:%s" % (os.environ["HARPER_USERNAME"],
                      os.environ["HARPER_PASSWORD"])
    req.add_header("Authorization",
                   "Basic " + base64.b64encode(cred.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as f:
            return json.load(f)
    except urllib.error.HTTPError as e:
        fail("Harper %s: HTTP %d %s" % (op.get("operation"), e.code,
                                        e.read()[:300].decode("utf-8", "replace")))
    except urllib.error.URLError as e:
        fail("Harper at %s: %s" % (os.environ["HARPER_URL"], e.reason))


def harper_sql(q):
    return harper({"operation": "sql", "sql": q})


def cmd_harper_sql(argv):
    pos, _ = opts(argv, {}, (1, 1))
    print(json.dumps(harper_sql(pos[0])))


def cmd_harper_count(argv):
    pos, _ = opts(argv, {}, (1, 1))
    print(harper_sql("SELECT count(*) AS n FROM %s" % pos[0])[0]["n"])


def cmd_harper_url(argv):
    opts(argv, {}, (0, 0))
    p = urllib.parse.urlsplit(os.environ["HARPER_URL"])
    q = lambda v: urllib.parse.quote(os.environ[v], safe="")
    print(p._replace(netloc="%s:%s@%s" % (q("HARPER_USERNAME"),
                                          q("HARPER_PASSWORD"),
                                          p.netloc)).geturl())


def cmd_quote_env(argv):
    pos, _ = opts(argv, {}, (1, 1))
    print(urllib.parse.quote(os.environ[pos[0]], safe=""))


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
        keys = sorted((k for k in v if not (top and (k in ("id", "_syncedAt", "_fp")
                                                     or v[k] is None))),
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
    """The source's "id", else the first 32 hex digits of SHA-256 over the
    canonical JSON: computed here independently of libbqsync."""
    if "id" in r:
        return str(r["id"])
    return hashlib.sha256(canon(r, True).encode()).hexdigest()[:32]


def cmd_compare(argv):
    """Every row of the NDJSON file SOURCE (control lines skipped) against
    Harper's rows (SELECT *): the same ids, every source field equal,
    _syncedAt present in canonical form, and no other row."""
    pos, _ = opts(argv, {}, (2, 2))
    want = {}
    for _, r in ndjson(pos[0]):
        if "@bqsync" not in r:
            want[row_id(r)] = r
    got = harper_sql("SELECT * FROM %s" % pos[1])
    bad, seen = [], set()
    synced = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
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
        bad.append("%d rows missing, e.g. %s" % (missing,
                                                 sorted(set(want) - seen)[:3]))
    if len(got) != len(want):
        bad.append("%d rows in Harper, %d in the source" % (len(got), len(want)))
    need(not bad, "\n".join(bad[:20]))
    print(len(got))


# --- BigQuery (bq-emulator) ---------------------------------------------------

def bq_call(method, path, body=None, ok=(200,)):
    base = "http://%s/bigquery/v2" % os.environ["BIGQUERY_EMULATOR_HOST"]
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
        fail("%s %s: HTTP %d %s" % (method, path, e.code, e.read()[:300]))


def cmd_bq(argv):
    if len(argv) < 4:
        usage("bq table|insert|get PROJECT DATASET TABLE ...")
    cmd, proj, ds, tab = argv[:4]
    tpath = "/projects/%s/datasets/%s/tables" % (proj, ds)
    if cmd == "table" and len(argv) in (5, 6):
        bq_call("POST", "/projects/%s/datasets" % proj,
                {"datasetReference": {"projectId": proj, "datasetId": ds}},
                ok=(200, 409))
        t = {"tableReference": {"projectId": proj, "datasetId": ds,
                                "tableId": tab},
             "schema": {"fields": json.loads(argv[4])}}
        if len(argv) > 5:
            t["timePartitioning"] = json.loads(argv[5])
        bq_call("POST", tpath, t)
    elif cmd == "get" and len(argv) == 5:
        _, body = bq_call("GET", "%s/%s" % (tpath, tab))
        print(text(json.loads(body)[argv[4]]))
    elif cmd == "insert" and len(argv) == 4:
        batch, n = [], 0

        def flush():
            _, body = bq_call("POST", "%s/%s/insertAll" % (tpath, tab),
                              {"rows": [{"json": r} for r in batch]})
            need(not json.loads(body or b"{}").get("insertErrors"),
                 "insertErrors: %s" % body[:300])
        for _, r in ndjson():
            batch.append(r)
            n += 1
            if len(batch) == 10000:
                flush()
                batch = []
        if batch:
            flush()
        print(n)
    else:
        usage("bq table|insert|get PROJECT DATASET TABLE ...")


def cmd_bq_query(argv):
    pos, o = opts(argv, {"--project": True}, (1, 1))
    _, body = bq_call("POST", "/projects/%s/queries" %
                      o.get("--project", "synthtest"),
                      {"query": pos[0], "useLegacySql": False,
                       "formatOptions": {"useInt64Timestamp": True}})
    r = json.loads(body)
    need(r.get("rows"), "no rows: %s" % body[:300])
    print("\t".join("" if c["v"] is None else str(c["v"])
                    for c in r["rows"][0]["f"]))


# --- keys and tokens -------------------------------------------------------

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(pem, claims):
    now = int(time_now())
    c = {"iat": now, "exp": now + 3600}
    c.update({k: v for k, v in claims.items() if v != "-"})
    inp = b64u(b'{"alg":"RS256","typ":"JWT"}') + "." + b64u(json.dumps(c).encode())
    r = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem],
                       input=inp.encode(), capture_output=True)
    need(r.returncode == 0, "openssl: %s" % r.stderr.decode().strip())
    return inp + "." + b64u(r.stdout)


def time_now():
    import time
    return time.time()


def cmd_sa_key(argv):
    pos, o = opts(argv, {"--token-uri": True, "--project": True,
                         "--email": True, "--key-id": True}, (2, 2))
    proj = o.get("--project", "test-project")
    k = {"type": "service_account", "project_id": proj,
         "private_key_id": o.get("--key-id", "k1"),
         "private_key": open(pos[0]).read(),
         "client_email": o.get("--email",
                               "puller@%s.iam.gserviceaccount.com" % proj),
         "client_id": "1", "token_uri": o.get("--token-uri", "unused")}
    fd = os.open(pos[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, json.dumps(k).encode())
    os.close(fd)


def cmd_jwt(argv):
    pos, _ = opts(argv, {}, (4, 4))
    print(jwt(pos[0], {"aud": pos[1], "iss": pos[2], "scope": pos[3]}))


def cmd_token(argv):
    pos, _ = opts(argv, {}, (2, 2))
    a = jwt(pos[0], {"iss": "setup@test", "aud": pos[1],
                     "scope": "https://www.googleapis.com/auth/bigquery"})
    form = urllib.parse.urlencode({
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": a}).encode()
    try:
        print(json.load(urllib.request.urlopen(pos[1], form))["access_token"])
    except urllib.error.HTTPError as e:
        fail("%s: HTTP %d %s" % (pos[1], e.code, e.read()[:300]))


# --- other -------------------------------------------------------------------

def cmd_free_port(argv):
    pos, _ = opts(argv, {}, (0, 1))
    n = int(pos[0]) if pos else 1
    for _ in range(200):
        base = random.randint(20000, 60000 - n)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        print(base)
        return
    fail("no %d free ports" % n)


def cmd_now_us(argv):
    opts(argv, {}, (0, 0))
    print(int(time_now() * 1e6))


def cmd_us(argv):
    pos, _ = opts(argv, {}, (1, 1))
    print(micros_of(pos[0]))


def cmd_iso_in(argv):
    pos, _ = opts(argv, {}, (1, 1))
    t = (datetime.datetime.now(datetime.timezone.utc) +
         datetime.timedelta(seconds=float(pos[0])))
    print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))


# --- generators: test data, deterministic ---------------------------------

def gen_rows(argv):
    """rows N [GROUP] [START] [--ids]: N vessel rows in ascending timestamp
    order, GROUP rows per timestamp (default 1), the first at START
    microseconds after 2025-11-01 (default 0), one second apart; with --ids
    every row carries an "id" ("r<n>")."""
    pos, o = opts(argv, {"--ids": False}, (1, 3))
    n = int(pos[0])
    group = int(pos[1]) if len(pos) > 1 else 1
    start = int(pos[2]) if len(pos) > 2 else 0
    base = datetime.datetime(2025, 11, 1, tzinfo=datetime.timezone.utc)
    status = ["underway", "moored", "anchored", "fishing"]
    out = sys.stdout
    for i in range(n):
        t = base + datetime.timedelta(microseconds=start + (i // group) * 1000000 + 123)
        r = {
            "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "mmsi": str(367000000 + (i * 7919) % 100000),
            "vessel_name": "VESSEL %d" % (i % 977),
            "latitude": round(-60 + (i * 37 % 12000) / 100.0, 4),
            "longitude": round(-170 + (i * 53 % 34000) / 100.0, 4),
            "speed_knots": (i * 13 % 250) / 10.0,
            "heading": i * 17 % 360,
            "status": status[i % 4],
            "seq": i,
        }
        if "--ids" in o:
            r["id"] = "r%d" % i
        out.write(json.dumps(r, separators=(",", ":")) + "\n")


def gen_seconds(argv):
    """seconds N [PER] [DAY]: {"timestamp","seq"} rows, PER (1) a second
    from DAY (2025-11-01) 00:00:00Z, whole seconds, seq 0..N-1."""
    pos, o = opts(argv, {"--column": True}, (1, 3))
    n = int(pos[0])
    per = int(pos[1]) if len(pos) > 1 else 1
    day = pos[2] if len(pos) > 2 else "2025-11-01"
    col = o.get("--column", "timestamp")
    for i in range(n):
        s = i // per
        print('{"%s":"%sT%02d:%02d:%02dZ","seq":%d}' %
              (col, day, s // 3600, s // 60 % 60, s % 60, i))


def gen_epoch(argv):
    """epoch N [FIRST]: {"ts":"SECONDS","seq"} rows, one a second from
    FIRST (1762000000)."""
    pos, _ = opts(argv, {}, (1, 2))
    first = int(pos[1]) if len(pos) > 1 else 1762000000
    for i in range(int(pos[0])):
        print('{"ts":"%d","seq":%d}' % (first + i, i))


GENERATORS.update({"rows": gen_rows, "seconds": gen_seconds, "epoch": gen_epoch})


# --- checks and generators of one test each, named after the test ----------

# (BEGIN ONE-TEST)
@check('pull-pages')
def check_pull_pages(args):
    """pull-pages: from tests/e2e/pull-pages.sh."""
    argv = ['pull-pages'] + args
    import json, sys
    from datetime import datetime, timezone
    src = {}
    for line in open(argv[1]):
        r = json.loads(line)
        s, f = r["ts"].split(".")
        dt = datetime.fromtimestamp(int(s), timezone.utc)
        r["ts"] = dt.strftime("%Y-%m-%dT%H:%M:%S.") + f + "Z"
        src[r["seq"]] = r
    lines = open(argv[2]).read().splitlines()
    assert json.loads(lines[0]) == {"@bqsync": "begin", "table": "t",
                                   "worker": "0/1"}, lines[0]
    assert json.loads(lines[-1]) == {"@bqsync": "end"}, lines[-1]
    sync = json.loads(lines[-2])
    body = [json.loads(l) for l in lines[1:-2]]
    rows = [r for r in body if "@bqsync" not in r]
    assert len(rows) == 100000, len(rows)
    # a sync line after pages: no row below it is at or before its cursor
    syncs = 0
    for k, r in enumerate(body):
        if "@bqsync" in r:
            syncs += 1
            assert r["@bqsync"] == "sync" and r["newer"] is True, r
            later = [x["ts"] for x in body[k + 1:] if "@bqsync" not in x]
            assert not later or min(later) > r["cursor"], (r, min(later))
    assert syncs >= 9, syncs
    seen = set()
    prev = ""
    for r in rows:
        rid = r.pop("id")
        assert len(rid) == 32
        assert isinstance(r.pop("_fp"), (int, str))
        assert r["ts"] >= prev, "order"
        prev = r["ts"]
        assert r["seq"] not in seen, "duplicate %d" % r["seq"]
        seen.add(r["seq"])
        assert r == src[r["seq"]], (r, src[r["seq"]])
    assert sync["cursor"] == prev and sync["newer"] is True, (sync, prev)
    print("rows ok")


@generator('pull-pages')
def gen_pull_pages(args):
    """pull-pages: from tests/e2e/pull-pages.sh."""
    argv = ['pull-pages'] + args
    import random
    rnd = random.Random(3)
    rows = list(range(100000))
    rnd.shuffle(rows)
    for i in rows:
        us = 1762000000000000 + i * 1000 + (i * 7919) % 1000
        print('{"ts":"%d.%06d","seq":%d,"mmsi":"%d","lat":%s}' % (
            us // 1000000, us % 1000000, i, 367000000 + i % 977,
            repr((i % 18000) / 100.0 - 90)))


@check('pull-types')
def check_pull_types(args):
    """pull-types: from tests/e2e/pull-types.sh."""
    argv = ['pull-types'] + args
    import json, sys
    lines = open(argv[1]).read().splitlines()
    rows = [json.loads(l) for l in lines]
    assert len(rows) == 3, len(rows)
    a, b, c = rows
    # INT64 beyond 2^53 stays exact as a string; within it, a number
    assert a["i"] == "9007199254740993" and b["i"] == 9007199254740992, (a, b)
    assert '"i":9007199254740992' in lines[1]
    assert c["i"] == -42
    assert a["rec"]["x"] == "-9223372036854775808"
    # NUMERIC / BIGNUMERIC as BigQuery's strings
    assert a["n"] == "12345678901234567890123456789.123456789"
    assert b["n"] == "99999999999999999999999999999.999999999"
    assert a["bn"] == "-0.00000000000000000000000000000000000001", a["bn"]
    # FLOAT64, non-finite as strings
    assert a["f"] == 0.1 and b["f"] == "Infinity" and c["f"] == "-Infinity"
    assert a["rec"]["pts"] == [{"lat": -33.5, "ok": False},
                               {"lat": "NaN", "ok": True}], a["rec"]
    # TIMESTAMP: RFC 3339 UTC, 6 digits, also nested
    assert [r["ts"] for r in rows] == ["2025-11-04T15:59:00.123456Z",
        "2025-11-04T15:59:00.123457Z", "2025-11-04T15:59:01.000000Z"]
    assert a["rec"]["when"] == "1970-01-01T00:00:00.000001Z"
    # the rest as sent
    assert (a["b"], b["b"], c["b"]) == (True, False, None)
    assert a["by"] == "AAEC/w==" and b["by"] is None
    assert (a["d"], a["dt"], a["tm"]) == ("2025-11-04",
        "2025-11-04T15:59:00.123456", "15:59:00.123456")
    assert c["dt"] == "9999-12-31T23:59:59.999999" and c["d"] == "0001-01-01"
    assert a["g"] == "POINT(1 2)"
    assert a["j"] == {"a": [1, True, None], "s": "x"} and c["j"] == "str", c["j"]
    assert (a["tags"], b["tags"], c["tags"]) == (["p", "q"], [], ["only"])
    assert b["rec"] is None and c["rec"] == {"x": None, "when": None, "pts": []}
    # id from idColumns [k]: one per key, 32 hex digits
    assert len({r["id"] for r in rows}) == 3
    assert all(len(r["id"]) == 32 for r in rows)
    print("types ok")


@generator('pull-ties')
def gen_pull_ties(args):
    """pull-ties: from tests/e2e/pull-ties.sh."""
    argv = ['pull-ties'] + args
    # 3 rows before, 5,000 tied at one instant, 3 after
    for i in range(3):
        print('{"ts":"2025-11-01T00:00:0%d.000001Z","seq":%d}' % (i, i))
    for i in range(3, 5003):
        print('{"ts":"2025-11-01T00:00:05.500000Z","seq":%d}' % i)
    for i in range(5003, 5006):
        print('{"ts":"2025-11-01T00:00:0%d.000001Z","seq":%d}' % (i - 4997, i))


@generator('pull-examples')
def gen_pull_examples(args):
    """pull-examples: from tests/e2e/pull-examples.sh."""
    argv = ['pull-examples'] + args
    for i in range(3000):
        print('{"timestamp":"%d.%06d","mmsi":"%d","seq":%d}' % (
            1762000000 + i // 2, (i % 2) * 250000, 367000000 + i % 7, i))


@check("pull-cost-jobs-billed")
def check_pull_cost_jobs_billed(args):
    """pull-cost-jobs-billed < jobs.list: totalBytesBilled of the query
    jobs, summed (from tests/e2e/pull-cost.sh)."""
    opts(args, {}, (0, 0))
    print(sum(int(j["statistics"]["query"].get("totalBytesBilled", 0))
              for j in load_json().get("jobs", [])
              if "query" in j.get("statistics", {})))


@generator('pull-cost')
def gen_pull_cost(args):
    """pull-cost: from tests/e2e/pull-cost.sh."""
    argv = ['pull-cost'] + args
    import sys
    n = int(argv[1])
    day0 = 1761955200		# 2025-11-01T00:00:00Z, 30 days of rows
    for i in range(n):
        print('{"ts":"%d","seq":%d,"mmsi":"%d","lat":%.4f,"lon":%.4f,'
              '"note":"%s"}' % (day0 + i * (30 * 86400 // n), i,
                                367000000 + i % 977, (i % 1800) / 10.0 - 90,
                                (i % 3600) / 10.0 - 180, "x" * (200 + i % 50)))


# (END ONE-TEST)


def cmd_gen(argv):
    if not argv or argv[0] not in GENERATORS:
        usage("gen %s ARGS..." % "|".join(sorted(GENERATORS)))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    GENERATORS[argv[0]](argv[1:])


def cmd_check(argv):
    if not argv or argv[0] not in CHECKS:
        usage("check %s ARGS..." % "|".join(sorted(CHECKS)))
    CHECKS[argv[0]](argv[1:])


COMMANDS = {
    "get": cmd_get, "len": cmd_len, "field": cmd_field, "sum": cmd_sum,
    "after": cmd_after, "micros": cmd_micros, "set": cmd_set,
    "stream": cmd_stream, "seqs": cmd_seqs, "disjoint": cmd_disjoint, "acks": cmd_acks,
    "acked-in-harper": cmd_acked_in_harper,
    "harper-sql": cmd_harper_sql, "harper-count": cmd_harper_count,
    "harper-url": cmd_harper_url, "quote-env": cmd_quote_env,
    "compare": cmd_compare, "bq": cmd_bq, "bq-query": cmd_bq_query,
    "sa-key": cmd_sa_key, "jwt": cmd_jwt, "token": cmd_token,
    "free-port": cmd_free_port, "now-us": cmd_now_us, "us": cmd_us,
    "iso-in": cmd_iso_in, "gen": cmd_gen, "check": cmd_check,
}


def main(argv):
    global ME
    if len(argv) < 2 or argv[1] not in COMMANDS:
        usage("bqtest.py %s ..." % "|".join(sorted(COMMANDS)))
    ME = "bqtest %s" % " ".join(argv[1:3] if argv[1] in ("gen", "check", "bq")
                                else argv[1:2])
    try:
        COMMANDS[argv[1]](argv[2:])
    except Fail as e:
        print("%s: %s" % (ME, e), file=sys.stderr)
        return 1
    except AssertionError as e:
        tb = e.__traceback__
        while tb.tb_next:
            tb = tb.tb_next
        print("%s: check failed (bqtest.py:%d): %s" %
              (ME, tb.tb_lineno, e), file=sys.stderr)
        return 1
    except (OSError, KeyError, ValueError) as e:
        print("%s: %s: %s" % (ME, type(e).__name__, e), file=sys.stderr)
        return 1
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
