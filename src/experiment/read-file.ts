/**
 * Reading a file an experiment names (`extends:`) without trusting what the path is. `readFileSync` on
 * `/dev/zero` grows memory until the process dies, and on a FIFO it waits for a writer forever; an experiment
 * file is neither, so only regular files are read, and only up to a size no real experiment file reaches.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** The largest experiment file read (1 MiB): real ones are a few KiB. */
export const MAX_EXPERIMENT_FILE_BYTES = 1024 * 1024;

/** Reads `path` as UTF-8 if it is a regular file of at most `maxBytes`; else throws an Error saying why. */
export function readRegularFile(path: string, maxBytes = MAX_EXPERIMENT_FILE_BYTES): string {
  // O_NONBLOCK: opening a FIFO for reading otherwise blocks until a writer appears, before fstat can refuse it.
  // It changes nothing for a regular file. O_NOCTTY: a terminal device named here must not become ours.
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  try {
    // fstat of the open descriptor, not stat of the path: the path cannot be swapped in between
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`not a regular file (${kindOf(st)})`);
    const limit = `the limit for an experiment file is ${formatBytes(maxBytes)}`;
    if (st.size > maxBytes) throw new Error(`too large: ${st.size} bytes; ${limit}`);
    // Read to the end, but never more than one byte past the limit: a file that grows while it is read is still
    // caught, and memory stays bounded.
    const buf = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw new Error(`too large: it grew past ${maxBytes} bytes; ${limit}`);
    }
    return buf.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function kindOf(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}
