import assert from 'node:assert/strict';
import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { injectedFault, traceOf, wrap } from '../../src/index.js';

type Fs = typeof realFs;

/** Writes chunk by chunk into the destination: a failure half-way leaves a torn file. */
async function naiveSave(fs: Fs, path: string, chunks: string[]): Promise<void> {
  await fs.writeFile(path, '');
  for (const chunk of chunks) await fs.appendFile(path, chunk);
}

/** Writes a temporary file, syncs, renames over the destination; on failure removes the temporary file. */
async function atomicSave(fs: Fs, path: string, chunks: string[]): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      for (const chunk of chunks) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, path);
  } catch (err) {
    await realFs.rm(tmp, { force: true });
    throw err;
  }
}

const OLD = 'old-content\n';
const CHUNKS = Array.from({ length: 8 }, (_, i) => `line ${i} ${'x'.repeat(64)}\n`);
const NEW = CHUNKS.join('');

function chaosFs(seed: number): Fs {
  return wrap(realFs, {
    name: 'fs',
    seed,
    deep: true,
    faults: [
      { id: 'disk', methods: ['appendFile', 'write'], rate: 0.15, error: ['ENOSPC', 'EIO'] },
      { id: 'rename', methods: 'rename', rate: 0.2, error: 'EIO' },
    ],
  });
}

describe('chaos driver over the real node:fs/promises', () => {
  let dir: string;
  before(async () => {
    dir = await realFs.mkdtemp(join(tmpdir(), 'faultline-fs-'));
  });
  after(async () => {
    await realFs.rm(dir, { recursive: true, force: true });
  });

  async function trial(save: typeof naiveSave, seed: number) {
    const path = join(dir, `${save.name}-${seed}.txt`);
    await realFs.writeFile(path, OLD);
    const fs = chaosFs(seed);
    let error: unknown;
    try {
      await save(fs, path, CHUNKS);
    } catch (err) {
      error = err;
    }
    const content = await realFs.readFile(path, 'utf8');
    const leftovers = (await realFs.readdir(dir)).filter((f) => f.startsWith(`${save.name}-${seed}.txt.`));
    return { content, error, leftovers, trace: traceOf(fs) };
  }

  test('ENOSPC/EIO mid-write: the naive writer leaves torn files, the atomic writer never does', async () => {
    let torn = 0;
    let naiveFailures = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = await trial(naiveSave, seed);
      if (r.error) naiveFailures += 1;
      if (r.content !== OLD && r.content !== NEW) torn += 1;
    }
    assert.ok(naiveFailures > 10, `faults were injected (${naiveFailures} failed saves)`);
    assert.ok(torn > 0, 'the chaos driver exposes the naive writer: a partial file was left behind');

    let atomicFailures = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = await trial(atomicSave, seed);
      assert.ok(
        r.content === OLD || r.content === NEW,
        `seed ${seed}: torn file ${JSON.stringify(r.content.slice(0, 40))}`,
      );
      assert.deepEqual(r.leftovers, [], `seed ${seed}: temporary file left behind`);
      if (r.error) {
        atomicFailures += 1;
        assert.equal(r.content, OLD, 'a failed save keeps the old content');
        const mark = injectedFault(r.error);
        assert.ok(mark, 'the error that surfaced was injected');
        const entry = r.trace.entries.find((e) => e.site === mark.site && e.index === mark.index);
        assert.ok(entry, 'and the trace names it');
      } else {
        assert.equal(r.content, NEW);
      }
    }
    assert.ok(atomicFailures > 10, `faults were injected into the atomic writer (${atomicFailures})`);
  });

  test('injected fs errors look like real ones', async () => {
    const fs = wrap(realFs, { name: 'fs', seed: 1, faults: [{ methods: 'writeFile', error: 'ENOSPC' }] });
    const injected = await fs.writeFile(join(dir, 'x'), 'y').catch((e: NodeJS.ErrnoException) => e);
    const real = await realFs.readFile(join(dir, 'missing')).catch((e: NodeJS.ErrnoException) => e);
    assert.ok(injected instanceof Error && real instanceof Error);
    assert.equal(injected.code, 'ENOSPC');
    assert.equal(injected.errno, -28);
    assert.equal(injected.syscall, 'write');
    assert.equal(injected.message, 'ENOSPC: no space left on device, write');
    assert.deepEqual(
      Object.keys(injected).sort(),
      Object.keys(real)
        .filter((k) => k !== 'path')
        .sort(),
    );
    assert.equal(traceOf(fs).entries[0]!.site, 'fs.writeFile');
  });

  test('the same seed fails the same calls', async () => {
    const a = await trial(atomicSave, 1001);
    const b = await trial(atomicSave, 1001);
    assert.deepEqual(a.trace.toJSON(), b.trace.toJSON());
  });
});
