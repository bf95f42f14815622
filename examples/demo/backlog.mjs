// Prints the demo's total replication backlog: the sum of demo_replication_queue_depth over the replicas whose
// ports (or URLs) are given, comma-separated. Experiments run it as a `command` monitor. A replica that does not
// answer (killed, paused) holds no queue anyone can drain, so it is skipped; when none answers it exits 1 (the
// monitor is down for that sample). Plain JavaScript so each sample starts fast.
//   node examples/demo/backlog.mjs 8101,8102,8103
const targets = (process.argv[2] ?? '').split(',').filter(Boolean);
const urls = targets.map((t) => (/^\d+$/.test(t) ? `http://127.0.0.1:${t}/metrics` : `${t}/metrics`));
let total = 0;
let answered = 0;
for (const url of urls) {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(400) })).text();
    for (const line of text.split('\n')) {
      const m = /^demo_replication_queue_depth(?:\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m) total += Number(m[1]);
    }
    answered += 1;
  } catch (err) {
    process.stderr.write(`${url}: ${err.message}\n`);
  }
}
if (answered === 0) process.exit(1);
process.stdout.write(`${total}\n`);
