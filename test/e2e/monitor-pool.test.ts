// Pre-started monitors on real KVM: a pool spare becomes a container's monitor. What is checked is the kernel's view
// (/proc/PID/stat start times, /proc/PID/status, cgroup.procs) and what is left afterwards.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SLOWDOWN, unikernel } from './monitor-process';
import { waitUntil } from './runtime-harness';
import { TestNetwork, runPing } from './test-network';
import { VethNamespace } from './veth-namespace';

jest.setTimeout(60_000 * SLOWDOWN);

// The compiled tree: its spares run dist/src/cli/container-monitor.js, the same program as the bundled one.
const { MonitorPool } = require(join(ROOT, 'dist/src/runtime/monitor-pool.js')) as typeof import('../../src/runtime/monitor-pool');
const { makeStartGate, openStartGate } = require(join(ROOT, 'dist/src/runtime/start-gate.js')) as typeof import('../../src/runtime/start-gate');
const { socketPair, receiveWithFds, closeDescriptor } = require(join(ROOT, 'dist/src/ffi/fd-passing.js')) as typeof import('../../src/ffi/fd-passing');
const { openPty, closeFd } = require(join(ROOT, 'dist/src/ffi/console.js')) as typeof import('../../src/ffi/console');
const { prepareCgroup, removeCgroupWhenEmpty } = require(join(ROOT, 'dist/src/runtime/cgroup.js')) as typeof import('../../src/runtime/cgroup');
type Pool = import('../../src/runtime/monitor-pool').MonitorPool;
type Config = import('../../src/runtime/monitor-launch').ContainerMonitorConfig;

const runDir = mkdtempSync('/run/runcc-e2e-pool-');
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

let containers = 0;
function stateDir(): string {
  const dir = join(runDir, `c${++containers}`);
  require('node:fs').mkdirSync(dir);
  makeStartGate(dir);
  return dir;
}

function config(kernel: string, args: string[]): Config {
  return {
    kernelPath: unikernel(kernel),
    memMiB: 32,
    guestArgs: args,
    blocks: [],
    nets: [],
    containerId: `pool-${containers}`,
    netDevices: [],
    netFormat: 'none',
    terminal: false,
    confinement: { env: {} },
  };
}

/** Field 22 of /proc/PID/stat (start time, clock ticks since boot), or undefined when there is no such process. */
function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

function status(pid: number, field: string): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim() ?? 'missing';
}

function threadStatus(pid: number, field: string): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const line = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
    return line?.split(/\s+/)[1] ?? 'missing';
  });
}

/** This process's children whose command line runs the container monitor. */
function monitorChildren(): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('container-monitor');
    } catch {
      return false;
    }
  });
}

/** Monitors a test configured: killed after each test, so a failed assertion leaves none waiting at its gate. */
const configured: import('node:child_process').ChildProcess[] = [];
function track<T extends { child: import('node:child_process').ChildProcess }>(launched: T): T {
  configured.push(launched.child);
  return launched;
}
afterEach(async () => {
  for (const child of configured.splice(0)) {
    child.kill('SIGKILL');
    await exitOf(child);
  }
});

