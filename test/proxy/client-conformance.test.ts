/**
 * toxiproxy-node-client — a Toxiproxy client nobody here wrote — drives our API unchanged: create, list,
 * get, update, add/update/remove every toxic type, populate, reset, version.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ICreateToxicBody, Toxiproxy } from 'toxiproxy-node-client';
import {
  connect,
  payload,
  portOf,
  readBytes,
  startEchoServer,
  startProxyServer,
  type TestServer,
} from './helpers.js';

let echo: TestServer;
let server: Awaited<ReturnType<typeof startProxyServer>>;
let client: Toxiproxy;

before(async () => {
  echo = await startEchoServer();
  server = await startProxyServer();
  client = new Toxiproxy(server.api);
});
after(async () => {
  await server.close();
  await echo.close();
});

/** Each Toxiproxy toxic type with attributes in the client's own types. */
const toxics: { type: ICreateToxicBody<unknown>['type']; attributes: Record<string, number> }[] = [
  { type: 'latency', attributes: { latency: 20, jitter: 5 } },
  { type: 'bandwidth', attributes: { rate: 1000 } },
  { type: 'slow_close', attributes: { delay: 10 } },
  { type: 'timeout', attributes: { timeout: 500 } },
  { type: 'reset_peer', attributes: { timeout: 500 } },
  { type: 'slicer', attributes: { average_size: 64, size_variation: 32, delay: 10 } },
  { type: 'limit_data', attributes: { bytes: 100000 } },
];

describe('toxiproxy-node-client against faultline', () => {
  it('reports a Toxiproxy 2.x version', async () => {
    const text = await client.getVersion();
    assert.match(JSON.parse(text).version, /^2\.\d+\.\d+\+faultline\./);
  });

  it('creates, gets, lists and proxies through a proxy', async () => {
    const proxy = await client.createProxy({
      name: 'conf_echo',
      listen: '127.0.0.1:0',
      upstream: echo.address,
    });
    assert.equal(proxy.name, 'conf_echo');
    assert.equal(proxy.upstream, echo.address);
    assert.equal(proxy.enabled, true);
    assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(portOf(proxy.listen), 0);

    const got = await client.get('conf_echo');
    assert.deepEqual(got.toJson(), proxy.toJson());
    const all = await client.getAll();
    assert.ok(all.conf_echo);

    const s = await connect(portOf(proxy.listen));
    s.write('ping');
    assert.equal(String(await readBytes(s, 4)), 'ping');
    s.destroy();
  });

  it('adds, gets, updates and removes every toxic type', async () => {
    const proxy = await client.get('conf_echo');
    for (const { type, attributes } of toxics) {
      const toxic = await proxy.addToxic({
        name: `t_${type}`,
        type,
        stream: 'downstream',
        toxicity: 1,
        attributes,
      } as ICreateToxicBody<unknown>);
      assert.deepEqual(toxic.toJson(), {
        attributes,
        name: `t_${type}`,
        stream: 'downstream',
        toxicity: 1,
        type,
      });
      const fetched = await proxy.getToxic(`t_${type}`);
      assert.deepEqual(fetched.toJson(), toxic.toJson());

      const key = Object.keys(attributes)[0]!;
      const updated = await toxic.update({
        ...toxic.toJson(),
        toxicity: 0.5,
        attributes: { ...attributes, [key]: attributes[key]! + 1 },
      } as ICreateToxicBody<unknown>);
      assert.equal(updated.toxicity, 0.5);
      assert.equal((updated.attributes as Record<string, number>)[key], attributes[key]! + 1);
    }
    const listed = (await (await fetch(`${server.api}/proxies/conf_echo/toxics`)).json()) as unknown[];
    assert.equal(listed.length, toxics.length);
    for (const { type } of toxics) await (await proxy.getToxic(`t_${type}`)).remove();
    const after = (await (await fetch(`${server.api}/proxies/conf_echo/toxics`)).json()) as unknown[];
    assert.equal(after.length, 0);
  });

  it('a toxic with only type and attributes gets Toxiproxy defaults (name type_stream, downstream, 1.0)', async () => {
    const proxy = await client.get('conf_echo');
    const toxic = await proxy.addToxic({
      type: 'latency',
      attributes: { latency: 1 },
    } as ICreateToxicBody<unknown>);
    assert.equal(toxic.name, 'latency_downstream');
    assert.equal(toxic.stream, 'downstream');
    assert.equal(toxic.toxicity, 1);
    assert.deepEqual(toxic.attributes, { latency: 1, jitter: 0 });
    await toxic.remove();
  });

  it('disables and re-enables a proxy through update()', async () => {
    const proxy = await client.get('conf_echo');
    const disabled = await proxy.update({ ...proxy.toJson(), enabled: false });
    assert.equal(disabled.enabled, false);
    await assert.rejects(connect(portOf(proxy.listen)), /ECONNREFUSED/);
    const enabled = await disabled.update({ ...disabled.toJson(), enabled: true });
    assert.equal(enabled.enabled, true);
    assert.equal(enabled.listen, proxy.listen);
    const s = await connect(portOf(enabled.listen));
    s.write('again');
    assert.equal(String(await readBytes(s, 5)), 'again');
    s.destroy();
  });

  it('populates: creates new proxies, leaves matching ones untouched', async () => {
    const existing = await client.get('conf_echo');
    const proxies = await client.populate([
      { name: 'conf_echo', listen: existing.listen, upstream: echo.address },
      { name: 'conf_pop', listen: '127.0.0.1:0', upstream: echo.address },
    ]);
    assert.deepEqual(Object.keys(proxies).sort(), ['conf_echo', 'conf_pop']);
    assert.equal(proxies.conf_echo!.listen, existing.listen);
    assert.equal(proxies.conf_pop!.enabled, true);
    const s = await connect(portOf(proxies.conf_pop!.listen));
    const data = payload(10000);
    s.write(data);
    assert.deepEqual(await readBytes(s, data.length), data);
    s.destroy();
  });

  it('reset enables every proxy and removes every toxic', async () => {
    const pop = await client.get('conf_pop');
    await pop.update({ ...pop.toJson(), enabled: false });
    await pop.addToxic({ type: 'latency', attributes: { latency: 1000 } } as ICreateToxicBody<unknown>);
    await client.reset();
    const all = await client.getAll();
    for (const p of Object.values(all)) assert.equal(p.enabled, true);
    const raw = (await (await fetch(`${server.api}/proxies`)).json()) as Record<
      string,
      { toxics: unknown[] }
    >;
    for (const p of Object.values(raw)) assert.deepEqual(p.toxics, []);
  });

  it('removes a proxy', async () => {
    const pop = await client.get('conf_pop');
    await pop.remove();
    await assert.rejects(client.get('conf_pop'), /404/);
  });
});
