/**
 * `failpoint`: sets a term through a process's failpoint endpoint and, on revert, puts back the term that was
 * set before (or unsets it when none was). The term before is read (GET) and journaled before the new one is
 * PUT, so `recover` after a crash restores it too. The bearer token is never journaled: both inject and revert
 * (in `recover` too) read FAULTLINE_FAILPOINTS_TOKEN. A revert that finds the failpoint unknown (404) or
 * nothing listening (the process, and its failpoints, are gone) is done.
 *
 * Revert records: `previous` is the term before (a string) or `null` (none); `unread: true` marks the record
 * journaled before the term was read, when nothing has been set yet, so its revert does nothing. A record with
 * neither (written by an older version) unsets the failpoint.
 *
 * On a target on hosts, `endpoint` is the address on the instance's host (its loopback, say `127.0.0.1:7070`):
 * every request goes through an SSH forward on the host's pooled connection (fleet/failpoint-client.ts), and
 * the record carries the host so `recover` reconnects to put the term back.
 */
import { z } from 'zod';
import { FaultlineError } from '../../core/errors.js';
import { expand } from '../../disruptors/template.js';
import { defineDisruptorPlugin, type Json, type RevertRecord } from '../../disruptors/types.js';
import {
  createFailpointClient,
  type FailpointClient,
  FailpointEndpointError,
} from '../../failpoint/client.js';
import { type FleetConnections, withConnections } from '../../fleet/connections.js';
import { hostFailpointClient } from '../../fleet/failpoint-client.js';
import { isHostRef } from '../../fleet/host-ref.js';

export const failpoint = defineDisruptorPlugin({
  name: 'failpoint',
  description: "Set a failpoint term through the process's failpoint endpoint; clear it when the fault ends.",
  options: z.strictObject({
    endpoint: z
      .string()
      .min(1)
      .describe(
        'The failpoint endpoint base URL; {{ports.NAME}} is replaced per instance. On a target on hosts, the address on the host (e.g. 127.0.0.1:7070), reached through SSH.',
      ),
    name: z.string().min(1).describe('The failpoint name.'),
    term: z.string().min(1).describe("The term to set, e.g. 'return(\"boom\")' or '50%sleep(200)'."),
  }),
  revertFor(instance, options) {
    return {
      type: 'failpoint',
      endpoint: expand(options.endpoint, instance, 'endpoint'),
      name: options.name,
      ...(instance.host === undefined ? {} : { host: instance.host }),
      unread: true,
    };
  },
  inject(instance, options, ctx) {
    const { unread: _, ...base } = this.revertFor(instance, options, ctx);
    return withClient(base, ctx.fleet?.connections, (client) =>
      setTerm(client, base, options, ctx.updateRevert),
    );
  },
  async revert(record, ctx) {
    if (record.unread === true) return;
    await withClient(record, ctx?.connections, (client) => putBack(client, record));
  },
});

/** A client for the record's endpoint: this machine's, or through SSH on the record's host. */
async function withClient<T>(
  record: RevertRecord,
  connections: FleetConnections | undefined,
  work: (client: FailpointClient) => Promise<T>,
): Promise<T> {
  const target = record.endpoint as string;
  const host = record.host;
  if (!isHostRef(host)) return work(createFailpointClient({ target }));
  return withConnections(connections, async (c) => {
    const client = hostFailpointClient(host.name, (address, port) => c.forward(host, address, port), {
      target,
    });
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  });
}

async function setTerm(
  client: FailpointClient,
  base: RevertRecord,
  options: { name: string; term: string },
  updateRevert: ((revert: RevertRecord) => void) | undefined,
) {
  let previous: string | null = null;
  try {
    previous = (await client.get(options.name)).term ?? null;
  } catch (err) {
    // not reached, declared or set in that process yet: there is no term to put back
    if (!(err instanceof FailpointEndpointError && err.status === 404)) throw err;
  }
  const revert: RevertRecord = { ...base, type: 'failpoint', previous };
  updateRevert?.(revert);
  // the code holding the failpoint may not have run yet when the fault starts
  const r = await client.set(options.name, options.term, { allowUnknown: true });
  const detail: Record<string, Json> = {};
  if (r.warning !== undefined) detail.warning = r.warning;
  if (previous !== null) detail.previous = previous;
  return { revert, detail };
}

/** Puts back the term the record says was set before, or unsets the failpoint. */
async function putBack(client: FailpointClient, record: RevertRecord): Promise<void> {
  const name = record.name as string;
  const undo = async () => {
    if (typeof record.previous === 'string') await client.set(name, record.previous, { allowUnknown: true });
    else await client.unset(name);
  };
  try {
    await undo().catch((err) => {
      // a kept-alive connection the endpoint closed as its process exited fails the first request sent on
      // it: a fresh connection gets the real answer (refused, or the endpoint's own)
      if (unreachableCause(err) === 'UND_ERR_SOCKET') return undo();
      throw err;
    });
  } catch (err) {
    if (err instanceof FailpointEndpointError && err.status === 404) return;
    if (unreachableCause(err) === 'ECONNREFUSED') return;
    throw err;
  }
}

/** The network error code under a "cannot reach the failpoint endpoint" error, else undefined. */
function unreachableCause(err: unknown): string | undefined {
  if (!(err instanceof FaultlineError) || err.code !== 'FAULTLINE_FAILPOINTS_UNREACHABLE') return undefined;
  return (err.cause as { code?: string } | undefined)?.code;
}
