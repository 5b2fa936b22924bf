// Drives bq-emulator with Google's own Node client (@google-cloud/bigquery)
// and prints, as NDJSON on stdout, everything it read back, in a canonical
// form that emulator-clients.sh compares with the rows it inserted.
// Usage: node emulator-clients.js BASEURL MODE  (MODE: endpoint | env)
'use strict';
const path = require('path');
const {BigQuery} = require(path.join(__dirname, '../clients/node_modules/@google-cloud/bigquery'));
const {OAuth2Client} = require(path.join(__dirname, '../clients/node_modules/google-auth-library'));

const [base, mode] = process.argv.slice(2);
const auth = new OAuth2Client();
auth.setCredentials({access_token: 'emulator-test'});
const opts = {projectId: 'test-project', authClient: auth};
if (mode === 'endpoint') opts.apiEndpoint = base; // -> base + /bigquery/v2
const bq = new BigQuery(opts);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const schema = [
  {name: 'id', type: 'INT64', mode: 'REQUIRED'},
  {name: 'ts', type: 'TIMESTAMP'},
  {name: 'name', type: 'STRING'},
  {name: 'score', type: 'FLOAT64'},
  {name: 'ok', type: 'BOOL'},
  {name: 'raw', type: 'BYTES'},
  {name: 'day', type: 'DATE'},
  {name: 'amount', type: 'NUMERIC'},
  {name: 'tags', type: 'STRING', mode: 'REPEATED'},
  {name: 'addr', type: 'RECORD', fields: [
    {name: 'city', type: 'STRING'}, {name: 'zip', type: 'INT64'}]},
];

function canon(r) {
  return {
    id: String(r.id),
    ts: r.ts === null ? null : r.ts.value,
    name: r.name, score: r.score, ok: r.ok,
    raw: r.raw === null ? null : Buffer.from(r.raw).toString('base64'),
    day: r.day === null ? null : r.day.value,
    amount: r.amount === null ? null : r.amount.toString(),
    tags: r.tags,
    addr: r.addr === null ? null : {city: r.addr.city, zip: r.addr.zip === null ? null : String(r.addr.zip)},
  };
}

async function main() {
  const rows = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const ds = bq.dataset('clients_' + mode);
  await ds.create({location: 'US'});
  const [table] = await ds.createTable('t', {
    schema, timePartitioning: {type: 'DAY', field: 'ts'}, clustering: {fields: ['id']},
  });
  await table.insert(rows.map((r) => ({...r, raw: r.raw === null ? null : Buffer.from(r.raw, 'base64')})));

  // Every type, read back through a query.
  const [all] = await bq.query({query: `SELECT * FROM clients_${mode}.t ORDER BY id`});
  for (const r of all) out({what: 'all', row: canon(r)});

  // Named parameters typed INT64, TIMESTAMP and STRING.
  const [sel] = await bq.query({
    query: `SELECT id FROM \`test-project.clients_${mode}.t\` WHERE ts > @cursor AND MOD(id, @n) = @i AND name != @skip ORDER BY ts`,
    params: {cursor: bq.timestamp('2023-11-04T09:30:00.000001Z'), n: 3, i: 1, skip: 'nobody'},
  });
  out({what: 'params', ids: sel.map((r) => String(r.id))});

  // Paging through a query job's results with a small maxResults.
  const [job] = await bq.createQueryJob({query: `SELECT id, ts FROM clients_${mode}.t ORDER BY id`});
  let pageToken, pages = 0;
  const paged = [];
  do {
    const [page, next] = await job.getQueryResults({maxResults: 4, autoPaginate: false, pageToken});
    pages++;
    for (const r of page) paged.push(String(r.id));
    pageToken = next && next.pageToken;
  } while (pageToken);
  out({what: 'query-pages', pages, ids: paged});

  // Paging through tabledata.list.
  let q = {maxResults: 7, autoPaginate: false}, tpages = 0;
  const listed = [];
  for (;;) {
    const [page, next] = await table.getRows(q);
    tpages++;
    for (const r of page) listed.push(canon(r));
    if (!next || !next.pageToken) break;
    q = {...next, autoPaginate: false};
  }
  out({what: 'table-pages', pages: tpages, rows: listed});

  // An invalid query is BigQuery's 400 invalidQuery.
  try {
    await bq.query({query: `SELECT nosuch FROM clients_${mode}.t`});
    out({what: 'invalid', error: null});
  } catch (e) {
    out({what: 'invalid', code: e.code, reason: e.errors && e.errors[0] && e.errors[0].reason});
  }

  // DML DELETE.
  const [djob] = await bq.createQueryJob({query: `DELETE FROM clients_${mode}.t WHERE id > 20`});
  await djob.getQueryResults();
  const [meta] = await djob.getMetadata();
  out({what: 'delete', affected: meta.statistics.query.numDmlAffectedRows});
  const [[cnt]] = await bq.query(`SELECT COUNT(*) AS n FROM clients_${mode}.t`);
  out({what: 'count', n: cnt.n});

  // DML UPDATE (of nothing, the table stays for bq-pull), and the latest
  // row per key by QUALIFY ROW_NUMBER() OVER, as bq-verify asks for it.
  const [ujob] = await bq.createQueryJob({query: `UPDATE clients_${mode}.t SET name = name WHERE id <= 4`});
  await ujob.getQueryResults();
  const [umeta] = await ujob.getMetadata();
  const qs = umeta.statistics.query;
  out({what: 'update', affected: qs.numDmlAffectedRows, type: qs.statementType,
    updated: qs.dmlStats.updatedRowCount});
  const [latest] = await bq.query(`SELECT MOD(id, 3) AS k, id FROM clients_${mode}.t WHERE TRUE ` +
    'QUALIFY ROW_NUMBER() OVER (PARTITION BY MOD(id, 3) ORDER BY id DESC) = 1 ORDER BY k');
  out({what: 'qualify', rows: latest.map((r) => [String(r.k), String(r.id)])});

  // A load job from a local NDJSON file (a multipart upload).
  const file = path.join(process.env.T || '.', `load-${mode}.ndjson`);
  require('fs').writeFileSync(file, rows.map((r) => JSON.stringify({id: r.id, ts: r.ts})).join('\n') + '\n');
  const [ljob] = await ds.table('loaded').load(file, {sourceFormat: 'NEWLINE_DELIMITED_JSON',
    schema: {fields: [{name: 'id', type: 'INT64'}, {name: 'ts', type: 'TIMESTAMP'}]}});
  const [[lsum]] = await bq.query(`SELECT COUNT(*) AS n, SUM(id) AS s FROM clients_${mode}.loaded`);
  out({what: 'load', state: ljob.status.state, rows: ljob.statistics.load.outputRows, n: lsum.n, s: lsum.s});

  // The endpoint run's table stays for bq-pull to read (emulator-clients.sh).
  if (mode === 'env') await ds.delete({force: true});
  out({what: 'done'});
}
main().catch((e) => { console.error('node client failed:', e.message, JSON.stringify(e.errors || '')); process.exit(1); });
