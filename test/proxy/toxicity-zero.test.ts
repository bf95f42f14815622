/**
 * A toxic that does not act on a connection costs that connection nothing: with every registered toxic type
 * present at toxicity 0 on both streams, live and new connections keep both directions as direct pipes (no
 * stage in the way of a chunk) and pass bytes unchanged. The benchmark measures the same thing in time; this
 * checks the mechanism.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { toxicDefinitions } from '../../src/proxy/index.js';
import { STRONG_TOXIC_ATTRIBUTES } from './fixtures/strong-toxics.js';
import { connect, payload, readBytes, useEchoAndProxy } from './helpers.js';

const ctx = useEchoAndProxy();

it('every toxic type at toxicity 0 leaves live and new connections as direct pipes', async () => {
  const { server } = ctx;
  const port = await ctx.proxyTo('zero');
  const live = await connect(port);
  live.write('x');
  await readBytes(live, 1);

  const types = [...toxicDefinitions()].map((d) => d.type);
  for (const type of types) {
    for (const stream of ['upstream', 'downstream']) {
      await server.addToxic('zero', {
        name: `${type}_${stream}`,
        type,
        stream,
        toxicity: 0,
        attributes: STRONG_TOXIC_ATTRIBUTES[type] ?? {},
      });
    }
  }
  const fresh = await connect(port);
  const data = payload(200_000, 7);
  for (const s of [live, fresh]) {
    const got = readBytes(s, data.length);
    s.write(data);
    assert.ok((await got).equals(data));
  }

  const proxy = [...server.proxies()].find((x) => x.name === 'zero')!;
  assert.equal(proxy.toxics.length, types.length * 2);
  assert.equal(proxy.connections.size, 2);
  for (const conn of proxy.connections) {
    assert.equal(conn.links.upstream.hasStages, false, `connection ${conn.index}: upstream has a stage`);
    assert.equal(conn.links.downstream.hasStages, false, `connection ${conn.index}: downstream has a stage`);
  }
  live.destroy();
  fresh.destroy();
});
