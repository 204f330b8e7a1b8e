// SIGUSR1 must not open node's inspector in a process that runs guests. The guard module is run in a real node
// process beside a control without it; the kernel's socket table says whether anything listens.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { transpileModule } from 'typescript';

const CLI = resolve(__dirname, '../../../src/cli');

/** Ports on which sockets held by `pid` listen (its /proc fds matched against its netns's TCP tables). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `code` in node (inspector on a free port when opened), sends SIGUSR1, and reports what then listens. */
async function afterSigusr1(code: string): Promise<{ ports: number[]; alive: boolean }> {
  const child = spawn(process.execPath, ['--inspect-port=127.0.0.1:0', '-e', `${code}\nprocess.stdout.write('up\\n'); setTimeout(() => {}, 10000);`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  try {
    await new Promise<void>((ok) => child.stdout!.once('data', () => ok()));
    child.kill('SIGUSR1');
    // The inspector opens within milliseconds of the signal; give it ample time.
    let ports: number[] = [];
    for (let i = 0; i < 20 && ports.length === 0; i++) {
      await sleep(50);
      ports = listeningPorts(child.pid!);
    }
    return { ports, alive: child.exitCode === null && child.signalCode === null };
  } finally {
    child.kill('SIGKILL');
  }
}

test('control: plain node opens its inspector on SIGUSR1 (so the check below can fail)', async () => {
  const { ports } = await afterSigusr1('');
  expect(ports).toHaveLength(1);
});

test('with the guard, SIGUSR1 opens nothing and does not end the process', async () => {
  const guard = transpileModule(readFileSync(join(CLI, 'no-debugger-door.ts'), 'utf8'), { compilerOptions: { module: 1 } }).outputText;
  expect(await afterSigusr1(guard)).toEqual({ ports: [], alive: true });
});

test.each(['container-monitor.ts', 'runcc-hvt.ts'])('%s imports the guard before anything else', (file) => {
  const imports = [...readFileSync(join(CLI, file), 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  expect(imports[0]).toBe('./no-debugger-door');
});

test('runcc hvt loads the guard before the hvt front end', () => {
  const main = readFileSync(join(CLI, 'main.ts'), 'utf8');
  const branch = main.slice(main.indexOf('if (argv[0] === HVT_COMMAND)'));
  expect(branch.indexOf("require('./no-debugger-door')")).toBeGreaterThan(0);
  expect(branch.indexOf("require('./no-debugger-door')")).toBeLessThan(branch.indexOf("require('./hvt-command')"));
});
