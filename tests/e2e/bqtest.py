#!/usr/bin/env python3
"""bqtest.py: the Python side of the end-to-end tests (stdlib only), one
subcommand a job.  Every check prints what is wrong on stderr, prefixed
"bqtest CMD:", and exits 1; a usage error exits 64.  tests/e2e/lib.sh wraps
the common ones (jget, jfield, hsql, hcount, checkrows, ...).

Reading JSON
  get [-f FILE] PATH...     one JSON document (stdin or FILE): the value at
                            each PATH ("a.0.b"; "" is the whole document; a
                            key ending in "?" may be missing: null), one a
                            line: strings raw, anything else as compact JSON
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
         [--controls LIST] [--error-status S] [--syncs N]
                            a bq-pull output: its first line (begin, or
                            equal to JSON), its last line the end line,
                            N rows, their "seq" exactly 0..N-1 in order,
                            the sync line before the end at the last row's
                            ts; LIST the control lines in order; the error
                            line's status; sync cursors that never go back,
                            at least N distinct
  seqs FILE N [--field F]   the records' F (seq) are 0..N-1, each once
                            (control lines skipped, any order)
  disjoint [--column C[,C...]] [--count N] FILE...
                            no value of C (timestamp) in two FILEs: no
                            group of equal timestamps (or versions of a key)
                            split between workers; N distinct values
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
  harper-sql --each FILE    the result of each statement of FILE ("-":
                            stdin; ";" ends a statement), one a line; an
                            error answer fails
  harper-count DB.TABLE     its number of records (SQL count)
  harper-ids DB.TABLE       its ids, sorted as text, on one line
  harper-table DB.TABLE [--key K] [--columns-of FILE] [--indexed A,B]
                            its primary key is K; it declares every column
                            of FILE's first row, id and _syncedAt; exactly
                            A and B are indexed
  harper-url                HARPER_URL with the credentials as userinfo
  quote-env VAR             $VAR percent-encoded (secrets stay off argv)
  compare SOURCE DB.TABLE   Harper holds exactly SOURCE's rows (see
                            compare()); prints their number
BigQuery (bq-emulator at BIGQUERY_EMULATOR_HOST; BQAPI_TOKEN as bearer)
  bq table PROJECT DATASET TABLE FIELDS_JSON [PARTITIONING_JSON]
  bq insert PROJECT DATASET TABLE < rows.ndjson   (prints the rows inserted)
  bq get PROJECT DATASET TABLE KEY
  jobs-billed [--project P] [--reason R]
                            totalBytesBilled of P's (test-project's) query
                            jobs in jobs.list, summed (with R, of the jobs
                            that failed with reason R, each carrying it;
                            none such fails)
  bq-query [--project P] SQL  the first result row's values, tab-separated
                            (TIMESTAMPs in microseconds; P test-project)
  bq-dml [--project P] SQL N  runs the DML statement SQL, which must
                            affect exactly N rows
The oracle of the pipeline tests (TSCOL: the timestamp column, TSCOLS:
every TIMESTAMP column, comma-separated)
  pipeline dump PROJECT DATASET TABLE
                            every row of the table, normalised
                            (TIMESTAMP -> microseconds, INTEGER -> int,
                            FLOAT -> float), one JSON object a line
  pipeline compare ROWS DB.TABLE [KEY]
                            Harper's rows (id, _syncedAt, _fp aside)
                            equal ROWS as multisets; with KEY, per KEY the
                            row of ROWS with the latest TSCOL; prints N
  pipeline covered DB.TABLE SHARE CURSOR [SHARE CURSOR...]
                            every row of each SHARE with TSCOL <= CURSOR
                            is in Harper (an empty CURSOR covers nothing)
bq-verify's tests (see the comment above cmd_verify_drift)
  verify drift DIR DB       BigQuery (test-project.maritime) and Harper
                            (database DB) made to disagree in every way at
                            once, from the dumps DIR/src.TABLE
  verify kinds SUMMARIES TABLE...
                            "TABLE missing extra changed" per TABLE, summed
                            over bq-verify's summary lines
Keys and tokens (RS256 signed with openssl)
  sa-key PEM OUT [--token-uri U] [--project P] [--email E] [--key-id K]
                            a service-account key file (mode 0600)
  jwt PEM AUD ISS SCOPE     a signed grant assertion ("-" leaves a claim out)
  token PEM URI             an access token from URI's JWT bearer grant
Other
  free-port [N]             N consecutive free TCP ports on 127.0.0.1, below
                            the ephemeral range, none given twice a test
  idle-clients PORT N SECONDS  up to N connections to PORT sending half a
                            request, then idle for SECONDS
  relay FLAG N SLOW_AFTER   copies stdin to stdout a line at a time,
                            creates FLAG after line N, slows to 2 ms a
                            line after line SLOW_AFTER
  now-us | us TIME | iso-in SECONDS   clock helpers (UTC, microseconds)
  python                    this interpreter's path (not a version
                            manager's shim), for scripts that call often
  gen NAME ARGS...          test data: rows (vessel rows, --ids), seconds,
                            epoch, month (--vessel), harper-create and
                            harper-upserts (the benchmarks' baseline), and
                            one generator per
                            test that needs its own data, named after it
  check NAME ARGS...        the checks only one test makes, named after the
                            test, its assertions as they were inline

Inline snippets kept in tests/e2e/*.sh, and why: agent-once.sh reads the
metrics with python3-prometheus-client, which is not stdlib, on purpose a
parser from outside; emulator-faults.sh runs google-auth, the Google Cloud
CLI's own library (third-party code, the point of that part).  The other
python3 lines run no snippet: lib.sh asks this file for its interpreter,
emulator-clients.sh and emulator-faults.sh run the Google Cloud CLI's bq.py.
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
    return v if isinstance(v, str) else compact(v)


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


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
    f = open(pos[1]) if len(pos) > 1 else sys.stdin
    for n, line in enumerate(f, 1):
        try:
            r = json.loads(line)
        except ValueError as e:
            fail("line %d: not JSON: %s" % (n, e))
        need(col in r, "line %d: no %s" % (n, col))
        if not cur or r[col] > cur:
            sys.stdout.write(line)


def micros_of(v):
    """RFC 3339 text (any offset) or integer microseconds -> microseconds
    since 1970."""
    if v is None or isinstance(v, int):
        return v
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)"
                     r"(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)?", str(v))
    if not m:
        need(re.fullmatch(r"-?\d+", str(v)), "bad timestamp %r" % (v,))
        return int(v)
    d = datetime.datetime(*map(int, m.groups()[:6]),
                          tzinfo=datetime.timezone.utc)
    z = m.group(8)
    if z and z != "Z":
        sign = 1 if z[0] == "+" else -1
        d -= sign * datetime.timedelta(hours=int(z[1:3]), minutes=int(z[4:]))
    frac = int((m.group(7) or "0").ljust(6, "0"))
    return int(d.timestamp()) * 1000000 + frac


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
                         "--controls": True, "--error-status": True,
                         "--syncs": True}, (1, 1))
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
    if "--syncs" in o:
        curs = [r.get("cursor") for r in ctl if r["@bqsync"] == "sync"]
        need(curs == sorted(curs), "sync cursors go back: %s" % curs)
        need(len(set(curs)) >= int(o["--syncs"]),
             "%d distinct sync cursors, want at least %s" %
             (len(set(curs)), o["--syncs"]))
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
    pos, o = opts(argv, {"--column": True, "--count": True}, (1, 999))
    cols, owner = o.get("--column", "timestamp").split(","), {}
    for path in pos:
        for n, r in ndjson(path):
            if "@bqsync" in r:
                continue
            need(all(c in r for c in cols), "%s:%d: no %s" % (path, n, cols))
            key = tuple(text(r[c]) for c in cols)
            w = owner.setdefault(key, path)
            need(w == path, "%s %s in both %s and %s" % (cols, key, w, path))
    if "--count" in o:
        need(len(owner) == int(o["--count"]), "%d distinct %s, want %s" %
             (len(owner), cols, o["--count"]))


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

def harper(op, timeout=600, missing=False):
    """One operations-API call; with missing, None when the table does not
    exist yet."""
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
        body = e.read().decode("utf-8", "replace")
        if missing and e.code == 404 and "not exist" in body:
            return None
        fail("Harper %s: HTTP %d %s" % (op.get("operation"), e.code, body[:300]))
    except urllib.error.URLError as e:
        fail("Harper at %s: %s" % (os.environ["HARPER_URL"], e.reason))


def harper_sql(q):
    return harper({"operation": "sql", "sql": q})


def cmd_harper_sql(argv):
    pos, o = opts(argv, {"--each": True}, (0, 1))
    if "--each" not in o:
        need(pos, "no SQL")
        print(compact(harper_sql(pos[0])))
        return
    f = sys.stdin if o["--each"] == "-" else open(o["--each"])
    for q in filter(None, (q.strip() for q in f.read().split(";"))):
        r = harper_sql(q)
        need(not (isinstance(r, dict) and "error" in r), "%s: %s" % (q, r))
        print(compact(r))


def cmd_harper_count(argv):
    pos, _ = opts(argv, {}, (1, 1))
    print(harper_sql("SELECT count(*) AS n FROM %s" % pos[0])[0]["n"])


def cmd_harper_ids(argv):
    pos, _ = opts(argv, {}, (1, 1))
    db, table = pos[0].split(".", 1)
    got = harper({"operation": "search_by_value", "database": db,
                  "table": table, "search_attribute": "id",
                  "search_value": "*", "get_attributes": ["id"]})
    print(" ".join(sorted(str(r["id"]) for r in got)))


def cmd_harper_table(argv):
    pos, o = opts(argv, {"--key": True, "--columns-of": True,
                         "--indexed": True}, (1, 1))
    db, table = pos[0].split(".", 1)
    d = harper({"operation": "describe_table", "database": db,
                "table": table})
    if "--key" in o:
        need(d.get("hash_attribute") == o["--key"], "primary key %s, want %s"
             % (d.get("hash_attribute"), o["--key"]))
    if "--columns-of" in o:
        have = {a["attribute"] for a in d["attributes"]}
        with open(o["--columns-of"]) as f:
            row = json.loads(f.readline())
        missing = (set(row) | {"id", "_syncedAt"}) - have
        need(not missing, "columns not declared: %s" % sorted(missing))
    if "--indexed" in o:
        idx = sorted(a["attribute"] for a in d["attributes"] if a.get("indexed"))
        want = sorted(o["--indexed"].split(","))
        need(idx == want, "indexed %s, want %s" % (idx, want))


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

        for _, r in ndjson():
            batch.append(r)
            n += 1
            if len(batch) == 10000:
                bq_insert("%s/%s" % (tpath, tab), batch)
                batch = []
        if batch:
            bq_insert("%s/%s" % (tpath, tab), batch)
        print(n)
    else:
        usage("bq table|insert|get PROJECT DATASET TABLE ...")


def cmd_jobs_billed(argv):
    _, o = opts(argv, {"--reason": True, "--project": True}, (0, 0))
    # bq-emulator lists the newest 1,000 jobs, in one page
    jobs = bq_get("/projects/%s/jobs?projection=full&maxResults=1000" %
                  o.get("--project", "test-project")).get("jobs", [])
    if len(jobs) >= 1000:
        print("%s: warning: %d jobs listed, older ones may be left out" %
              (ME, len(jobs)), file=sys.stderr)
    jobs = [j for j in jobs if "query" in j.get("statistics", {})]
    if "--reason" not in o:
        print(sum(int(j["statistics"]["query"].get("totalBytesBilled", 0))
                  for j in jobs))
        return
    jobs = [j for j in jobs if j["status"].get("errorResult", {})
            .get("reason") == o["--reason"]]
    need(jobs, "no job failed %s" % o["--reason"])
    print(sum(int(j["statistics"]["query"]["totalBytesBilled"]) for j in jobs))


def cmd_bq_query(argv):
    pos, o = opts(argv, {"--project": True}, (1, 1))
    _, body = bq_call("POST", "/projects/%s/queries" %
                      o.get("--project", "test-project"),
                      {"query": pos[0], "useLegacySql": False,
                       "formatOptions": {"useInt64Timestamp": True}})
    r = json.loads(body)
    need(r.get("rows"), "no rows: %s" % body[:300])
    print("\t".join("" if c["v"] is None else str(c["v"])
                    for c in r["rows"][0]["f"]))


def bq_dml(sql, affected=1, project="test-project"):
    """Runs the DML statement sql; it must affect exactly affected rows."""
    _, body = bq_call("POST", "/projects/%s/queries" % project,
                      {"query": sql, "useLegacySql": False})
    n = json.loads(body).get("numDmlAffectedRows")
    need(n == str(affected), "%s: %s rows affected, not %d" %
         (sql, n, affected))


def cmd_bq_dml(argv):
    pos, o = opts(argv, {"--project": True}, (2, 2))
    bq_dml(pos[0], int(pos[1]), o.get("--project", "test-project"))


def bq_insert(path, rows):
    """insertAll of rows into the table at path (/projects/P/datasets/...)."""
    _, body = bq_call("POST", path + "/insertAll",
                      {"rows": [{"json": r} for r in rows]})
    need(not json.loads(body or b"{}").get("insertErrors"),
         "insertErrors: %s" % body[:300])


# --- the oracle of the pipeline-*.sh tests ----------------------------------
# Independent of libbqsync: BigQuery's side is read from bq-emulator's REST
# API (tabledata.list), Harper's with SQL; both are normalised to plain
# values (TIMESTAMP -> integer microseconds, INTEGER -> int, FLOAT -> float)
# and compared as multisets of rows, ignoring id, _syncedAt and _fp.  TSCOL
# is the timestamp column, TSCOLS every TIMESTAMP column (comma-separated).

def bq_cell(field, v):
    if v is None:
        return None
    t = field["type"]
    if field.get("mode") == "REPEATED":
        return [bq_cell(dict(field, mode="NULLABLE"), x["v"]) for x in v]
    if t in ("INTEGER", "INT64"):
        return int(v)
    if t in ("FLOAT", "FLOAT64"):
        return float(v)
    if t in ("BOOLEAN", "BOOL"):
        return v in (True, "true")
    if t == "TIMESTAMP":
        need(re.fullmatch(r"-?\d+", str(v)),
             "TIMESTAMP cell %r is not int64 microseconds" % (v,))
        return int(v)
    if t in ("RECORD", "STRUCT"):
        return {f["name"]: bq_cell(f, c["v"])
                for f, c in zip(field["fields"], v["f"])}
    return v


def bq_get(path):
    return json.loads(bq_call("GET", path)[1])


def cmd_bq_dump(argv):
    """PROJECT DATASET TABLE: every row, normalised, one JSON object a line."""
    pos, _ = opts(argv, {}, (3, 3))
    p = "/projects/%s/datasets/%s/tables/%s" % tuple(pos)
    fields = bq_get(p)["schema"]["fields"]
    token, n = None, 0
    while True:
        q = "?maxResults=5000&formatOptions.useInt64Timestamp=true"
        if token:
            q += "&pageToken=" + urllib.parse.quote(token)
        page = bq_get(p + "/data" + q)
        for r in page.get("rows", []):
            print(json.dumps({f["name"]: bq_cell(f, c["v"])
                              for f, c in zip(fields, r["f"])},
                             sort_keys=True))
            n += 1
        token = page.get("pageToken")
        if not token:
            break
    total = int(bq_get(p).get("numRows", n))
    need(total == n, "tabledata.list gave %d rows, the table has %d" % (n, total))


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
            v = micros_of(v)
        elif isinstance(v, float) and v.is_integer():
            v = int(v)
        out[k] = v
    return out


def harper_rows(table):
    """Harper's rows of DB.TABLE, normalised; none if it does not exist."""
    rows = harper({"operation": "sql", "sql": "SELECT * FROM %s" % table},
                  missing=True) or []
    ids = collections.Counter(r.get("id") for r in rows)
    dup = [i for i, c in ids.items() if c > 1 or i is None]
    if dup:
        bad = [r for r in rows if r.get("id") in dup][:3]
        fail("%s: ids missing or repeated: %r, e.g. %s"
             % (table, dup[:5], json.dumps(bad)[:600]))
    return [norm(r) for r in rows]


