/**
 * Ports for owned targets (`ports: { http: 0 }`). A port is picked here and bound later by the target's own
 * process, so something else may take it in between. Any outgoing connection can: the kernel gives each one a
 * local port from its ephemeral range, the same range `listen(0)` draws from, and under load (generators,
 * monitors) thousands are handed out a second — the target then exits with EADDRINUSE before it is ready. So the
 * port is drawn below that range, where only an explicit bind can land, and checked free first.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;
const TRIES = 20;

/** The kernel's ephemeral port range [low, high], or undefined where it cannot be read (not Linux). */
export function ephemeralPortRange(): [number, number] | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high)
      ? [low, high]
      : undefined;
  } catch {
    return undefined;
  }
}

/** Listens on 127.0.0.1:`port` (0: any) and closes again: the port it got, or undefined when it was taken. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => resolve(got));
    });
  });
}

/**
 * A loopback port that was free a moment ago: below the ephemeral range when there is room there, else (or
 * after 20 taken ones) whatever `listen(0)` gives.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralPortRange()?.[0];
  if (low !== undefined && low - LOWEST >= 1000) {
    for (let i = 0; i < TRIES; i++) {
      const port = await probe(randomInt(LOWEST, low));
      if (port !== undefined) return port;
    }
  }
  const any = await probe(0);
  if (any === undefined) throw new Error('no free loopback port');
  return any;
}
