/**
 * Failpoints of processes on other hosts. A failpoint endpoint listens on its host's loopback only, so it is
 * reached the way `ssh -L` would: each HTTP connection of the client is a direct-tcpip channel on the host's
 * pooled SSH connection, opened by the host's sshd to the endpoint's address there. Nothing listens on this
 * machine, and the request's Host is the endpoint's own loopback address, which the endpoint accepts.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { InvalidOptionError } from '../core/errors.js';
import { undici } from '../deps/lazy.js';
import { endpointUrl, FailpointClient, type FailpointClientOptions } from '../failpoint/client.js';
import { SshError } from './errors.js';
import { FORWARD_CONNECT_FAILED, ForwardRefusedError } from './pool.js';

/** Opens a TCP connection from the host to `address:port` (SshPool.forward, FleetConnections.forward). */
export type Forwarder = (address: string, port: number) => Promise<Duplex>;

/**
 * A failpoint client for the endpoint at `options.target` as the host `hostName` sees it (`127.0.0.1:7070`:
 * the host's own loopback), through `forward`. Close it (`client.close()`) when done: it keeps its channel
 * open between requests. Nothing listening there on the host fails like a refused local connection does
 * (`FAULTLINE_FAILPOINTS_UNREACHABLE` whose cause has code ECONNREFUSED); an SSH failure keeps its SshError.
 * @throws InvalidOptionError naming `field` for an https:// endpoint (the forward carries plain HTTP).
 */
export function hostFailpointClient(
  hostName: string,
  forward: Forwarder,
  options: Omit<FailpointClientOptions, 'dispatcher' | 'where'>,
  field = 'endpoint',
): FailpointClient {
  const url = new URL(endpointUrl(options.target));
  if (url.protocol !== 'http:')
    throw new InvalidOptionError(
      field,
      `an endpoint on a host is reached over SSH as http://; got ${url.href}`,
    );
  const address = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || 80);
  const dispatcher = new (undici().Client)(url.origin, {
    connect: (_options, done) => {
      forward(address, port).then(
        (stream) => done(null, stream as Socket),
        (err: unknown) => done(refusedAsLocal(err, hostName, `${address}:${port}`), null),
      );
    },
  });
  return new FailpointClient({ ...options, dispatcher, where: `on host ${hostName}` });
}

/** The host could not connect (nothing listens there): ECONNREFUSED, as a local connection would say. */
function refusedAsLocal(err: unknown, hostName: string, where: string): Error {
  const cause = (err as { cause?: unknown }).cause;
  if (
    err instanceof SshError &&
    cause instanceof ForwardRefusedError &&
    cause.reason === FORWARD_CONNECT_FAILED
  )
    return Object.assign(new Error(`${hostName}: nothing listens on ${where}`), {
      code: 'ECONNREFUSED',
      cause: err,
    });
  return err as Error;
}