def key(r):
    return json.dumps(r, sort_keys=True)


def load_norm(path):
    return [norm(r) for _, r in ndjson(path)]


def cmd_multiset(argv):
    """ROWS DB.TABLE [KEY]: Harper's rows equal ROWS exactly: no row
    missing, none extra, none twice.  With KEY (an idColumns table) Harper
    must hold, per KEY, the source row with the latest TSCOL, and nothing
    else."""
    pos, _ = opts(argv, {}, (2, 3))
    src, table = load_norm(pos[0]), pos[1]
    got = harper_rows(table)
    ts = os.environ["TSCOL"]
    if len(pos) > 2:
        latest = {}
        for r in src:
            k = r[pos[2]]
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
            print("%s: %s: %s: %s" % (ME, table, what, k), file=sys.stderr)
    need(not missing and not extra,
         "%s: %d rows in BigQuery, %d in Harper: %d missing, %d extra"
         % (table, sum(want.values()), sum(have.values()),
            sum(missing.values()), sum(extra.values())))
    print(sum(want.values()))


def cmd_covered(argv):
    """DB.TABLE SHARE CURSOR...: every row of each SHARE file (a worker's
    rows, from bq-partition) with TSCOL <= CURSOR is in Harper (an empty
    CURSOR covers nothing).  Prints the rows checked."""
    if len(argv) < 3 or len(argv) % 2 == 0:
        usage("covered DB.TABLE SHARE CURSOR [SHARE CURSOR...]")
    table, pairs = argv[0], argv[1:]
    ts = os.environ["TSCOL"]
    have = collections.Counter(map(key, harper_rows(table)))
    checked = 0
    for share, cur in zip(pairs[::2], pairs[1::2]):
        if not cur:
            continue
        c = micros_of(cur)
        want = collections.Counter(key(r) for r in load_norm(share) if r[ts] <= c)
        lost = want - have
        need(not lost, "%s: the cursor %s of %s ran ahead: %d of its %d rows "
             "at or before it are not in Harper, e.g. %s"
             % (table, cur, share, sum(lost.values()),
                sum(want.values()), next(iter(lost), None)))
        checked += sum(want.values())
    print(checked)


