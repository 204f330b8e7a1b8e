// The monitor's confinement on real KVM: no debugger door on SIGUSR1 (neither the container monitor nor
// runcc-hvt), the container monitor's environment chosen by runcc (nothing of the caller's NODE_OPTIONS), and the
// seccomp filter on every thread of a running guest. What is checked is the kernel's view: /proc/PID/status,
// /proc/PID/environ and the TCP tables of the monitor's network namespace.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { RUNCC_HVT, SLOWDOWN, startMonitor, unikernel } from './monitor-process';
import { RuntimeHarness, waitUntil } from './runtime-harness';

jest.setTimeout(30_000 * SLOWDOWN);

const harness = new RuntimeHarness();
afterAll(() => harness.cleanup());

/** Listening TCP sockets (local address:port, hex as the kernel writes them) in the network namespace of `pid`. */
function listeningInNamespace(pid: number): string[] {
  return ['tcp', 'tcp6'].flatMap((table) =>
    readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length > 3 && f[3] === '0A')
      .map((f) => f[1]));
}

/** Listening TCP sockets held by `pid` itself (for a process in the shared network namespace). */
function listeningOf(pid: number): string[] {
  const inodes = new Set(readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''];
    } catch {
      return [];
    }
  }));
  return ['tcp', 'tcp6'].flatMap((table) =>
    readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length > 9 && f[3] === '0A' && inodes.has(f[9]))
      .map((f) => f[1]));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `Name:\tvalue` lines of /proc/PID/task/TID/status for every thread of `pid`. */
function threadStatus(pid: number, field: string): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const line = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
    return line?.split(/\s+/)[1] ?? 'missing';
  });
}

describe('a running unikernel container', () => {
  let pid: number;

  beforeAll(async () => {
    // A caller whose NODE_OPTIONS (inherited) would point node's inspector at a port of its choosing.
    const env = { ...process.env, NODE_OPTIONS: '--inspect-port=127.0.0.1:9230', NODE_DEBUG: 'nothing' };
    const dir = harness.bundle('spin', []);
    expect(harness.runcc(['create', '--bundle', dir, 'confined'], env)).toMatchObject({ status: 0 });
    expect(harness.runcc(['start', 'confined'], env)).toMatchObject({ status: 0, stderr: '' });
    pid = harness.state('confined').pid;
    await waitUntil(() => threadStatus(pid, 'Seccomp').every((s) => s === '2'), 10_000 * SLOWDOWN);
  });

  afterAll(() => {
    harness.runcc(['delete', '--force', 'confined']);
  });

  test('its environment is runcc’s choice: no NODE_OPTIONS, no other NODE_*', () => {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((e) => e !== '');
    // RUNCC_SECCOMP, runcc's own switch, is the one variable passed on (when the suite runs with it set); the thread
    // pool of one is runcc's own setting for every monitor.
    const passed = process.env.RUNCC_SECCOMP === undefined ? [] : [`RUNCC_SECCOMP=${process.env.RUNCC_SECCOMP}`];
    expect(environ).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'UV_THREADPOOL_SIZE=1', ...passed]);
    // and its node options are runcc's only (not the caller's NODE_OPTIONS): node, then --v8-pool-size=1, then the program.
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(argv[1]).toBe('--v8-pool-size=1');
    expect(argv[2]).toMatch(/container-monitor\.js$/);
  });

  test('every thread runs under the seccomp filter, with no_new_privs', () => {
    const seccomp = threadStatus(pid, 'Seccomp');
    expect(seccomp.length).toBeGreaterThan(1);
    expect(seccomp).toEqual(seccomp.map(() => '2'));
    const noNewPrivs = threadStatus(pid, 'NoNewPrivs');
    expect(noNewPrivs).toEqual(noNewPrivs.map(() => '1'));
  });

  test('kill USR1 opens no inspector: nothing listens in its network namespace, and the guest runs on', async () => {
    expect(listeningInNamespace(pid)).toEqual([]);
    expect(harness.runcc(['kill', 'confined', 'USR1'])).toMatchObject({ status: 0, stderr: '' });
    await sleep(1000 * SLOWDOWN);
    expect(listeningInNamespace(pid)).toEqual([]);
    expect(harness.state('confined').status).toBe('running');
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).not.toMatch(/^State:\s+Z/m);
  });
});

test('runcc-hvt opens no inspector on SIGUSR1 and keeps running the guest', async () => {
  const monitor = startMonitor([unikernel('spin')]);
  try {
    await waitUntil(() => threadStatus(monitor.child.pid!, 'Seccomp').every((s) => s === '2'), 10_000 * SLOWDOWN);
    monitor.child.kill('SIGUSR1');
    await sleep(1000 * SLOWDOWN);
    expect(listeningOf(monitor.child.pid!)).toEqual([]);
    expect(monitor.child.exitCode).toBeNull();
  } finally {
    monitor.child.kill('SIGTERM');
  }
  const result = await monitor.result;
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('Exiting on signal 15');
});

test('on a terminal the guest’s status is the monitor’s: node restoring the terminal at exit is within the filter', () => {
  // script(1) gives the monitor a pty as stdio, as a terminal container has; node resets its modes at exit.
  const r = spawnSync('script', ['-qec', `${process.execPath} ${RUNCC_HVT} ${unikernel('exitcode')} 7; echo "status=$?"`, '/dev/null'], { encoding: 'utf8' });
  expect(r.stdout).toContain('status=7');
});

test('the switch: RUNCC_SECCOMP=off runs the guest without the filter, log with it, and a bad value is refused', async () => {
  for (const [mode, expected] of [['off', '0'], ['log', '2']] as const) {
    const monitor = startMonitor([unikernel('spin')], undefined, { RUNCC_SECCOMP: mode });
    try {
      await monitor.waitForStdout('spinning');
      await sleep(500 * SLOWDOWN);
      expect({ mode, seccomp: [...new Set(threadStatus(monitor.child.pid!, 'Seccomp'))] }).toEqual({ mode, seccomp: [expected] });
    } finally {
      monitor.child.kill('SIGTERM');
    }
    await monitor.result;
  }
  const bad = spawnSync(process.execPath, [RUNCC_HVT, unikernel('hello')], { encoding: 'utf8', env: { ...process.env, RUNCC_SECCOMP: 'bogus' } });
  expect({ status: bad.status, stderr: bad.stderr }).toEqual({ status: 1, stderr: 'runcc-hvt: RUNCC_SECCOMP=bogus: expected one of on, log, off\n' });
});
