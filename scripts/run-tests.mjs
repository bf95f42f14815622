// Runs test files through node:test's run() with the spec reporter: the same output and exit code as
// `node --test --test-reporter=spec --test-concurrency=N`, except that the files start in the order given. Node 20's
// command line sorts them by name, so a one-minute file named late would start last and run on alone.
//   node scripts/run-tests.mjs CONCURRENCY FILE...
import { setMaxListeners } from 'node:events';
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const [concurrency, ...files] = process.argv.slice(2);
if (!/^\d+$/.test(concurrency ?? '') || files.length === 0) {
  console.error('usage: node scripts/run-tests.mjs CONCURRENCY FILE...');
  process.exit(2);
}

// Ctrl-C or a TERM cancels the files still running (their after hooks run), as `node --test` does
const stop = new AbortController();
// every file's run listens on it: not a leak, however many files there are
setMaxListeners(files.length * 2 + 10, stop.signal);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => stop.abort());

const stream = run({ files, concurrency: Number(concurrency), signal: stop.signal });
stream.on('test:fail', (data) => {
  process.exitCode = 1;
  if (process.env.FAULTLINE_TEST_FAILURES) recordFailure(process.env.FAULTLINE_TEST_FAILURES, data);
});
stream.compose(new spec()).pipe(process.stdout);

/**
 * One short paragraph per failed test (not per suite around it) in FILE: scripts/test.sh prints them again
 * above its closing lines, since a CI log's tail rarely reaches back to the group that failed.
 */
function recordFailure(file, data) {
  const err = data.details?.error;
  // a suite fails with its tests, already named; but a hook of its own that failed is said here only
  if (data.details?.type === 'suite' && err?.failureType === 'subtestsFailed') return;
  // node:test wraps what the test threw: the cause is the assertion
  const cause = err?.cause ?? err;
  const message = String(cause?.message ?? cause ?? 'failed')
    .split('\n')
    .slice(0, 12)
    .map((line) => `    ${line}`)
    .join('\n');
  // the test's own name, not its transpiled mirror's (scripts/build-tests.mjs)
  const source = data.file && relative(process.cwd(), data.file).replace(/^\.test-build\/(.*)\.js$/, '$1.ts');
  const where = source ? `${source}: ` : '';
  appendFileSync(file, `✖ ${where}${data.name}\n${message}\n`);
}