PIPELINE = {"dump": cmd_bq_dump, "compare": cmd_multiset, "covered": cmd_covered}


def cmd_pipeline(argv):
    if not argv or argv[0] not in PIPELINE:
        usage("pipeline dump|compare|covered ARGS...")
    PIPELINE[argv[0]](argv[1:])


# --- bq-verify's drift (verify-drift*.sh) ----------------------------------
# BigQuery (test-project.maritime in bq-emulator) and Harper (database DB)
# made to disagree in every way at once, starting from the dumps DIR/src.TABLE
# of a synced state (pl_dump), in one process.  Per table, what
# verify-drift.sh expects bq-verify to find:
#
# vessel_positions (whole-row ids): 3 late rows (old timestamps, new
#   content), 2 rows deleted and 1 updated in place by DML in BigQuery, 2
#   rows deleted from Harper, 2 foreign rows added to Harper:
#   missing 3 + 1 + 2, extra 2 + 1 + 2.
# port_events: 1 row updated in place by DML (a new whole-row id), and a new
#   column whose values come with 2 late rows: missing 3, extra 1.
# vessel_metadata (natural key mmsi): one vessel's latest version updated in
#   place by DML (changed 1); an older version of another vessel loaded late,
#   then updated by DML (not compared: Harper holds latest versions only).

MARITIME = "/projects/test-project/datasets/maritime/tables/"
TS_COLUMNS = ("timestamp", "eta", "event_time", "last_updated")


