import { FaultlineError } from '../core/errors.js';

/** Bad inventory text: `line` is 1-based for the INI form, absent when the problem is not on one line. */
export class InventoryError extends FaultlineError {
  readonly line: number | undefined;

  constructor(message: string, line?: number) {
    super('FLEET_INVENTORY', line === undefined ? message : `inventory line ${line}: ${message}`);
    this.name = 'InventoryError';
    this.line = line;
  }
}

/**
 * Why a host could not be reached or a command on it failed. The codes are stable; the message always
 * starts with the host's name, since with a fleet "connection refused" alone says nothing.
 */
export type SshErrorCode =
  | 'FLEET_SSH_UNREACHABLE' // TCP connect failed or timed out
  | 'FLEET_SSH_HOST_KEY_UNKNOWN' // no known_hosts entry for the host and hostKey is not 'accept-new'
  | 'FLEET_SSH_HOST_KEY_MISMATCH' // known_hosts has a different key: possible man in the middle
  | 'FLEET_SSH_AUTH' // the server refused our key
  | 'FLEET_SSH_COMMAND_TIMEOUT' // the command ran longer than its timeout (its channel was closed)
  | 'FLEET_SSH_COMMAND_FAILED' // the command exited non-zero or was killed by a signal
  | 'FLEET_SSH_DISCONNECTED' // the connection dropped while a command ran
  | 'FLEET_SSH_FORWARD_REFUSED' // the host could not open (or refused) a forwarded connection
  | 'FLEET_SSH_CLOSED'; // the pool was closed

export class SshError extends FaultlineError {
  override readonly code: SshErrorCode;
  readonly host: string;
  /** FLEET_SSH_COMMAND_FAILED: the remote exit status, or null when a signal ended the command. */
  readonly status: number | null | undefined;

  constructor(
    code: SshErrorCode,
    host: string,
    message: string,
    options?: { cause?: unknown; status?: number | null },
  ) {
    super(code, `${host}: ${message}`, { cause: options?.cause, exitCode: 1 });
    this.name = 'SshError';
    this.code = code;
    this.host = host;
    this.status = options?.status;
  }
}
