/**
 * Marks a test file that runs a whole system under load: scripts/test.sh runs such files (found by their
 * top-level `heavyTestFile();` line) after the others, FAULTLINE_TEST_HEAVY_CONCURRENCY at a time (1 unless
 * set). The lock keeps at most that many of them running when several are run by hand at once: one directory
 * per slot, created atomically, holding the owner's pid, taken over when its owner has died.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { isSameProcess } from '../../src/disruptors/proc.js';

const LOCK = join(tmpdir(), 'faultline-tests-heavy.lock');
const SLOTS = Math.max(1, Number(process.env.FAULTLINE_TEST_HEAVY_CONCURRENCY) || 1);
const slotDir = (slot: number) => (slot === 0 ? LOCK : `${LOCK}.${slot}`);
// the holder is another process: there is no event to wait on, so the lock is polled
const POLL_MS = 100;

function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      return false; // being created or removed right now
    }
    if (Number.isInteger(owner) && owner > 0 && !isSameProcess(owner))
      rmSync(lock, { recursive: true, force: true });
    return false;
  }
}

/** Holds the lock for the whole test file: taken before its first test, released after its last. */
export function heavyTestFile(): void {
  let held: string | undefined;
  before(async () => {
    for (;;) {
      held = Array.from({ length: SLOTS }, (_, i) => slotDir(i)).find(tryLock);
      if (held !== undefined) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  });
  after(() => {
    if (held !== undefined) rmSync(held, { recursive: true, force: true });
  });
}

/**
 * Marks a test file that builds its own namespace test bed (test/helpers/fleet-bed.ts): scripts/test.sh runs such
 * files after the light ones and before the exclusive ones, several at once. Each bed has its own names and
 * subnet and judges no latency, so beds need no lock; most of their time is waiting on SSH, elections and timers.
 */
export function bedTestFile(): void {}
