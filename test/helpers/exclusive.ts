/**
 * Marks a test file that runs a whole system under load: scripts/test.sh runs such files (found by their
 * top-level `heavyTestFile();` line) after the others, one at a time. The lock also keeps two of them apart when
 * several are run by hand at once: a directory created atomically, holding the owner's pid, taken over when its
 * owner has died.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { isSameProcess } from '../../src/disruptors/proc.js';

const LOCK = join(tmpdir(), 'faultline-tests-heavy.lock');
// the holder is another process: there is no event to wait on, so the lock is polled
const POLL_MS = 100;

function tryLock(): boolean {
  try {
    mkdirSync(LOCK);
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    } catch {
      return false; // being created or removed right now
    }
    if (Number.isInteger(owner) && owner > 0 && !isSameProcess(owner))
      rmSync(LOCK, { recursive: true, force: true });
    return false;
  }
}

/** Holds the lock for the whole test file: taken before its first test, released after its last. */
export function heavyTestFile(): void {
  before(async () => {
    while (!tryLock()) await new Promise((r) => setTimeout(r, POLL_MS));
  });
  after(() => {
    rmSync(LOCK, { recursive: true, force: true });
  });
}

/**
 * Marks a test file that builds its own namespace test bed (test/helpers/fleet-bed.ts): scripts/test.sh runs such
 * files after the light ones and before the exclusive ones, several at once. Each bed has its own names and
 * subnet and judges no latency, so beds need no lock; most of their time is waiting on SSH, elections and timers.
 */
export function bedTestFile(): void {}
