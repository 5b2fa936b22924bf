#!/usr/bin/env python3
"""verify-drift.py DIR DB: makes BigQuery ($BIGQUERY_EMULATOR_HOST, project
test-project, dataset maritime) and Harper ($HARPER_URL, database DB)
disagree in every way at once, starting from the dumps DIR/src.TABLE of a
synced state, in one process (every python3 start costs on a loaded
machine).  What it does, per table, is what verify-drift.sh expects
bq-verify to find:

vessel_positions (whole-row ids): 3 late rows (old timestamps, new
  content), 2 rows deleted and 1 updated in place by DML in BigQuery, 2
  rows deleted from Harper, 2 foreign rows added to Harper:
  missing 3 + 1 + 2, extra 2 + 1 + 2.
port_events: 1 row updated in place by DML (a new whole-row id), and a new
  column whose values come with 2 late rows: missing 3, extra 1.
vessel_metadata (natural key mmsi): one vessel's latest version updated in
  place by DML (changed 1); an older version of another vessel loaded late,
  then updated by DML (not compared: Harper holds latest versions only).
"""
import base64
import datetime
import json
import os
import sys
import urllib.error
import urllib.request

BQ = "http://%s/bigquery/v2/projects/test-project" % \
    os.environ["BIGQUERY_EMULATOR_HOST"]
TS_COLUMNS = ("timestamp", "eta", "event_time", "last_updated")


def call(url, body=None, method=None, headers=None):
    req = urllib.request.Request(
        url, data=None if body is None else json.dumps(body).encode(),
        method=method, headers=dict({"Content-Type": "application/json"},
                                    **(headers or {})))
    try:
        with urllib.request.urlopen(req) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        sys.exit("verify-drift.py: %s: HTTP %d %s" % (url, e.code,
                                                      e.read()[:400]))


def dml(sql, affected=1):
    r = call(BQ + "/queries", {"query": sql, "useLegacySql": False})
    if r.get("numDmlAffectedRows") != str(affected):
        sys.exit("verify-drift.py: %s: %s rows affected, not %d" % (
            sql, r.get("numDmlAffectedRows"), affected))


def insert(table, rows):
    r = call(BQ + "/datasets/maritime/tables/%s/insertAll" % table,
             {"rows": [{"json": x} for x in rows]})
    if r.get("insertErrors"):
        sys.exit("verify-drift.py: insertErrors: %s" % r["insertErrors"])


def harper(op):
    auth = base64.b64encode(("%s:%s" % (os.environ["HARPER_USERNAME"],
                             os.environ["HARPER_PASSWORD"])).encode())
    return call(os.environ["HARPER_URL"] + "/", op,
                headers={"Authorization": "Basic " + auth.decode()})


def rfc3339(us):
    return (datetime.datetime(1970, 1, 1) + datetime.timedelta(
        microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pick(table, k):
    """k rows of BigQuery's dump, spread over the table, timestamps in
    RFC 3339 (insertAll's form and a TIMESTAMP literal's)."""
    rows = [json.loads(x) for x in open(os.path.join(DIR, "src." + table))]
    out = []
    for r in rows[len(rows) // (k + 1)::len(rows) // (k + 1)][:k]:
        for c in TS_COLUMNS:
            if r.get(c) is not None:
                r[c] = rfc3339(r[c])
        out.append(r)
    return out


def positions():
    p = pick("vessel_positions", 9)
    late = [dict(r, speed_knots=99.5) for r in p[0:3]]
    insert("vessel_positions", late)
    for r in p[3:5]:
        dml("DELETE FROM maritime.vessel_positions WHERE mmsi = '%s' AND "
            "timestamp = TIMESTAMP '%s'" % (r["mmsi"], r["timestamp"]))
    dml("UPDATE maritime.vessel_positions SET speed_knots = speed_knots + 1, "
        "status = 'updated' WHERE mmsi = '%s' AND timestamp = TIMESTAMP "
        "'%s'" % (p[6]["mmsi"], p[6]["timestamp"]))
    ids = [r["id"] for r in harper({
        "operation": "sql", "sql": "SELECT id FROM %s.VesselPositions ORDER "
        "BY timestamp LIMIT 2 OFFSET 40" % DB})]
    harper({"operation": "delete", "database": DB,
            "table": "VesselPositions", "ids": ids})
    harper({"operation": "upsert", "database": DB,
            "table": "VesselPositions", "records": [
                {"id": "foreign-%d" % i, "timestamp": p[5]["timestamp"],
                 "mmsi": str(i)} for i in (1, 2)]})


def events():
    e = pick("port_events", 3)
    dml("UPDATE maritime.port_events SET port_name = CONCAT('Updated ', "
        "IFNULL(port_name, '')) WHERE vessel_mmsi = '%s' AND event_time = "
        "TIMESTAMP '%s'" % (e[0]["vessel_mmsi"], e[0]["event_time"]))
    url = BQ + "/datasets/maritime/tables/port_events"
    f = call(url)["schema"]["fields"] + [
        {"name": "remark", "type": "STRING", "mode": "NULLABLE"}]
    call(url, {"schema": {"fields": f}}, method="PATCH")
    insert("port_events", [dict(r, remark="late with a remark",
                                vessel_mmsi=str(int(r["vessel_mmsi"]) + 1))
                           for r in e[1:3]])


def metadata():
    rows = [json.loads(x) for x in
            open(os.path.join(DIR, "src.vessel_metadata"))]
    latest = {}
    for r in rows:
        if r["mmsi"] not in latest or \
                r["last_updated"] > latest[r["mmsi"]]["last_updated"]:
            latest[r["mmsi"]] = r
    keys = sorted(latest)
    m = keys[len(keys) // 2]
    dml("UPDATE maritime.vessel_metadata SET vessel_name = CONCAT(IFNULL("
        "vessel_name, ''), ' (renamed)') WHERE mmsi = '%s' AND last_updated "
        "= TIMESTAMP '%s'" % (m, rfc3339(latest[m]["last_updated"])))
    old = dict(latest[keys[0]], owner="an older owner", last_updated=rfc3339(
        latest[keys[0]]["last_updated"] - 3600 * 10**6))
    for c in TS_COLUMNS:
        if isinstance(old.get(c), int):
            old[c] = rfc3339(old[c])
    insert("vessel_metadata", [old])
    dml("UPDATE maritime.vessel_metadata SET owner = 'an older owner, "
        "updated' WHERE mmsi = '%s' AND last_updated = TIMESTAMP '%s'" % (
            old["mmsi"], old["last_updated"]))


DIR, DB = sys.argv[1:3]
positions()
events()
metadata()
