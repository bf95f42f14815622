/**
 * `tcp` monitor harness. A target that never answers a connect needs a listener whose accept queue is full: the
 * kernel then drops new SYNs. Node's servers always accept, so a tiny python3 listener (backlog 0, its one queue
 * slot taken by its own connection) holds the port; on "accept" it frees the slot, and the monitor's next SYN
 * retransmission (about 1 s later) connects — an answer that comes late.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closedPort, type MonitorHarness } from './monitor.js';

const LISTENER = `
import socket, sys
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
filler = socket.create_connection(s.getsockname())
print(s.getsockname()[1], flush=True)
held = []
for line in sys.stdin:
    held.append(s.accept())
`;

async function fullListener(): Promise<{ port: number; accept(): void; child: ChildProcess }> {
  const child = spawn('python3', ['-c', LISTENER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { port: Number(line.toString().trim()), accept: () => child.stdin?.write('accept\n'), child };
}

export async function tcpHarness(): Promise<MonitorHarness> {
  const children: ChildProcess[] = [];
  return {
    async delayed(delayMs) {
      const l = await fullListener();
      children.push(l.child);
      let answeredAt: number | undefined;
      setTimeout(() => {
        answeredAt = Date.now();
        l.accept();
      }, delayMs);
      return { options: { port: l.port }, answeredAt: () => answeredAt };
    },
    async down() {
      return { port: await closedPort() };
    },
    async silent() {
      const l = await fullListener();
      children.push(l.child);
      // nothing to observe on the listener's side: the suite checks the sample itself settled after the abort
      return { options: { port: l.port }, released: async () => {} };
    },
    bad: [
      { options: { port: 0 }, field: 'port' },
      { options: { port: '{{ports.http}}' }, field: 'port' },
      { options: { port: 80, host: '' }, field: 'host' },
    ],
    async close() {
      for (const c of children) c.kill('SIGKILL');
    },
  };
}
