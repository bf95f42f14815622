/**
 * `GET /metrics` in the Prometheus text format. Byte counters use Toxiproxy's metric names and labels
 * (`toxiproxy_proxy_received_bytes_total` / `toxiproxy_proxy_sent_bytes_total`), so existing dashboards keep
 * working; connection and toxic counters are faultline's own.
 */
import type { TcpProxy } from './proxy.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',')}}`;
}

/** Renders every proxy's counters. */
export function renderMetrics(proxies: Iterable<TcpProxy>): string {
  const list = [...proxies];
  const out: string[] = [];
  const family = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    rows: [Record<string, string>, number][],
  ) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of rows) out.push(`${name}${labels(l)} ${v}`);
  };
  const linkLabels = (p: TcpProxy, direction: string) => ({
    direction,
    listener: p.listen,
    proxy: p.name,
    upstream: p.upstream,
  });
  const dirs = ['upstream', 'downstream'] as const;
  family(
    'toxiproxy_proxy_received_bytes_total',
    'counter',
    'The total number of bytes received on a proxy link, by direction.',
    list.flatMap((p) =>
      dirs.map((d): [Record<string, string>, number] => [linkLabels(p, d), p.counters[d].received]),
    ),
  );
  family(
    'toxiproxy_proxy_sent_bytes_total',
    'counter',
    'The total number of bytes sent on a proxy link, by direction.',
    list.flatMap((p) =>
      dirs.map((d): [Record<string, string>, number] => [linkLabels(p, d), p.counters[d].sent]),
    ),
  );
  const stats = list.map((p) => [p, p.stats()] as const);
  family(
    'faultline_proxy_connections_total',
    'counter',
    'Client connections accepted by a proxy.',
    stats.map(([p, s]) => [{ proxy: p.name }, s.connectionsTotal]),
  );
  family(
    'faultline_proxy_connections_active',
    'gauge',
    'Client connections open through a proxy.',
    stats.map(([p, s]) => [{ proxy: p.name }, s.connectionsActive]),
  );
  family(
    'faultline_proxy_toxics_applied_total',
    'counter',
    'Connections a toxic acted on (its toxicity draw said yes).',
    stats.flatMap(([p, s]) =>
      [...s.toxicsApplied].map(([toxic, t]): [Record<string, string>, number] => [
        { proxy: p.name, toxic, type: t.type, stream: t.stream },
        t.count,
      ]),
    ),
  );
  family(
    'faultline_proxy_toxics',
    'gauge',
    'Toxics configured on a proxy.',
    list.map((p) => [{ proxy: p.name }, p.toxics.length]),
  );
  return `${out.join('\n')}\n`;
}
