/**
 * What only the raw engine promises: with pipelining, the requests that the responses of one read set off leave
 * in one system call. Counted with the kernel's own tally of this process's write calls (`syscw` in
 * /proc/self/io), so it holds at any speed: the server here writes once per batch it answers, and everything else
 * in the process is quiet while the load runs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runLoad } from '../../../src/load/http-runner.js';
import { startHoldingServer } from '../servers.js';

const writeCalls = () => Number(/^syscw: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);

describe('raw engine', () => {
  let srv: Awaited<ReturnType<typeof startHoldingServer>>;
  before(async () => {
    srv = await startHoldingServer(4);
  });
  after(() => srv.close());

  it('pipelining 4: the four requests a batch of responses sets off go out in one write', async () => {
    const w0 = writeCalls();
    const r = await runLoad({ url: srv.url, connections: 1, pipelining: 4, durationMs: 1000, engine: 'raw' });
    const calls = writeCalls() - w0;
    const answered = srv.batches.flat();
    assert.equal(r.summary.errorRate, 0);
    assert.ok(answered.length >= 20, `batches answered: ${answered.length}`);
    assert.ok(
      answered.slice(1, -1).every((n) => n === 4),
      `every batch but the first and last is 4 requests: ${answered.join(',')}`,
    );
    // the server's writes are one per batch; one write per request from the generator would add 4 per batch
    const generator = calls - answered.length;
    process.stdout.write(
      `# ${generator} write calls for ${r.summary.completed} requests in ${answered.length} batches\n`,
    );
    assert.ok(
      generator < answered.length * 1.5,
      `${generator} write calls for ${r.summary.completed} requests in ${answered.length} batches`,
    );
  });
});