const exitOf = (child: import('node:child_process').ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((done) => child.once('exit', (code) => done(code)));

describe('a monitor pool', () => {
  let pool: Pool;
  // A failed test still leaves nothing for the next one to count.
  afterEach(() => pool?.close());

  test('a spare that existed before its configuration runs hello as the container monitor, and close() leaves no process', async () => {
    pool = new MonitorPool({ size: 1, memMiB: 32 });
    const spare = await pool.take();
    // The process, as the kernel knew it before any configuration was sent.
    const before = startTime(spare.pid);
    expect(before).toBeDefined();
    expect(spare.identity.startTime).toBe(before);
    expect(monitorChildren()).toContain(spare.pid);

    const dir = stateDir();
    const out = join(runDir, 'hello.out');
    writeFileSync(out, '');
    const cgroupsV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const cgroup = cgroupsV2 ? prepareCgroup(`/runcc-e2e-pool-${process.pid}`, false, 'pool', { memory: { limit: 64 * 1024 * 1024 } }) : undefined;
    try {
      const launched = track(await spare.configure({ stateDir: dir, config: config('hello', ['from', 'a', 'spare']), cgroupDir: cgroup?.dir, stdio: { stdout: out, stderr: out } }));
      expect(launched.pid).toBe(spare.pid);
      expect(startTime(launched.pid)).toBe(before);
      if (cgroup) expect(readFileSync(join(cgroup.dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(spare.pid));
      await openStartGate(dir, () => startTime(spare.pid) !== undefined);
      expect(await exitOf(launched.child)).toBe(0);
      expect(readFileSync(out, 'utf8')).toContain('Hello from a runcc unikernel!');
      expect(readFileSync(out, 'utf8')).toContain("Command line: 'from a spare'");
    } finally {
      if (cgroup) removeCgroupWhenEmpty(cgroup.dir);
    }

    // The pool refilled in the background; close() kills and reaps it.
    await waitUntil(() => pool.ready === 1, 30_000 * SLOWDOWN);
    const refill = monitorChildren();
    expect(refill).toHaveLength(1);
    await pool.close();
    expect(monitorChildren()).toEqual([]);
    expect(startTime(refill[0])).toBeUndefined();
    await expect(pool.take()).rejects.toThrow(/closed/);
  });

  test('a configured spare is confined as create’s monitor is: unprivileged, no capabilities, no_new_privs, seccomp on every thread', async () => {
    pool = new MonitorPool({ size: 1, memMiB: 32 });
    const spare = await pool.take();
    // Before its configuration: the bounding set is already empty (setpriv, before node started).
    expect(status(spare.pid, 'CapBnd')).toBe('0000000000000000');
    const dir = stateDir();
    const launched = track(await spare.configure({ stateDir: dir, config: config('spin', []) }));
    try {
      await openStartGate(dir, () => startTime(spare.pid) !== undefined);
      await waitUntil(() => threadStatus(launched.pid, 'Seccomp').every((s) => s === '2'), 10_000 * SLOWDOWN);
      expect(status(launched.pid, 'Uid').split(/\s+/)).toEqual(['65532', '65532', '65532', '65532']);
      expect(status(launched.pid, 'Gid').split(/\s+/)).toEqual(['65532', '65532', '65532', '65532']);
      for (const field of ['CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(threadStatus(launched.pid, field).every((v) => v === '0000000000000000')).toBe(true);
      expect(threadStatus(launched.pid, 'NoNewPrivs').every((v) => v === '1')).toBe(true);
      expect(readdirSync(`/proc/${launched.pid}/root`)).toEqual([]);
      // Its own network namespace, not this process's.
      expect(require('node:fs').readlinkSync(`/proc/${launched.pid}/ns/net`)).not.toBe(require('node:fs').readlinkSync('/proc/self/ns/net'));
    } finally {
      launched.child.kill('SIGKILL');
      await exitOf(launched.child);
    }
    await pool.close();
    expect(monitorChildren()).toEqual([]);
  });

  test('a bad configuration ends the spare with the reason, and nothing of it is left', async () => {
    pool = new MonitorPool({ size: 1, memMiB: 32 });
    const spare = await pool.take();
    const dir = stateDir();
    await expect(spare.configure({ stateDir: dir, config: { ...config('hello', []), kernelPath: join(runDir, 'no-such.hvt') } })).rejects.toThrow(/no-such\.hvt/);
    expect(startTime(spare.pid)).toBeUndefined();
    await pool.close();
    expect(monitorChildren()).toEqual([]);
  });

  test('a spare killed while it waits is replaced', async () => {
    pool = new MonitorPool({ size: 1, memMiB: 32 });
    await waitUntil(() => pool.ready === 1, 30_000 * SLOWDOWN);
    const [first] = monitorChildren();
    process.kill(first, 'SIGKILL');
    // Reaped (no /proc entry, not even a zombie's), and another booted in its place.
    await waitUntil(() => startTime(first) === undefined && pool.ready === 1 && monitorChildren().length === 1, 30_000 * SLOWDOWN);
    expect(monitorChildren()).not.toContain(first);
    await pool.close();
    expect(monitorChildren()).toEqual([]);
  });

  test('a TAP opened in another network namespace travels as an fd: the spare, in a namespace of its own, answers ping through it', async () => {
    const network = new TestNetwork([{ name: 'tappool', address: '10.0.0.1/24', mtu: 1400 }]);
    let tapFd: number | undefined;
    let monitor: import('node:child_process').ChildProcess | undefined;
    try {
      // The launcher's side: the TAP opened inside the namespace, its fd and MTU received here.
      const [here, there] = socketPair();
      const argv = network.exec([process.execPath, join(ROOT, 'test/e2e/fixtures/send-tap-fd.js'), 'tappool']);
      const opener = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', there] });
      expect(opener.status).toBe(0);
      const got = receiveWithFds(here, 64, 1);
      closeDescriptor(here);
      closeDescriptor(there);
      tapFd = got.fds[0];
      expect(Buffer.from(got.data).toString()).toBe('1400');

      pool = new MonitorPool({ size: 1, memMiB: 32 });
      const spare = await pool.take();
      const dir = stateDir();
      const out = join(runDir, 'net.out');
      writeFileSync(out, '');
      const net = { name: 'service0', backend: { kind: 'fd' as const, fd: tapFd, mtu: 1400 }, mac: new Uint8Array([2, 0, 10, 0, 0, 2]) };
      const launched = track(await spare.configure({ stateDir: dir, config: { ...config('net-responder', ['10']), nets: [net] }, stdio: { stdout: out, stderr: out } }));
      monitor = launched.child;
      // The spare holds its own copy now; the launcher's goes.
      closeDescriptor(tapFd);
      tapFd = undefined;
      expect(statSync(`/proc/${launched.pid}/ns/net`).ino).not.toBe(statSync(`/run/netns/${network.ns}`).ino);
      const exited = exitOf(launched.child);
      await openStartGate(dir, () => startTime(spare.pid) !== undefined);
      // Pinged once the guest says it is ready: the kernel gives up on an unanswered ARP after 3 s, and ping then
      // counts the errors towards its 10, which a slow emulator's boot can reach.
      await waitUntil(() => readFileSync(out, 'utf8').includes('ready\n'), 30_000 * SLOWDOWN);
      const ping = await network.ping(['-c', '10', '-i', '0.2', '-w', String(30 * SLOWDOWN), '10.0.0.2']);
      expect({ received: ping.received, guest: readFileSync(out, 'utf8'), ping: ping.output }).toEqual({ received: 10, guest: expect.any(String), ping: expect.any(String) });
      expect(await exited).toBe(0);
      expect(readFileSync(out, 'utf8')).toContain('service0: MAC 02:00:0a:00:00:02, MTU is 1400, address 10.0.0.2');
    } finally {
      // A failed assertion must not leave the configured monitor waiting at its gate.
      monitor?.kill('SIGKILL');
      if (monitor) await exitOf(monitor);
      if (tapFd !== undefined) closeDescriptor(tapFd);
      network.destroy();
    }
  });

  test('a pty slave sent as stdio becomes the spare’s controlling terminal, and the guest writes to it', async () => {
    const pty = openPty();
    try {
      pool = new MonitorPool({ size: 1, memMiB: 32 });
      const spare = await pool.take();
      const dir = stateDir();
      const launched = track(await spare.configure({ stateDir: dir, config: { ...config('hello', ['tty']), terminal: true }, stdio: { stdin: pty.slave, stdout: pty.slave, stderr: pty.slave } }));
      // tty_nr (field 7 of /proc/PID/stat) is the pty's device number: the spare's controlling terminal.
      const stat = readFileSync(`/proc/${launched.pid}/stat`, 'utf8');
      const ttyNr = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4]);
      const { rdev } = require('node:fs').statSync(pty.name);
      expect(ttyNr).toBe(rdev);
      let output = '';
      const master = new (require('node:tty').ReadStream)(pty.master);
      master.on('data', (chunk: Buffer) => (output += chunk.toString()));
      master.on('error', () => undefined);
      const exited = exitOf(launched.child);
      await openStartGate(dir, () => startTime(spare.pid) !== undefined);
      expect(await exited).toBe(0);
      await waitUntil(() => output.includes("Command line: 'tty'"), 5_000 * SLOWDOWN);
      expect(output).toContain('Hello from a runcc unikernel!');
      master.destroy();
    } finally {
      try {
        closeFd(pty.slave);
      } catch {
        // closed
      }
    }
  });
});

describe('createContainer with a spare (the shim’s create)', () => {
  const { createContainer } = require(join(ROOT, 'dist/src/runtime/operations/create.js')) as typeof import('../../src/runtime/operations/create');
  const { StateStore } = require(join(ROOT, 'dist/src/runtime/state-store.js')) as typeof import('../../src/runtime/state-store');
  const { loadBundle } = require(join(ROOT, 'dist/src/runtime/bundle.js')) as typeof import('../../src/runtime/bundle');
  const { resolveUnikernel } = require(join(ROOT, 'dist/src/runtime/unikernel.js')) as typeof import('../../src/runtime/unikernel');
  const { RuntimeHarness } = require('./runtime-harness') as typeof import('./runtime-harness');
  const harness = new RuntimeHarness();
  let pool: Pool | undefined;
  afterEach(() => pool?.close());
  afterAll(() => harness.cleanup());

  test('the spare becomes the container: runcc state, start and delete treat it as one runcc create made', async () => {
    const bundle = loadBundle(harness.bundle('hello', ['pooled']));
    // A spare spawned where this spec puts its monitor (spareFits: namespaces match exactly).
    pool = new MonitorPool({ size: 1, memMiB: 32, namespaces: bundle.spec.linux?.namespaces });
    const spare = await pool.take();
    const out = join(runDir, 'created.out');
    writeFileSync(out, '');
    const launched = track(await createContainer(new StateStore(harness.root), {
      id: 'pooled', bundle, unikernel: resolveUnikernel(bundle)!, detach: true, systemdCgroup: false, spare, stdio: { stdout: out, stderr: out },
    }));
    expect(launched.pid).toBe(spare.pid);
    expect(startTime(launched.pid)).toBe(spare.identity.startTime);
    expect(harness.state('pooled')).toMatchObject({ status: 'created', pid: spare.pid });
    const exited = exitOf(launched.child);
    expect(harness.runcc(['start', 'pooled'])).toMatchObject({ status: 0, stderr: '' });
    expect(await exited).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain("Command line: 'pooled'");
    expect(harness.state('pooled').status).toBe('stopped');
    expect(harness.runcc(['delete', 'pooled'])).toMatchObject({ status: 0, stderr: '' });
    expect(existsSync(join(harness.root, 'pooled'))).toBe(false);
  });

  test('a spec that joins an existing network namespace with new uts and ipc takes a spare with its own: create wires the guest there and sends it the TAP, the host pings the guest, delete closes eth0 and leaves no TAP', async () => {
    const veth = new VethNamespace();
    let monitor: import('node:child_process').ChildProcess | undefined;
    try {
      pool = new MonitorPool({ size: 1, memMiB: 32 });
      const spare = await pool.take();
      const bundle = loadBundle(harness.bundle('net-responder', ['20'], (config) => {
        config.linux.namespaces = [{ type: 'network', path: veth.path }, { type: 'uts' }, { type: 'ipc' }];
      }));
      const out = join(runDir, 'wired.out');
      writeFileSync(out, '');
      const ownNetns = readlinkSync('/proc/thread-self/ns/net');
      const launched = track(await createContainer(new StateStore(harness.root), {
        id: 'wired', bundle, unikernel: resolveUnikernel(bundle)!, detach: true, systemdCgroup: false, spare, stdio: { stdout: out, stderr: out },
      }));
      monitor = launched.child;
      expect({ pid: launched.pid, start: startTime(launched.pid) }).toEqual({ pid: spare.pid, start: spare.identity.startTime });
      // Wired at create, in the bundle's namespace; the monitor stays in its own, and this process came back to its.
      expect(veth.leftovers()).toEqual({ links: [expect.stringMatching(/^rcc[0-9a-f]{8}n0$/)], ingress: 'redirect' });
      expect(statSync(`/proc/${launched.pid}/ns/net`).ino).not.toBe(statSync(veth.path).ino);
      expect(readlinkSync('/proc/thread-self/ns/net')).toBe(ownNetns);
      const exited = exitOf(launched.child);
      expect(harness.runcc(['start', 'wired'])).toMatchObject({ status: 0, stderr: '' });
      await waitUntil(() => readFileSync(out, 'utf8').includes('ready\n'), 30_000 * SLOWDOWN);
      const ping = await runPing(['ping', '-c', '20', '-i', '0.05', '-w', String(30 * SLOWDOWN), '10.88.0.2']);
      expect({ received: ping.received, guest: readFileSync(out, 'utf8') }).toEqual({ received: 20, guest: expect.any(String) });
      expect(await exited).toBe(0);
      // The guest took eth0's MAC, and the address create put on its command line.
      expect(readFileSync(out, 'utf8')).toContain(`service0: MAC ${veth.macOfEth0()}, MTU is 1500, address 10.88.0.2\n`);
      expect(harness.runcc(['delete', 'wired'])).toMatchObject({ status: 0, stderr: '' });
      expect(veth.leftovers()).toEqual({ links: [], ingress: 'closed' });
      expect(existsSync(join(harness.root, 'wired'))).toBe(false);
    } finally {
      monitor?.kill('SIGKILL');
      if (monitor) await exitOf(monitor);
      veth.destroy();
    }
  });

  test('a create that fails after wiring the guest in the joined namespace gives eth0 back as it was: no TAP, no tc rule, no state', async () => {
    const veth = new VethNamespace();
    try {
      pool = new MonitorPool({ size: 1, memMiB: 32 });
      const spare = await pool.take();
      const bundlePath = harness.bundle('net-responder', [], (config) => {
        config.linux.namespaces = [{ type: 'network', path: veth.path }, { type: 'uts' }, { type: 'ipc' }];
      });
      const bundle = loadBundle(bundlePath);
      const unikernel = resolveUnikernel(bundle)!;
      // The kernel turns bad after it was looked at: the spare's own check refuses it, after the wiring.
      writeFileSync(join(bundlePath, 'rootfs/unikernel.hvt'), 'not an ELF file');
      await expect(createContainer(new StateStore(harness.root), {
        id: 'wired-bad', bundle, unikernel, detach: true, systemdCgroup: false, spare,
      })).rejects.toThrow();
      expect(startTime(spare.pid)).toBeUndefined();
      expect(veth.leftovers()).toEqual({ links: [], ingress: 'none' });
      expect(existsSync(join(harness.root, 'wired-bad'))).toBe(false);
    } finally {
      veth.destroy();
    }
  });

  test('a spec whose uts and ipc are not the spare\'s does not take it: it is reaped, and a monitor is spawned as create does', async () => {
    pool = new MonitorPool({ size: 1, memMiB: 32 });
    const spare = await pool.take();
    const bundle = loadBundle(harness.bundle('hello', [], (config) => {
      config.linux.namespaces = [{ type: 'network', path: '/proc/self/ns/net' }];
    }));
    const launched = track(await createContainer(new StateStore(harness.root), {
      id: 'joined', bundle, unikernel: resolveUnikernel(bundle)!, detach: true, systemdCgroup: false, spare,
    }));
    expect(launched.pid).not.toBe(spare.pid);
    expect(startTime(spare.pid)).toBeUndefined();
    expect(harness.runcc(['delete', '--force', 'joined'])).toMatchObject({ status: 0 });
  });

  test('a refused create reaps the spare it was given and leaves nothing', async () => {
    pool = new MonitorPool({ size: 1, memMiB: 32 });
    const spare = await pool.take();
    const bundle = loadBundle(harness.bundle('hello', [], (config) => {
      config.linux.namespaces.push({ type: 'user' });
    }));
    await expect(createContainer(new StateStore(harness.root), {
      id: 'refused', bundle, unikernel: resolveUnikernel(bundle)!, detach: true, systemdCgroup: false, spare,
    })).rejects.toThrow(/user namespace is not supported/);
    expect(startTime(spare.pid)).toBeUndefined();
    expect(existsSync(join(harness.root, 'refused'))).toBe(false);
  });
});
