// bench-post.mjs BODIES CONNS: the baseline of bench-harper-load.sh.  POSTs
// the pre-built operations-API bodies in BODIES (one JSON body a line) to
// $HARPER_URL with Basic auth ($HARPER_USERNAME/$HARPER_PASSWORD), CONNS at a
// time over keep-alive connections, each connection sending sequentially;
// checks each "upserted N of N records" and prints
// {"rows":R,"seconds":S,"rows_per_s":X} on stdout.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const [file, connsArg] = process.argv.slice(2);
const conns = Number(connsArg || 2);
const url = new URL(process.env.HARPER_URL);
const auth = 'Basic ' + Buffer.from(process.env.HARPER_USERNAME + ':' +
    process.env.HARPER_PASSWORD).toString('base64');
const bodies = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l)
    .map((l) => Buffer.from(l));
const mod = url.protocol === 'https:' ? https : http;
const agent = new mod.Agent({ keepAlive: true, maxSockets: conns });

function post(body) {
	return new Promise((resolve, reject) => {
		const req = mod.request(url, { method: 'POST', agent, headers: {
		    'Content-Type': 'application/json', 'Authorization': auth,
		    'Content-Length': body.length } }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString();
				const m = /upserted (\d+) of (\d+) records/.exec(text);
				if (res.statusCode !== 200 || !m || m[1] !== m[2])
					reject(new Error(res.statusCode + ' ' + text.slice(0, 200)));
				else
					resolve(Number(m[1]));
			});
		});
		req.on('error', reject);
		req.end(body);
	});
}

let next = 0, rows = 0;
async function worker() {
	while (next < bodies.length)
		rows += await post(bodies[next++]);
}
const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: conns }, worker));
const s = Number(process.hrtime.bigint() - t0) / 1e9;
agent.destroy();
console.log(JSON.stringify({ rows, seconds: s, rows_per_s: rows / s }));
