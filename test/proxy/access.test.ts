/**
 * Who may drive the proxy API: loopback only without a token (a non-loopback listen address is refused before
 * anything is created, and a non-loopback Host header is refused per request); with a token, any address, and
 * every request must carry it. Requests from web pages are refused either way. Real sockets, and the real CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { FaultlineError, InvalidOptionError } from '../../src/core/errors.js';
import { createProxyServer } from '../../src/proxy/index.js';
import { cli, cliArgv } from '../helpers/cli.js';

const TOKEN = 'a-token-of-at-least-16-chars';

/** A raw request, so the Host and other headers are exactly what the test says. */
function call(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An address of this machine that is not loopback, if it has one. */
function nonLoopbackAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

describe('without a token', () => {
  it('refuses to listen on a non-loopback address, before creating any configured proxy', async () => {
    const server = createProxyServer({
      host: '0.0.0.0',
      port: 0,
      config: [{ name: 'x', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' }],
    });
    await assert.rejects(server.listen(), (err: unknown) => {
      assert.ok(err instanceof FaultlineError);
      assert.equal(err.code, 'FAULTLINE_PROXY_INSECURE');
      assert.match(err.message, /0\.0\.0\.0: a non-loopback address needs a token \(FAULTLINE_PROXY_TOKEN\)/);
      return true;
    });
    assert.deepEqual([...server.proxies()], []);
    assert.equal(server.address, null);
  });

  it('answers loopback Host names and refuses others (DNS rebinding) and web pages', async () => {
    const server = createProxyServer({ port: 0, token: '' });
    const { port } = await server.listen();
    try {
      assert.equal((await call(port, '/version')).status, 200);
      assert.equal((await call(port, '/proxies', { host: `localhost:${port}` })).status, 200);
      const rebound = await call(port, '/proxies', { host: `attacker.example:${port}` });
      assert.equal(rebound.status, 403);
      assert.deepEqual(JSON.parse(rebound.body), {
        error: `Host "attacker.example:${port}" is not a loopback name`,
        status: 403,
        code: 'FAULTLINE_FORBIDDEN_HOST',
      });
      const page = await call(port, '/proxies', { origin: 'http://127.0.0.1:3000' }, 'POST');
      assert.equal(page.status, 403);
      assert.equal(JSON.parse(page.body).code, 'FAULTLINE_FORBIDDEN_ORIGIN');
      assert.deepEqual([...server.proxies()], []);
    } finally {
      await server.close();
    }
  });
});

describe('with a token', () => {
  it('refuses a token shorter than 16 characters, naming the field', () => {
    assert.throws(
      () => createProxyServer({ port: 0, token: 'short' }),
      (err: unknown) => err instanceof InvalidOptionError && err.field === 'token',
    );
  });

  it('listens on a non-loopback address and requires the bearer token on every request', async () => {
    const server = createProxyServer({ host: '0.0.0.0', port: 0, token: TOKEN });
    const { port } = await server.listen();
    try {
      const missing = await call(port, '/proxies');
      assert.equal(missing.status, 401);
      assert.equal(missing.headers['www-authenticate'], 'Bearer realm="faultline proxy"');
      assert.match(JSON.parse(missing.body).error, /missing token/);
      const wrong = await call(port, '/proxies', { authorization: 'Bearer not-the-right-token' });
      assert.equal(wrong.status, 401);
      assert.match(JSON.parse(wrong.body).error, /wrong token/);
      const ok = await call(port, '/proxies', { authorization: `Bearer ${TOKEN}` });
      assert.equal(ok.status, 200);
      // With the token, any Host: the endpoint is meant to be reached from elsewhere.
      const remote = nonLoopbackAddress();
      if (remote !== undefined) {
        const viaName = await call(port, '/version', {
          host: `${remote}:${port}`,
          authorization: `Bearer ${TOKEN}`,
        });
        assert.equal(viaName.status, 200);
      }
    } finally {
      await server.close();
    }
  });

  it('`faultline proxy --host 0.0.0.0` exits with one line without FAULTLINE_PROXY_TOKEN and serves with it', async () => {
    const refused = await cli(['proxy', '--host', '0.0.0.0', '--port', '0'], {
      ...process.env,
      FAULTLINE_PROXY_TOKEN: '',
    });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /refusing to start the proxy API on 0\.0\.0\.0/);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);

    const child = spawn(process.execPath, [...cliArgv, 'proxy', '--host', '0.0.0.0', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FAULTLINE_PROXY_TOKEN: TOKEN },
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      const exited = once(child, 'exit').then(() => {
        throw new Error(`faultline proxy exited before serving: ${out}`);
      });
      exited.catch(() => {}); // it exits on purpose at the end
      while (!/API on http:\/\/\S+:(\d+)/.test(out)) await Promise.race([once(child.stdout, 'data'), exited]);
      const port = Number(/API on http:\/\/\S+:(\d+)/.exec(out)![1]);
      assert.equal((await call(port, '/proxies')).status, 401);
      assert.equal((await call(port, '/proxies', { authorization: `Bearer ${TOKEN}` })).status, 200);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  });
});
