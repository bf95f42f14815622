// Prints the demo's total replication backlog: the sum of demo_replication_queue_depth over the replicas whose
// ports (or URLs) are given, comma-separated. Experiments run it as a `command` monitor. A replica that does not
// answer (killed, paused) holds no queue anyone can drain, so it is skipped; when none answers it exits 1 (the
// monitor is down for that sample). Plain JavaScript on node:http so each sample starts fast (a process runs
// per sample; global fetch alone would double its CPU time).
//   node examples/demo/backlog.mjs 8101,8102,8103
import { get } from 'node:http';

const targets = (process.argv[2] ?? '').split(',').filter(Boolean);
const urls = targets.map((t) => (/^\d+$/.test(t) ? `http://127.0.0.1:${t}/metrics` : `${t}/metrics`));

/** The replica's metrics text; rejects on no answer within 400 ms or a non-200. */
function metrics(url) {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 400 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 400 ms')));
    req.on('error', reject);
  });
}

// asked side by side: a paused replica costs one timeout, not one per replica after it
const answers = await Promise.allSettled(urls.map(metrics));
let total = 0;
let answered = 0;
answers.forEach((answer, i) => {
  if (answer.status === 'rejected') {
    process.stderr.write(`${urls[i]}: ${answer.reason.message}\n`);
    return;
  }
  for (const line of answer.value.split('\n')) {
    const m = /^demo_replication_queue_depth(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) total += Number(m[1]);
  }
  answered += 1;
});
if (answered === 0) process.exit(1);
process.stdout.write(`${total}\n`);
