/**
 * Where a generator's CPU goes, per request: `perf record` on its process over a steady window, the samples
 * split by where they fall — the kernel (TCP over loopback, epoll, scheduling), Node's binary (V8's runtime,
 * builtins and GC; libuv and the C++ socket glue), libc, and JavaScript, the generator's own or Node's (its
 * stream and socket code). Node processes run with `--perf-basic-prof` so perf can name JIT-compiled functions.
 * Needs `perf` and permission to profile another process; without them the suite says so and goes on.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Argv, killProcess, measureWindow, startProcess } from './generators.js';
import type { HelloServer } from './http-target.js';

const HZ = 999;

/** µs per request by category, and the total. */
export interface CpuSplit {
  requests: number;
  usPerRequest: Map<string, number>;
  totalUs: number;
}

/** Why perf cannot be used here, or undefined when it can. */
export function perfUnavailable(): string | undefined {
  try {
    execFileSync('perf', ['record', '-q', '-o', '/dev/null', '--', 'true'], { stdio: 'ignore' });
    return undefined;
  } catch (e) {
    return `perf record failed here (${(e as Error).message.split('\n')[0]})`;
  }
}

function category(dso: string, symbol: string, ownCode: RegExp): string {
  if (dso === '[kernel.kallsyms]') return 'kernel';
  if (dso.startsWith('[JIT]') || dso.startsWith('perf-')) {
    return ownCode.test(symbol) ? 'JavaScript: the generator' : "JavaScript: Node's (streams, sockets)";
  }
  if (dso === 'node') return 'Node binary (V8 runtime, builtins, GC; libuv)';
  if (dso.startsWith('libc')) return 'libc (syscall wrappers)';
  return dso === 'wrk' ? 'wrk' : 'other';
}

/**
 * Profiles `argv` (whose JavaScript, if any, is told apart by `ownCode` on the function's file) over `windowMs`
 * after the warm-up, returning µs/request by category.
 */
export async function profileGenerator(
  server: HelloServer,
  argv: Argv,
  ownCode: RegExp,
  warmMs: number,
  windowMs: number,
): Promise<CpuSplit> {
  const node = argv[0] === process.execPath;
  const p = startProcess(node ? [argv[0] as string, '--perf-basic-prof', ...argv.slice(1)] : argv);
  const data = join(tmpdir(), `faultline-bench-${p.pid}.perf`);
  try {
    await measureWindow(server, [p], warmMs, 0);
    const n0 = await server.answered();
    execFileSync(
      'perf',
      [
        'record',
        '-q',
        '-F',
        String(HZ),
        '-o',
        data,
        '-p',
        String(p.pid),
        '--',
        'sleep',
        String(windowMs / 1000),
      ],
      { stdio: 'ignore' },
    );
    const requests = (await server.answered()) - n0;
    const report = execFileSync('perf', ['report', '-i', data, '--sort', 'dso,sym', '-n', '--stdio'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const usPerRequest = new Map<string, number>();
    let totalUs = 0;
    for (const line of report.split('\n')) {
      const m = /^\s+[\d.]+%\s+(\d+)\s+(\[JIT\] tid \d+|\S+)\s+\[.\]\s+(.*)$/.exec(line);
      if (m === null) continue;
      const us = ((Number(m[1]) / HZ) * 1e6) / requests;
      const cat = category(m[2] as string, m[3] as string, ownCode);
      usPerRequest.set(cat, (usPerRequest.get(cat) ?? 0) + us);
      totalUs += us;
    }
    return { requests, usPerRequest, totalUs };
  } finally {
    await killProcess(p);
    rmSync(data, { force: true });
    rmSync(`/tmp/perf-${p.pid}.map`, { force: true });
  }
}
