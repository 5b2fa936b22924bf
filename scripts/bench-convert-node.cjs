// bench-convert-node.cjs RESPONSE OUT: converts a saved getQueryResults
// answer to NDJSON with @google-cloud/bigquery's own row conversion
// (BigQuery.mergeSchemaWithRows_, as bigquery.query() uses it), the baseline
// of scripts/bench-bq-pull.sh.  The client is resolved from tests/clients
// (or bench/out/node, where the benchmark installs it if need be).
'use strict';
const fs = require('fs');
const path = require('path');
const top = path.join(__dirname, '..');
const {BigQuery} = require(require.resolve('@google-cloud/bigquery',
    {paths: [path.join(top, 'tests', 'clients'),
	path.join(top, 'bench', 'out', 'node')]}));
const resp = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const rows = BigQuery.mergeSchemaWithRows_(resp.schema, resp.rows || [],
    {wrapIntegers: false, selectedFields: [], parseJSON: false});
const fd = fs.openSync(process.argv[3], 'w');
let buf = [];
for (const r of rows) {
	buf.push(JSON.stringify(r));
	if (buf.length === 1000) {
		fs.writeSync(fd, buf.join('\n') + '\n');
		buf = [];
	}
}
if (buf.length)
	fs.writeSync(fd, buf.join('\n') + '\n');
fs.closeSync(fd);
