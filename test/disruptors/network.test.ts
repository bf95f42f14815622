/**
 * proxy.toxic against a real faultline proxy server, failpoint against a real child process's failpoint
 * endpoint, command with real shell commands, http against a real HTTP server — all on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { applyFault, getDisruptor, openJournal } from '../../src/disruptors/index.js';
import { createFailpointClient } from '../../src/failpoint/client.js';
import { createProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { type Child, freePort, ROOT, startChild, stopAll } from './helpers.js';

const opts = (name: string, o: unknown) => getDisruptor(name)!.definition.options.parse(o);
const ctx = { faultId: 'f1' };

async function json(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await request(url, {
    method: method as 'GET',
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text) };
}

describe('proxy.toxic', () => {
  let server: ProxyServer;
  let api: string;
  const toxic = getDisruptor('proxy.toxic')!;

  before(async () => {
    server = createProxyServer({ port: 0, seed: 1 });
    api = (await server.listen()).url;
    const created = await json(`${api}/proxies`, 'POST', {
      name: 'db-0',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${new URL(api).port}`,
    });
    assert.equal(created.status, 201);
  });
  after(() => server.close());

  it('adds a named toxic with the attributes and removes it on revert; reverting twice is fine', async () => {
    const applied = await toxic.inject(
      { id: 'db-0' },
      opts('proxy.toxic', { api, proxy: '{{instance}}', toxic: 'latency', attributes: { latency: 300 } }),
      ctx,
    );
    assert.deepEqual(applied.revert, { type: 'proxy.toxic', api, proxy: 'db-0', toxic: 'faultline-f1' });
    const listed = (await json(`${api}/proxies/db-0/toxics`)).body as {
      name: string;
      type: string;
      attributes: { latency: number };
    }[];
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.name, 'faultline-f1');
    assert.equal(listed[0]!.type, 'latency');
    assert.equal(listed[0]!.attributes.latency, 300);
    await toxic.revert(JSON.parse(JSON.stringify(applied.revert)));
    assert.deepEqual((await json(`${api}/proxies/db-0/toxics`)).body, []);
    await toxic.revert(applied.revert);
    await toxic.revert({ type: 'proxy.toxic', api, proxy: 'no-such-proxy', toxic: 'faultline-f1' });
  });

  it('sends FAULTLINE_PROXY_TOKEN to a proxy API that needs a token, at inject and at revert', async () => {
    const token = 'disruptor-token-0123456789';
    const guarded = createProxyServer({ port: 0, seed: 1, token });
    const guardedApi = (await guarded.listen()).url;
    const saved = process.env.FAULTLINE_PROXY_TOKEN;
    try {
      await guarded.createProxy({
        name: 'db-0',
        listen: '127.0.0.1:0',
        upstream: `127.0.0.1:${new URL(api).port}`,
      });
      const o = opts('proxy.toxic', { api: guardedApi, proxy: 'db-0', toxic: 'latency' });
      delete process.env.FAULTLINE_PROXY_TOKEN;
      await assert.rejects(toxic.inject({ id: 'db-0' }, o, ctx), /HTTP 401/);
      process.env.FAULTLINE_PROXY_TOKEN = token;
      const applied = await toxic.inject({ id: 'db-0' }, o, ctx);
      assert.equal(guarded.getProxy('db-0').toxics.length, 1);
      assert.doesNotMatch(JSON.stringify(applied.revert), new RegExp(token)); // never journaled
      await toxic.revert(applied.revert);
      assert.equal(guarded.getProxy('db-0').toxics.length, 0);
    } finally {
      if (saved === undefined) delete process.env.FAULTLINE_PROXY_TOKEN;
      else process.env.FAULTLINE_PROXY_TOKEN = saved;
      await guarded.close();
    }
  });

  it('refuses a misspelt attribute before calling the proxy, naming it (Toxiproxy would ignore it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-toxic-'));
    const journal = openJournal(join(dir, 'journal.jsonl'));
    try {
      await assert.rejects(
        applyFault(
          journal,
          toxic,
          { id: 'db-0' },
          { api, proxy: 'db-0', toxic: 'latency', attributes: { latncy: 300 } },
          { faultId: 'typo' },
        ),
        /with\.attributes\.latncy: unknown attribute 'latncy' of toxic latency \(known: latency, jitter\)/,
      );
    } finally {
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual((await json(`${api}/proxies/db-0/toxics`)).body, []);
    // and the proxy itself refuses it too, whoever asks
    const direct = await json(`${api}/proxies/db-0/toxics`, 'POST', {
      type: 'latency',
      attributes: { latncy: 100 },
    });
    assert.equal(direct.status, 400);
    assert.equal((direct.body as { field: string }).field, 'attributes.latncy');
  });

  it('rejects when the proxy does not exist, with the status', async () => {
    await assert.rejects(
      toxic.inject({ id: 'x' }, opts('proxy.toxic', { api, proxy: 'missing', toxic: 'latency' }), ctx),
      /proxy missing .*HTTP 404/,
    );
  });
});

describe('failpoint', () => {
  let child: Child;
  let endpoint: string;
  const fp = getDisruptor('failpoint')!;

  before(async () => {
    const port = await freePort();
    child = startChild([join(ROOT, 'test/fixtures/failpoint/serve.ts')], {
      tsx: true,
      env: { ...process.env, FAULTLINE_FAILPOINTS_ADDR: `127.0.0.1:${port}` },
    });
    await child.stderrMatch(/failpoint endpoint listening on/);
    endpoint = `127.0.0.1:${port}`;
  });
  after(stopAll);

  it('sets the term in the other process and unsets it on revert; reverting twice is fine', async () => {
    const client = createFailpointClient({ target: endpoint });
    const applied = await fp.inject(
      { id: 'svc-0', ports: { fp: Number(endpoint.split(':')[1]) } },
      opts('failpoint', {
        endpoint: '127.0.0.1:{{ports.fp}}',
        name: 'demo.declared',
        term: 'return("boom")',
      }),
      ctx,
    );
    assert.deepEqual(applied.revert, { type: 'failpoint', endpoint, name: 'demo.declared', previous: null });
    assert.match(String((await client.get('demo.declared')).term), /boom/);
    await fp.revert(applied.revert);
    assert.equal((await client.get('demo.declared')).term ?? null, null);
    await fp.revert(applied.revert);
    await fp.revert({ type: 'failpoint', endpoint, name: 'never.set' });
  });

  it('counts a revert as done when nothing listens any more (the process and its failpoints are gone)', async () => {
    const port = await freePort();
    await fp.revert({ type: 'failpoint', endpoint: `127.0.0.1:${port}`, name: 'demo.declared' });
  });
});

describe('command', () => {
  const cmd = getDisruptor('command')!;
  const dir = mkdtempSync(join(tmpdir(), 'faultline-cmd-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the inject command per instance and the revert command from the record alone', async () => {
    const file = join(dir, 'marker');
    const applied = await cmd.inject(
      { id: 'api-2', pid: 4242 },
      opts('command', {
        inject: `echo "{{instance}} $FAULTLINE_PID" > ${file}`,
        revert: ['rm', '-f', file],
      }),
      ctx,
    );
    assert.equal(readFileSync(file, 'utf8'), 'api-2 4242\n');
    await cmd.revert(JSON.parse(JSON.stringify(applied.revert)));
    assert.equal(existsSync(file), false);
    await cmd.revert(applied.revert);
  });

  it('rejects when the inject command fails or times out, and when the revert command fails', async () => {
    await assert.rejects(
      cmd.inject({ id: 'a' }, opts('command', { inject: 'echo nope >&2; exit 3' }), ctx),
      /exited 3: nope/,
    );
    await assert.rejects(
      cmd.inject({ id: 'a' }, opts('command', { inject: 'sleep 10', timeout: '100ms' }), ctx),
      /timed out after 100 ms/,
    );
    await assert.rejects(
      cmd.revert({ type: 'command', command: 'exit 1', timeoutMs: 5000 }),
      /revert command exited 1/,
    );
  });
});

describe('http', () => {
  const http = getDisruptor('http')!;
  let server: Server;
  let base: string;
  const seen: string[] = [];
  let revertStatus = 204;

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        res.statusCode = req.url === '/fail' ? 503 : req.method === 'DELETE' ? revertStatus : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('calls the inject URL per instance, and the revert URL from the record; 404 on revert is done', async () => {
    const applied = await http.inject(
      { id: 'api-1' },
      opts('http', {
        inject: { url: `${base}/chaos/{{instance}}`, body: 'on' },
        revert: { url: `${base}/chaos/{{instance}}`, method: 'DELETE' },
      }),
      ctx,
    );
    await http.revert(JSON.parse(JSON.stringify(applied.revert)));
    assert.deepEqual(seen, ['POST /chaos/api-1 on', 'DELETE /chaos/api-1 ']);
    revertStatus = 404;
    await http.revert(applied.revert);
    revertStatus = 500;
    await assert.rejects(http.revert(applied.revert), /answered 500/);
  });

  it('rejects an injection answered with a non-2xx status', async () => {
    await assert.rejects(
      http.inject({ id: 'a' }, opts('http', { inject: { url: `${base}/fail` } }), ctx),
      /answered 503/,
    );
  });
});
