/** `host:port` strings as Toxiproxy writes them (`127.0.0.1:8080`, `[::1]:8080`, `:8080`, `localhost:0`). */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

/** Splits `host:port`; returns a reason string instead when it is not one. */
export function parseHostPort(value: string): HostPort | string {
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return `address ${value}: missing ']' in address`;
    host = value.slice(1, close);
    const rest = value.slice(close + 1);
    if (!rest.startsWith(':')) return `address ${value}: missing port in address`;
    portText = rest.slice(1);
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) return `address ${value}: missing port in address`;
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(':')) return `address ${value}: too many colons in address`;
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return `address ${value}: invalid port`;
  return { host, port: Number(portText) };
}

/** `host:port`, bracketing IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The IP a listen host binds to: '' means every interface (`::`, as Go's `:port`), `localhost` the IPv4
 * loopback (as Go), an IP itself, and any other name its first IPv4 address (else its first address).
 */
export async function resolveListenHost(host: string): Promise<string> {
  if (host === '') return '::';
  if (host === 'localhost') return '127.0.0.1';
  if (isIP(host)) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    return (await lookup(host)).address;
  }
}
