/**
 * What the monitor conformance suite needs from each monitor type: real targets on 127.0.0.1 that answer late,
 * are down, or never answer, and options that are wrong. One harness per registered monitor, keyed by type name.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';

export type Options = Record<string, unknown>;

export interface MonitorHarness {
  /** Options for a target that answers up only after `delayMs`; `answeredAt()` is when it produced the answer. */
  delayed(delayMs: number): Promise<{ options: Options; answeredAt(): number | undefined }>;
  /** Options for a target that is down (a closed port, a dead process, an unreachable endpoint). */
  down(): Promise<Options>;
  /** Options for a target that never answers; `released()` resolves once the monitor has let go of it. */
  silent(): Promise<{ options: Options; released(): Promise<void> }>;
  /** Wrong options, each with the field its InvalidOptionError must name. */
  bad: { options: Options; field: string }[];
  close(): Promise<void>;
}

/** A loopback port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** Polls `cond` every 10 ms until it holds; rejects after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