def rfc3339(us):
    return (datetime.datetime(1970, 1, 1) + datetime.timedelta(
        microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def drift_pick(d, table, k):
    """k rows of BigQuery's dump, spread over the table, timestamps in
    RFC 3339 (insertAll's form and a TIMESTAMP literal's)."""
    rows = records(os.path.join(d, "src." + table))
    out = []
    for r in rows[len(rows) // (k + 1)::len(rows) // (k + 1)][:k]:
        for c in TS_COLUMNS:
            if r.get(c) is not None:
                r[c] = rfc3339(r[c])
        out.append(r)
    return out


def drift_positions(d, db):
    p = drift_pick(d, "vessel_positions", 9)
    late = [dict(r, speed_knots=99.5) for r in p[0:3]]
    bq_insert(MARITIME + "vessel_positions", late)
    for r in p[3:5]:
        bq_dml("DELETE FROM maritime.vessel_positions WHERE mmsi = '%s' AND "
               "timestamp = TIMESTAMP '%s'" % (r["mmsi"], r["timestamp"]))
    bq_dml("UPDATE maritime.vessel_positions SET speed_knots = "
           "speed_knots + 1, status = 'updated' WHERE mmsi = '%s' AND "
           "timestamp = TIMESTAMP '%s'" % (p[6]["mmsi"], p[6]["timestamp"]))
    ids = [r["id"] for r in harper_sql(
        "SELECT id FROM %s.VesselPositions ORDER BY timestamp LIMIT 2 "
        "OFFSET 40" % db)]
    harper({"operation": "delete", "database": db,
            "table": "VesselPositions", "ids": ids})
    harper({"operation": "upsert", "database": db,
            "table": "VesselPositions", "records": [
                {"id": "foreign-%d" % i, "timestamp": p[5]["timestamp"],
                 "mmsi": str(i)} for i in (1, 2)]})


def drift_events(d, db):
    e = drift_pick(d, "port_events", 3)
    bq_dml("UPDATE maritime.port_events SET port_name = CONCAT('Updated ', "
           "IFNULL(port_name, '')) WHERE vessel_mmsi = '%s' AND event_time = "
           "TIMESTAMP '%s'" % (e[0]["vessel_mmsi"], e[0]["event_time"]))
    path = MARITIME + "port_events"
    f = bq_get(path)["schema"]["fields"] + [
        {"name": "remark", "type": "STRING", "mode": "NULLABLE"}]
    bq_call("PATCH", path, {"schema": {"fields": f}})
    bq_insert(path, [dict(r, remark="late with a remark",
                          vessel_mmsi=str(int(r["vessel_mmsi"]) + 1))
                     for r in e[1:3]])


def drift_metadata(d, db):
    latest = {}
    for r in records(os.path.join(d, "src.vessel_metadata")):
        if r["mmsi"] not in latest or \
                r["last_updated"] > latest[r["mmsi"]]["last_updated"]:
            latest[r["mmsi"]] = r
    keys = sorted(latest)
    m = keys[len(keys) // 2]
    bq_dml("UPDATE maritime.vessel_metadata SET vessel_name = CONCAT("
           "IFNULL(vessel_name, ''), ' (renamed)') WHERE mmsi = '%s' AND "
           "last_updated = TIMESTAMP '%s'" % (
               m, rfc3339(latest[m]["last_updated"])))
    old = dict(latest[keys[0]], owner="an older owner", last_updated=rfc3339(
        latest[keys[0]]["last_updated"] - 3600 * 10**6))
    for c in TS_COLUMNS:
        if isinstance(old.get(c), int):
            old[c] = rfc3339(old[c])
    bq_insert(MARITIME + "vessel_metadata", [old])
    bq_dml("UPDATE maritime.vessel_metadata SET owner = 'an older owner, "
           "updated' WHERE mmsi = '%s' AND last_updated = TIMESTAMP '%s'" % (
               old["mmsi"], old["last_updated"]))


def cmd_verify_drift(argv):
    """DIR DB: the drift above."""
    pos, _ = opts(argv, {}, (2, 2))
    for fn in (drift_positions, drift_events, drift_metadata):
        fn(*pos)


def cmd_verify_kinds(argv):
    """SUMMARIES TABLE...: "TABLE missing extra changed" per TABLE, summed
    over bq-verify's summary lines (TABLE none when it has none)."""
    pos, _ = opts(argv, {}, (2, 99))
    k = {}
    for _, r in ndjson(pos[0]):
        a = k.setdefault(r["table"], [0, 0, 0])
        a[0] += r["missing"]
        a[1] += r["extra"]
        a[2] += r["changed"]
    for t in pos[1:]:
        print(t, *k.get(t, ["none"]))


VERIFY = {"drift": cmd_verify_drift, "kinds": cmd_verify_kinds}


def cmd_verify(argv):
    if not argv or argv[0] not in VERIFY:
        usage("verify drift|kinds ARGS...")
    VERIFY[argv[0]](argv[1:])


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

def ephemeral_low():
    """The first port of the kernel's ephemeral range (32768 if unknown)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def cmd_free_port(argv):
    """N consecutive ports below the ephemeral range: a port in it can be
    taken, between this pick and the server's bind, by any connect() that
    the kernel gives it as a local port (Harper then starts without its
    port and never answers).  $BQTEST_PORTS, if set, is a file of the ports
    handed out so far (one "BASE N" a line), so a test that picks several
    before starting any server never gets one twice."""
    pos, _ = opts(argv, {}, (0, 1))
    n = int(pos[0]) if pos else 1
    lo, hi = 10000, ephemeral_low() - n
    if hi <= lo:
        lo, hi = 20000, 60000 - n
    given = os.environ.get("BQTEST_PORTS")
    taken = set()
    if given and os.path.exists(given):
        with open(given) as f:
            for line in f:
                b, k = map(int, line.split())
                taken.update(range(b, b + k))
    for _ in range(200):
        base = random.randint(lo, hi)
        if taken.intersection(range(base, base + n)):
            continue
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
        if given:
            with open(given, "a") as f:
                f.write("%d %d\n" % (base, n))
        print(base)
        return
    fail("no %d free ports" % n)


def cmd_idle_clients(argv):
    """PORT N SECONDS: up to N connections that send half a request and
    stay idle for SECONDS."""
    import time
    pos, _ = opts(argv, {}, (3, 3))
    socks = []
    for _ in range(int(pos[1])):
        try:
            s = socket.create_connection(("127.0.0.1", int(pos[0])), timeout=5)
            s.sendall(b"POST /bigquery/v2/projects/p/queries HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            break
    time.sleep(float(pos[2]))


def cmd_relay(argv):
    """FLAG N SLOW_AFTER: stdin to stdout line by line, FLAG created after
    line N, 2 ms a line after line SLOW_AFTER."""
    import time
    pos, _ = opts(argv, {}, (3, 3))
    for n, line in enumerate(sys.stdin, 1):
        sys.stdout.write(line)
        sys.stdout.flush()
        if n == int(pos[1]):
            open(pos[0], "w").close()
        if n > int(pos[2]):
            time.sleep(0.002)


def cmd_python(argv):
    opts(argv, {}, (0, 0))
    print(sys.executable)


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


def gen_month(argv):
    """month N [--vessel]: N {"ts","seq","note"} rows spread evenly over
    the 30 days from 2025-11-01 (ts in epoch seconds), the notes 200 to 249
    bytes long; with --vessel also "mmsi", "lat" and "lon"."""
    pos, o = opts(argv, {"--vessel": False}, (1, 1))
    n = int(pos[0])
    day0 = 1761955200		# 2025-11-01T00:00:00Z
    for i in range(n):
        v = ""
        if "--vessel" in o:
            v = ',"mmsi":"%d","lat":%.4f,"lon":%.4f' % (
                367000000 + i % 977, (i % 1800) / 10.0 - 90,
                (i % 3600) / 10.0 - 180)
        print('{"ts":"%d","seq":%d%s,"note":"%s"}' % (
            day0 + i * (30 * 86400 // n), i, v, "x" * (200 + i % 50)))


@generator("harper-create")
def gen_harper_create(argv):
    """harper-create DB TABLE ROWS: the create_table operation harper-load
    would send for the rows of file ROWS (for the benchmarks' baseline)."""
    pos, _ = opts(argv, {}, (3, 3))
    with open(pos[2]) as f:
        row = json.loads(f.readline())
    cols = [c for c in row if c not in ("id", "timestamp")]
    attrs = [{"name": "id", "type": "ID", "isPrimaryKey": True},
             {"name": "timestamp", "indexed": True}]
    attrs += [{"name": c} for c in cols + ["_syncedAt"]]
    print(json.dumps({"operation": "create_table", "database": pos[0],
                      "table": pos[1], "primary_key": "id",
                      "attributes": attrs}))


@generator("harper-upserts")
def gen_harper_upserts(argv):
    """harper-upserts DB TABLE BATCH ROWS: upsert bodies of BATCH records
    each, as harper-load sends them, one a line."""
    pos, _ = opts(argv, {}, (4, 4))
    db, t, b = pos[0], pos[1], int(pos[2])
    now = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")
    head = '{"operation":"upsert","database":%s,"table":%s,"records":[' % (
        json.dumps(db), json.dumps(t))
    with open(pos[3]) as f:
        recs = [l.rstrip("\n")[:-1] + ',"_syncedAt":"%s"}' % now for l in f]
    for i in range(0, len(recs), b):
        sys.stdout.write(head + ",".join(recs[i:i + b]) + "]}\n")


GENERATORS.update({"rows": gen_rows, "seconds": gen_seconds,
                   "epoch": gen_epoch, "month": gen_month})


# --- checks and generators of one test each, named after the test ----------

@check('pull-pages')
def check_pull_pages(args):
    """pull-pages: from tests/e2e/pull-pages.sh."""
    argv = ['pull-pages'] + args
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
    opts(args, {}, (0, 0))
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
    opts(args, {}, (0, 0))
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
    opts(args, {}, (0, 0))
    for i in range(3000):
        print('{"timestamp":"%d.%06d","mmsi":"%d","seq":%d}' % (
            1762000000 + i // 2, (i % 2) * 250000, 367000000 + i % 7, i))


@check("checkpoint-status")
def check_checkpoint_status(args):
    """checkpoint-status < status: the first status record's shape (from
    tests/e2e/checkpoint.sh)."""
    opts(args, {}, (0, 0))
    r = json.loads(sys.stdin.readline())
    want = {"checkpointId", "tableId", "nodeId", "clusterSize", "worker",
            "lastTimestamp", "recordsIngested", "lastSyncTime", "phase",
            "batchSize", "lastError", "lastErrorAt", "bytesBilled",
            "billingDay", "bytesBilledDay", "lag_seconds"}
    assert set(r) == want, sorted(r)
    assert r["nodeId"] == 1 and r["clusterSize"] == 3 and r["tableId"] == "vessel_positions"
    assert r["lastSyncTime"].endswith("Z") and len(r["lastSyncTime"]) == 27


@check("checkpoint-seed-lag")
def check_checkpoint_seed_lag(args):
    """checkpoint-seed-lag SQL_RESULT: the seed's lag query runs but yields
    no lag_seconds (from tests/e2e/checkpoint.sh)."""
    pos, _ = opts(args, {}, (1, 1))
    rows = load_json(pos[0])
    assert len(rows) == 2 and all("lag_seconds" not in r and r["phase"] for r in rows), rows


@check('checkpoint-date-diff')
def check_checkpoint_date_diff(args):
    """checkpoint-date-diff: from tests/e2e/checkpoint.sh."""
    argv = ['checkpoint-date-diff'] + args
    sql = json.load(open(argv[1]))
    st = [json.loads(l) for l in open(argv[2])]
    assert [r["nodeId"] for r in sql] == [0, 1]
    for a, b in zip(sql, st):
        assert 55 < a["lag_seconds"] < 600, a
        assert abs(a["lag_seconds"] - b["lag_seconds"]) < 60, (a, b)


@check('checkpoint-sql')
def check_checkpoint_sql(args):
    """checkpoint-sql: from tests/e2e/checkpoint.sh."""
    argv = ['checkpoint-sql'] + args
    rows = json.load(open(argv[1]))
    ids = [r["checkpointId"] for r in rows]
    assert ids == ["vessel_positions:0/2", "vessel_positions:1/2"], ids
    for r in rows:
        assert r["worker"] == "n-%d/2" % r["nodeId"] and r["recordsIngested"] == 4
        assert r["phase"] == "steady" and r["batchSize"] == 500 and r["clusterSize"] == 2


@check("agent-cluster-monitoring")
def check_agent_cluster_monitoring(args):
    """agent-cluster-monitoring CHECKPOINTS LAG: the seed's monitoring
    queries on a quiet source, three nodes: one checkpoint per table and
    worker, distinct worker names, no error, every worker steady (from
    tests/e2e/agent-cluster.sh)."""
    pos, _ = opts(args, {}, (2, 2))
    rows = load_json(pos[0])
    ids = [r["checkpointId"] for r in rows]
    assert len(ids) == len(set(ids)), ids
    got = sorted((r["checkpointId"], r["worker"]) for r in rows)
    want = sorted(("%s:%d/3" % (t, i), "node_%s-%d" % ("abc"[i], i))
                  for t in ("vessel_positions", "port_events",
                            "vessel_metadata") for i in range(3))
    assert got == want, got
    lag = {r["nodeId"]: r for r in load_json(pos[1])}
    for r in rows:
        assert r["lastError"] is None, r
        l = lag[r["nodeId"]]
        assert l["phase"] == "steady", l
        assert l["lag_seconds"] is not None and l["lag_seconds"] >= 2, l


@generator('checkpoint-rows')
def gen_checkpoint_rows(args):
    """checkpoint-rows: from tests/e2e/checkpoint.sh."""
    argv = ['checkpoint-rows'] + args
    n, start = int(argv[1]), int(argv[2])
    base = datetime.datetime(2025, 11, 4, tzinfo=datetime.timezone.utc)
    for k in range(start, start + n):
        ts = (base + datetime.timedelta(seconds=k // 2)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        print('{"id":"r%d","mmsi":%d,"timestamp":"%s"}' % (k, 367000000 + k, ts))


@check('emulator-clients-bq')
def check_emulator_clients_bq(args):
    """emulator-clients-bq: from tests/e2e/emulator-clients.sh."""
    argv = ['emulator-clients-bq'] + args
    rows = [json.loads(l) for l in open(argv[1])]
    def shown(r):
        d = {"id": str(r["id"]), "ts": r["ts"], "name": r["name"]}
        d["score"] = None if r["score"] is None else repr(r["score"])
        return d
    def norm(x):
        return {"id": x["id"], "ts": x["ts"], "name": x.get("name"),
                "score": x.get("score")}
    q = [norm(x) for x in json.load(open(argv[2]))]
    want = [shown(r) for r in rows if r["id"] % 4 == 0 or r["name"] == "n8"]
    if q != want:
        print("bq query:", q, "\nwant:", want, file=sys.stderr); sys.exit(1)
    h = sorted((norm(x) for x in json.load(open(argv[3]))), key=lambda x: int(x["id"]))
    if h != [shown(r) for r in rows]:
        print("bq head:", h, file=sys.stderr); sys.exit(1)


@check('emulator-clients-pull')
def check_emulator_clients_pull(args):
    """emulator-clients-pull: from tests/e2e/emulator-clients.sh."""
    argv = ['emulator-clients-pull'] + args
    node = [json.loads(l)["row"] for l in open(argv[1]) if '"what":"all"' in l]
    pulled = [json.loads(l) for l in open(argv[2])]
    # With idColumn, bq-pull carries the key as Harper's id, in text form, and
    # every row's content fingerprint _fp, which the Node client has no part in.
    for p in pulled:
        p["id"] = str(p["id"])
        assert isinstance(p.pop("_fp"), (int, str))
    def from_node(r):
        return {"id": r["id"], "ts": r["ts"][:26] + "Z", "name": r["name"],
            "score": r["score"], "ok": r["ok"], "raw": r["raw"], "day": r["day"],
            "amount": r["amount"], "tags": r["tags"],
            "addr": None if r["addr"] is None else
                {"city": r["addr"]["city"], "zip": int(r["addr"]["zip"])}}
    want = [from_node(r) for r in node if int(r["id"]) <= 20]
    if pulled != want:
        for a, b in zip(pulled, want):
            if a != b:
                print("bq-pull:", a, "\nnode:   ", b, file=sys.stderr)
                break
        print(len(pulled), "rows pulled,", len(want), "expected", file=sys.stderr)
        sys.exit(1)


@check('emulator-clients-node')
def check_emulator_clients_node(args):
    """emulator-clients-node: from tests/e2e/emulator-clients.sh."""
    argv = ['emulator-clients-node'] + args
    from decimal import Decimal
    rows = json.load(open(argv[1]))
    got = [json.loads(l) for l in open(argv[2])]
    def canon(r):
        am = r["amount"]
        if am is not None:
            am = format(Decimal(am).normalize(), "f")
        return {"id": str(r["id"]), "ts": r["ts"][:-1] + "000Z", "name": r["name"],
            "score": r["score"], "ok": r["ok"], "raw": r["raw"], "day": r["day"],
            "amount": am, "tags": r["tags"],
            "addr": None if r["addr"] is None else
                {"city": r["addr"]["city"], "zip": str(r["addr"]["zip"])}}
    want = [canon(r) for r in rows]
    by = {}
    for g in got:
        by.setdefault(g["what"], []).append(g)
    def check(cond, what):
        if not cond:
            print("mismatch:", what, file=sys.stderr)
            sys.exit(1)
    check([g["row"] for g in by["all"]] == want, "SELECT * rows")
    ids = [str(r["id"]) for r in rows if r["ts"] > "2023-11-04T09:30:00.000001Z"
           and r["id"] % 3 == 1 and r["name"] is not None and r["name"] != "nobody"]
    check(by["params"][0]["ids"] == ids, "parameterized query %s" % by["params"])
    qp = by["query-pages"][0]
    check(qp["ids"] == [str(r["id"]) for r in rows] and qp["pages"] == 7, "query pages %s" % qp)
    tp = by["table-pages"][0]
    check(tp["rows"] == want and tp["pages"] == 4, "tabledata pages")
    check(by["invalid"][0] == {"what": "invalid", "code": 400, "reason": "invalidQuery"}, "invalid query %s" % by["invalid"])
    check(by["delete"][0]["affected"] == "5", "DELETE affected rows")
    check(by["count"][0]["n"] == 20, "count after DELETE")
    check(by["update"][0] == {"what": "update", "affected": "4", "type": "UPDATE", "updated": "4"}, "UPDATE %s" % by["update"])
    check(by["qualify"][0]["rows"] == [["0", "18"], ["1", "19"], ["2", "20"]], "QUALIFY %s" % by["qualify"])
    check(by["load"][0] == {"what": "load", "state": "DONE", "rows": "25", "n": 25, "s": 325}, "load job %s" % by["load"])
    check("done" in by, "finished")


@generator('emulator-clients')
def gen_emulator_clients(args):
    """emulator-clients: from tests/e2e/emulator-clients.sh."""
    opts(args, {}, (0, 0))
    rows = []
    for i in range(1, 26):
        rows.append({"id": i, "ts": "2023-11-04T09:30:00.%06dZ" % (i * 7),
            "name": "n%d" % i if i % 5 else None,
            "score": i + 0.25 if i % 4 else None, "ok": i % 2 == 0,
            "raw": base64.b64encode(bytes([i, 0, 255])).decode() if i % 3 else None,
            "day": "2023-11-%02d" % (i % 28 + 1),
            "amount": "%d.%02d" % (i, i) if i % 6 else None,
            "tags": ["t%d" % k for k in range(i % 3)],
            "addr": {"city": "c%d" % i, "zip": 10000 + i} if i % 7 else None})
    print(json.dumps(rows))


@generator("emulator-clients-bq")
def gen_emulator_clients_bq(args):
    """emulator-clients-bq ROWS_JSON: the rows as bq insert takes them
    (from tests/e2e/emulator-clients.sh)."""
    pos, _ = opts(args, {}, (1, 1))
    for r in load_json(pos[0]):
        print(json.dumps({"id": r["id"], "ts": r["ts"].replace("T", " ")[:19],
                          "name": r["name"], "score": r["score"]}))


@check('emulator-hardening-nest')
def check_emulator_hardening_nest(args):
    """emulator-hardening-nest: from tests/e2e/emulator-hardening.sh."""
    argv = ['emulator-hardening-nest'] + args
    q = "SELECT " + "(" * 5000 + "1" + ")" * 5000
    req = urllib.request.Request(argv[1] + "/bigquery/v2/projects/p/queries",
        json.dumps({"query": q, "useLegacySql": False}).encode(),
        {"Content-Type": "application/json", "Authorization": "Bearer " + argv[2]})
    try:
        urllib.request.urlopen(req)
        print("200")
    except urllib.error.HTTPError as e:
        print(e.code, json.load(e)["error"]["errors"][0]["reason"])


@check("synth-bigquery-table")
def check_synth_bigquery_table(args):
    """synth-bigquery-table < tables.get: vessel_positions partitioned and
    clustered as documented (from tests/e2e/synth-bigquery.sh)."""
    opts(args, {}, (0, 0))
    t = load_json()
    assert t["timePartitioning"]["type"] == "DAY", t
    assert t["timePartitioning"]["field"] == "timestamp", t
    assert t["clustering"]["fields"] == ["vessel_type", "mmsi", "report_date"], t
    assert len(t["schema"]["fields"]) == 18, t


@check('synth-bigquery-stats')
def check_synth_bigquery_stats(args):
    """synth-bigquery-stats: from tests/e2e/synth-bigquery.sh."""
    argv = ['synth-bigquery-stats'] + args
    s = {r["table"]: r for r in map(json.loads, open(argv[1]))}
    assert set(s) == {"vessel_positions", "port_events", "vessel_metadata"}, s
    p = s["vessel_positions"]
    assert p["exists"] and p["rows"] == 1680 and p["vessels"] == 40, p
    assert p["min"] < p["max"] and p["min"].endswith("Z"), p
    assert s["vessel_metadata"]["rows"] == 40, s
    # As the seed's stats: size in bytes, rows per vessel type, time span.
    assert p["bytes"] > 0 and s["port_events"]["bytes"] > 0, p
    assert sum(p["types"].values()) == 1680 and len(p["types"]) == 6, p
    assert p["types"]["CONTAINER"] > p["types"]["FISHING"], p
    assert sum(s["vessel_metadata"]["types"].values()) == 40, s
    assert "types" not in s["port_events"], s
    assert 6 * 86400 < p["span_seconds"] <= 7 * 86400, p


@check('synth-determinism')
def check_synth_determinism(args):
    """synth-determinism: from tests/e2e/synth-determinism.sh."""
    argv = ['synth-determinism'] + args
    d, start, end = argv[1:]
    ts = {"p": "timestamp", "e": "event_time", "m": "last_updated"}
    mm = {"p": "mmsi", "e": "vessel_mmsi", "m": "mmsi"}
    sets = {}
    for t in "pem":
        last = ""
        s = set()
        n = 0
        for line in open(f"{d}/{t}.42"):
            r = json.loads(line)
            v = r[ts[t]]
            assert len(v) == 27 and v.endswith("Z"), v
            assert v >= last, f"{t}: {v} after {last}"
            assert start <= v < end, f"{t}: {v} outside the window"
            last = v
            s.add(r[mm[t]])
            n += 1
        assert n > 0, t
        sets[t] = s
    assert len(sets["m"]) == 100, len(sets["m"])
    assert sets["p"] == sets["m"], "positions and metadata MMSIs differ"
    assert sets["e"] == sets["m"], "events and metadata MMSIs differ"


@check('synth-physics')
def check_synth_physics(args):
    """synth-physics: from tests/e2e/synth-physics.sh."""
    argv = ['synth-physics'] + args
    import bisect
    from datetime import datetime, timezone

    R_NM = 6371.0 / 1.852
    TYPES = {"CONTAINER": (18, 25), "BULK_CARRIER": (12, 16), "TANKER": (13, 17),
             "CARGO": (14, 19), "PASSENGER": (20, 30), "FISHING": (8, 14)}
    NEXT = {"ARRIVAL": {"ANCHORED", "BERTHED"}, "ANCHORED": {"BERTHED"},
            "BERTHED": {"DEPARTURE"}, "DEPARTURE": {"ARRIVAL"}}
    STATUS = {"DEPARTURE": {"Under way using engine"},
              "ARRIVAL": {"Restricted manoeuverability"},
              "ANCHORED": {"At anchor", "Restricted manoeuverability"},
              "BERTHED": {"Moored"}}

    def us(s):
        d = datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        return int(d.timestamp()) * 1000000 + int(s[20:26])

    def dist(a, b, c, d):
        p1, p2 = math.radians(a), math.radians(c)
        dp, dl = p2 - p1, math.radians(d - b)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * R_NM * math.atan2(math.sqrt(h), math.sqrt(1 - h))

    errors = []
    def bad(msg):
        if len(errors) < 20:
            errors.append(msg)

    # Port events: order per vessel, ports visited.
    ev = {}
    ports = set()
    for line in open(argv[2]):
        r = json.loads(line)
        e = ev.setdefault(r["vessel_mmsi"], [])
        if e and r["event_type"] not in NEXT[e[-1][1]]:
            bad(f"{r['vessel_mmsi']}: {r['event_type']} after {e[-1][1]}")
        if e and r["event_type"] != "ARRIVAL" and r["port_id"] != e[-1][2]:
            bad(f"{r['vessel_mmsi']}: {r['event_type']} in another port")
        e.append((us(r["event_time"]), r["event_type"], r["port_id"],
                  r["latitude"], r["longitude"]))
        if r["event_type"] == "ARRIVAL":
            ports.add(r["port_id"])
    if len(ports) != 29:
        bad(f"only {len(ports)} of 29 ports visited")

    last = {}
    rows = at_sea = checked = 0
    for line in open(argv[1]):
        r = json.loads(line)
        rows += 1
        t = us(r["timestamp"])
        lo, hi = TYPES[r["vessel_type"]]
        sp, st = r["speed_knots"], r["status"]
        if st == "Under way using engine":
            at_sea += 1
            if not lo <= sp <= hi:
                bad(f"{r['mmsi']}: {sp} kn outside {lo}-{hi}")
        elif sp > 5:
            bad(f"{r['mmsi']}: {sp} kn while {st}")
        p = last.get(r["mmsi"])
        if p:
            dt_h = (t - p[0]) / 3.6e9
            d = dist(p[1], p[2], r["latitude"], r["longitude"])
            if d > hi * dt_h * 1.01 + 0.01:
                bad(f"{r['mmsi']}: {d:.2f} nm in {dt_h:.3f} h ({r['vessel_type']})")
        last[r["mmsi"]] = (t, r["latitude"], r["longitude"])
        # Agreement with the vessel's last port event.
        e = ev.get(r["mmsi"], [])
        i = bisect.bisect_right(e, (t, "~")) - 1
        if i >= 0:
            checked += 1
            et, ety, _, elat, elon = e[i]
            if st not in STATUS[ety]:
                bad(f"{r['mmsi']}: {st} after {ety}")
            if ety != "DEPARTURE" and dist(elat, elon, r["latitude"], r["longitude"]) > 0.01:
                bad(f"{r['mmsi']}: in port but away from the berth")
    share = at_sea / rows
    print(f"rows {rows}, at sea {share:.1%}, ports {len(ports)}, checked {checked}",
          file=sys.stderr)
    if not 0.3 <= share <= 0.9:
        bad(f"share at sea {share:.1%}")
    if checked < rows // 3:
        bad(f"only {checked} rows checked against events")
    for m in errors:
        print(m, file=sys.stderr)
    sys.exit(1 if errors else 0)


@check('synth-sea-geojson')
def check_synth_sea_geojson(args):
    """synth-sea-geojson: from tests/e2e/synth-sea.sh."""
    argv = ['synth-sea-geojson'] + args
    t = argv[1]
    pts = json.load(open(f"{t}/points.json"))
    rows = [json.loads(l) for l in open(f"{t}/rows")]
    assert pts["type"] == "FeatureCollection" and len(pts["features"]) == 500
    for f, r in zip(pts["features"], rows):
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        assert f["geometry"]["coordinates"] == [r["longitude"], r["latitude"]], (f, r)
        assert f["properties"] == r
    tr = json.load(open(f"{t}/tracks.json"))
    assert len(tr["features"]) == 50
    for f in tr["features"]:
        g = f["geometry"]
        assert g["type"] in ("LineString", "MultiLineString"), g["type"]
        lines = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
        assert sum(map(len, lines)) == f["properties"]["positions"] == 10
        mine = [(r["longitude"], r["latitude"]) for r in rows if r["mmsi"] == f["properties"]["mmsi"]]
        assert [tuple(c) for l in lines for c in l] == mine
    ev = json.load(open(f"{t}/events.json"))
    assert ev["features"] and all(f["geometry"]["type"] == "Point" and
        f["geometry"]["coordinates"] == [f["properties"]["longitude"], f["properties"]["latitude"]]
        for f in ev["features"])


@check('synth-sea-land')
def check_synth_sea_land(args):
    """synth-sea-land: from tests/e2e/synth-sea.sh."""
    argv = ['synth-sea-land'] + args
    r = json.load(open(argv[1]))
    print(f"seed {argv[2]}: {r['onLand']} of {r['underway']} under way on land "
          f"({r['share']:.3%}), {r['inCanal']} in a canal", file=sys.stderr)
    assert r["rows"] == 100000 and r["underway"] > 50000, r
    assert r["turfDisagree"] == 0, r
    assert r["share"] <= 0.005, r


@check('synth-sea-lanes')
def check_synth_sea_lanes(args):
    """synth-sea-lanes: from tests/e2e/synth-sea.sh."""
    argv = ['synth-sea-lanes'] + args
    g = json.load(open(argv[1]))
    r = json.load(open(argv[2]))
    kinds = {f["properties"]["kind"] for f in g["features"]}
    assert {"waypoint", "anchorage", "berth", "lane", "approach", "canal"} <= kinds, kinds
    names = {f["properties"]["name"] for f in g["features"]}
    for n in ("Malacca Strait", "Singapore Strait", "Suez",
              "Bab-el-Mandeb", "Strait of Hormuz", "Strait of Gibraltar", "Dover Strait",
              "Panama Canal Pacific", "Cape of Good Hope", "Cape Horn"):
        assert n in names, n
    berths = [f for f in g["features"] if f["properties"]["kind"] == "berth"]
    assert len(berths) == 29, len(berths)
    print(f"{r['legs']} legs, {r['km']} km, {r['samples']} samples, "
          f"step <= {r['maxStepKm']} km, {r['canals']} canal legs", file=sys.stderr)
    assert r["legs"] > 200 and r["maxStepKm"] <= 10, r
    assert r["turfDisagree"] == 0, r
    for leg in r["onLand"]:
        print(f"on land: {leg}", file=sys.stderr)
    assert not r["onLand"]


@generator('partition-expected')
def gen_partition_expected(args):
    """partition-expected: from tests/e2e/partition.sh."""
    argv = ['partition-expected'] + args
    d = argv[1]
    fps = [int(l) for l in open(d + "/fps")]
    rows = open(d + "/rows").readlines()
    assert len(fps) == len(rows) == 3000
    for n in range(1, 8):
        out = [open("%s/exp_%d_%d" % (d, n, i), "w") for i in range(n)]
        for fp, row in zip(fps, rows):
            out[abs(fp) % n].write(row)
        for f in out:
            f.close()


@generator('partition')
def gen_partition(args):
    """partition: from tests/e2e/partition.sh."""
    opts(args, {}, (0, 0))
    random.seed(7)
    t0 = datetime.datetime(2025, 11, 4, 15, 0, 0)
    for n in range(3000):
        t = t0 + datetime.timedelta(seconds=n // 3)
        print('{"mmsi":%d,"speed":%.1f,"timestamp":"%s.000000Z","n":%d}'
              % (random.randint(200000000, 799999999), random.random() * 20,
                 t.strftime("%Y-%m-%dT%H:%M:%S"), n))


@generator('pipeline-keys')
def gen_pipeline_keys(args):
    """pipeline-keys: from tests/e2e/pipeline-keys.sh."""
    opts(args, {}, (0, 0))
    random.seed(8)
    keys = []
    for i in range(40):
        k = 9007199254740993 + i if i % 5 == 0 else i * 1000003
        name = None if i % 7 == 0 else "vessel %d|x" % (i % 13)
        keys.append((k, name))
    slots = random.sample(range(86400), 40 * 6)
    rows = []
    for j, (k, name) in enumerate(keys):
        for v in range(6):
            s = slots[j * 6 + v]
            rows.append({"k": str(k), "name": name, "v": v,
                         "ts": "2025-11-01T%02d:%02d:%02d.000000Z" % (s // 3600 % 24, s // 60 % 60, s % 60),
                         "_order": s})
    rows.sort(key=lambda r: r["_order"])
    # each key's versions in timestamp order: v is the rank
    by = {}
    for r in rows:
        by.setdefault((r["k"], r["name"]), []).append(r)
    for vs in by.values():
        for v, r in enumerate(vs):
            r["v"] = v
    for r in rows:
        del r["_order"]
        print(json.dumps(r))


@generator('pipeline-upstream-death')
def gen_pipeline_upstream_death(args):
    """pipeline-upstream-death: from tests/e2e/pipeline-upstream-death.sh."""
    opts(args, {}, (0, 0))
    pad = "x" * 100
    for i in range(5):
        print('{"ts":"2025-11-01T00:00:0%d.000001Z","seq":%d,"pad":"%s"}' % (i, i, pad))
    for i in range(5, 4005):
        print('{"ts":"2025-11-01T00:00:05.500000Z","seq":%d,"pad":"%s"}' % (i, pad))
    for i in range(4005, 4010):
        print('{"ts":"2025-11-01T00:00:%02d.000001Z","seq":%d,"pad":"%s"}' % (i - 3995, i, pad))




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
    "harper-url": cmd_harper_url,
    "harper-ids": cmd_harper_ids, "harper-table": cmd_harper_table, "quote-env": cmd_quote_env,
    "compare": cmd_compare, "bq": cmd_bq, "bq-query": cmd_bq_query,
    "bq-dml": cmd_bq_dml, "verify": cmd_verify,
    "jobs-billed": cmd_jobs_billed,
    "pipeline": cmd_pipeline,
    "sa-key": cmd_sa_key, "jwt": cmd_jwt, "token": cmd_token,
    "free-port": cmd_free_port, "idle-clients": cmd_idle_clients,
    "relay": cmd_relay, "python": cmd_python, "now-us": cmd_now_us, "us": cmd_us,
    "iso-in": cmd_iso_in, "gen": cmd_gen, "check": cmd_check,
}


def main(argv):
    global ME
    if len(argv) < 2 or argv[1] not in COMMANDS:
        usage("bqtest.py %s ..." % "|".join(sorted(COMMANDS)))
    ME = "bqtest %s" % " ".join(argv[1:3] if argv[1] in ("gen", "check", "bq",
                                                         "pipeline", "verify")
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
    except IndexError as e:
        print("%s: too few arguments or values (%s)" % (ME, e), file=sys.stderr)
        return 1
    except (OSError, KeyError, ValueError, TypeError) as e:
        print("%s: %s: %s" % (ME, type(e).__name__, e), file=sys.stderr)
        return 1
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
