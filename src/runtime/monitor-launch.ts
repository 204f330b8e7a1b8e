// Starts the container process of a unikernel container (the monitor, see cli/container-monitor.ts) in the
// namespaces the spec asks for, before its configuration is known (monitor-handoff.ts), then configures it and
// waits until its VM is prepared and it sits at the start gate.
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { MonitorConfig } from '../monitor/monitor-config';
import { Namespace } from '../oci/runtime-spec';
import { NetConfigFormat } from '../net/guest-network-args';
import { ConfigureMessage, FrameReader, HANDOFF_FD, MonitorMessage, encodeFrame, parseMonitorMessage } from './monitor-handoff';
import { RuntimeError } from './runtime-error';

/** What the container's monitor is configured with (monitor-handoff.ts). */
export interface ContainerMonitorConfig extends MonitorConfig {
  containerId: string;
  /** The manifest's NET_BASIC devices, wired to the container's interfaces at start. */
  netDevices: string[];
  netFormat: NetConfigFormat;
  /** The container's stdio is a pty slave, to become the monitor's controlling terminal. */
  terminal: boolean;
}
/** How long a monitor may take from its configuration to ready (and from its spawn to booted). */
const READY_TIMEOUT_MS = 120_000;
/** How long the exit of a monitor waits for the end of its channel, or the reverse. */
const GONE_GRACE_MS = 2_000;

// The bundled build (dist/cli/, what runs and what npm installs) puts this code in dist/cli/runtime-cli.bundle.js,
// next to the monitor's loader; tsc's tree has it in dist/src/runtime/, beside dist/src/cli/. One path serves both.
const CONTAINER_MONITOR = join(__dirname, '../cli/container-monitor.js');

/**
 * Fewer threads for the monitor: what it does off the main thread is one blocking open at a time (the start gate,
 * on libuv's pool) and a little garbage collection (V8's platform workers). Every thread it has takes part in each
 * set*id call of the privilege drop (glibc signals them all, one round per call) and in its exit. Measured on a warm
 * create through the shim: 0.4-0.7 ms less until the guest runs, the same USS (docs/benchmarks.md).
 */
const MONITOR_NODE_OPTIONS = ['--v8-pool-size=1'];
/** libuv's thread pool in the monitor (its environment's UV_THREADPOOL_SIZE). */
const MONITOR_POOL_THREADS = '1';

/** The search path the monitor (and the nsenter/unshare before it, and the ip/tc it runs) gets. */
export const MONITOR_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The monitor's whole environment, chosen here rather than inherited: nothing of the caller's reaches it — no
 * NODE_OPTIONS (`--inspect`, `--require` of any file), no other NODE_* (NODE_PATH, NODE_DEBUG, …), no
 * LD_PRELOAD, no PATH of the caller's choosing — but RUNCC_SECCOMP and RUNCC_NET_RING, and a thread pool of one.
 */
export function monitorEnvironment(callerEnv: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: MONITOR_PATH, UV_THREADPOOL_SIZE: MONITOR_POOL_THREADS };
  // runcc's own switch, documented in docs/security.md, is the one thing passed on.
  if (callerEnv.RUNCC_SECCOMP !== undefined) env.RUNCC_SECCOMP = callerEnv.RUNCC_SECCOMP;
  // The network ring's switch (docs/hvt-compatibility.md), for comparing both paths.
  if (callerEnv.RUNCC_NET_RING !== undefined) env.RUNCC_NET_RING = callerEnv.RUNCC_NET_RING;
  return env;
}

/** nsenter/unshare options for the namespaces runcc applies to the monitor: network, uts and ipc. */
const NAMESPACE_FLAGS: Partial<Record<Namespace['type'], string>> = { network: 'net', uts: 'uts', ipc: 'ipc' };

/**
 * The argv prefix that puts the monitor in its namespaces: `nsenter --net=PATH` joins one with a path, `unshare
 * --net` creates one without. Both exec the next program in place, so the monitor keeps the pid runcc reports.
 */
export function namespacePrefix(namespaces: readonly Namespace[] | undefined): string[] {
  const join: string[] = [];
  const create: string[] = [];
  for (const ns of namespaces ?? []) {
    const flag = NAMESPACE_FLAGS[ns.type];
    if (!flag) continue;
    if (ns.path) join.push(`--${flag}=${ns.path}`);
    else create.push(`--${flag}`);
  }
  return [...(join.length ? ['nsenter', ...join, '--'] : []), ...(create.length ? ['unshare', ...create, '--'] : [])];
}

/**
 * True when a monitor spawned in `spawnedIn` (a pre-started spare) is where a spec asking for `wanted` puts its
 * monitor: for each namespace runcc applies, both join the same path, both create a new one, or both keep the
 * caller's. A monitor cannot change its namespaces once node runs (that takes CAP_SYS_ADMIN, which no monitor holds).
 */
export function spareFits(spawnedIn: readonly Namespace[] | undefined, wanted: readonly Namespace[] | undefined): boolean {
  return Object.keys(NAMESPACE_FLAGS).every((type) => where(spawnedIn, type) === where(wanted, type));
}

function where(list: readonly Namespace[] | undefined, type: string): string {
  const ns = list?.find((n) => n.type === type);
  return ns === undefined ? 'the caller\'s' : ns.path ?? 'new';
}

/**
 * The network namespace a launcher must wire the guest's network in for a spare that does not fit otherwise: one
 * spawned with a network namespace of its own, for a spec that joins an existing one (a pod's), its other namespaces
 * as spareFits wants them. The monitor stays in its own, empty namespace and gets the TAPs' fds (the launcher makes
 * them there: container-network.ts, forAnotherNamespace). Undefined when it cannot serve the spec that way.
 */
export function spareWiredNetns(spawnedIn: readonly Namespace[] | undefined, wanted: readonly Namespace[] | undefined): string | undefined {
  const joined = wanted?.find((n) => n.type === 'network')?.path;
  if (!joined || where(spawnedIn, 'network') !== 'new') return undefined;
  return Object.keys(NAMESPACE_FLAGS).every((type) => type === 'network' || where(spawnedIn, type) === where(wanted, type)) ? joined : undefined;
}

/**
 * The first step of the spawn when the container has a cgroup: a shell joins it and execs the rest, so the monitor
 * is in the container's cgroup before node allocates anything. A failure ends the spawn with its own status, which
 * the launcher turns into the message.
 */
const JOIN_CGROUP_FAILED = 125;
const JOIN_CGROUP = `{ echo $$ > "$1/cgroup.procs"; } 2>/dev/null || exit ${JOIN_CGROUP_FAILED}; shift; exec "$@"`;

export function cgroupJoinPrefix(cgroupDir: string | undefined): string[] {
  return cgroupDir === undefined ? [] : ['/bin/sh', '-c', JOIN_CGROUP, 'runcc-join-cgroup', cgroupDir];
}

/**
 * What a confined monitor may still use between node's start and the moment it drops its privileges: create TAPs
 * and run ip/tc (net_admin), open files it is given (dac_override), enter its empty root (sys_chroot), change its
 * ids (setuid, setgid), and manage its capability sets (setpcap).
 */
const MONITOR_CAPABILITIES = '+net_admin,+dac_override,+sys_chroot,+setuid,+setgid,+setpcap';

/**
 * The last step of the spawn for a confined monitor. The capability bounding set is a per-thread attribute that a
 * thread can only lower for itself, and node starts its threads before any of our code runs: so the bounding set is
 * emptied here, before node exists, for all its threads at once. The monitor keeps the few capabilities above as
 * ambient ones (with SECBIT_NOROOT, root's exec grants nothing else); the first setpriv raises them and clears the
 * supplementary groups (dac_override stands in for them until the drop), the second, running with them, empties the
 * bounding set; the monitor gives up the rest when its guest starts.
 */
export function capabilityPrefix(confined: boolean): string[] {
  if (!confined) return [];
  return [
    'setpriv', '--clear-groups', '--securebits', '+noroot', '--inh-caps', `-all,${MONITOR_CAPABILITIES}`, '--ambient-caps', `-all,${MONITOR_CAPABILITIES}`, '--',
    'setpriv', '--bounding-set', '-all', '--',
  ];
}

export interface LaunchedMonitor {
  child: ChildProcess;
  pid: number;
}

/** How a monitor is spawned: everything here is known from the spec before the unikernel is looked at. */
export interface MonitorSpawn {
  /** Joined (or created) through nsenter/unshare before node starts. */
  namespaces?: readonly Namespace[];
  /** A pty slave for all three stdio fds; else `stdio`, else the caller's own. */
  terminalFd?: number;
  /** The spawned monitor's stdin, stdout and stderr: fds, 'inherit' or 'ignore' (/dev/null). */
  stdio?: readonly [StdioEntry, StdioEntry, StdioEntry];
  /** Joined by a shell before node starts, so node's own memory is charged to the container from the first page. */
  cgroupDir?: string;
  /** Spawned through setpriv: an empty bounding set, the few capabilities it needs until the drop. */
  confined: boolean;
  /** The guest memory the monitor reserves before it knows its guest (the configured size is then free to take). */
  reserveMiB: number;
  /** The channel's launcher end: a socket of a socketpair whose other end (`childEnd`) becomes the monitor's fd 3; default: node's own pipe. */
  channel?: { parentEnd: number; childEnd: number };
  /** The monitor's environment: default monitorEnvironment(). */
  env?: NodeJS.ProcessEnv;
  /** The container monitor's loader: default the one beside this code (dist/cli/container-monitor.js when bundled). */
  program?: string;
}

type StdioEntry = number | 'inherit' | 'ignore';

/** A configuration for a spawned monitor: where its state is, the config, and descriptors sent with it. */
export interface MonitorConfiguration {
  stateDir: string;
  config: ContainerMonitorConfig;
  /** Descriptors of the launcher's that become the monitor's stdin, stdout and stderr (sent, not closed here). */
  stdio?: readonly [number, number, number];
}

/**
 * A monitor process that runs and waits for its configuration (monitor-handoff.ts). Its pid is the container's
 * pid from the spawn on: the prefixes (sh, nsenter, unshare, setpriv) exec in place.
 */
export interface PendingMonitor {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once the monitor has done what needs no configuration: node, its code, /dev/kvm, VM, vCPU, memory. */
  readonly booted: Promise<void>;
  /**
   * Sends the configuration (a net backend `{ kind: 'fd' }` and `stdio` are the launcher's fds, which travel by
   * SCM_RIGHTS and need `channel`); resolves when the VM is prepared and the monitor sits at its start gate. A
   * failure kills the monitor and is a RuntimeError.
   */
  configure(configuration: MonitorConfiguration): Promise<LaunchedMonitor>;
  /** SIGKILL, for a failed create; node reaps it. */
  kill(): void;
}

const MONITOR_ARG_RESERVE = '--reserve-mib=';


/** The monitor's argv after node: its node options, the program and the guest memory to reserve. */
export function monitorArgs(reserveMiB: number, program = CONTAINER_MONITOR): string[] {
  return [...MONITOR_NODE_OPTIONS, program, `${MONITOR_ARG_RESERVE}${reserveMiB}`];
}

/** Reads `--reserve-mib=N` (the monitor's side of monitorArgs). */
export function reserveFromArgs(argv: readonly string[]): number | undefined {
  const arg = argv.find((a) => a.startsWith(MONITOR_ARG_RESERVE));
  if (arg === undefined) return undefined;
  const value = arg.slice(MONITOR_ARG_RESERVE.length);
  return /^[1-9][0-9]{0,6}$/.test(value) ? Number(value) : undefined;
}

/**
 * Spawns the monitor, in a new session, in `cgroupDir` (joined before node starts) and the spec's namespaces, on the
 * given stdio, before its configuration exists: the caller does its own work meanwhile, then calls `configure`.
 */
export function spawnMonitor(spawnOptions: MonitorSpawn): PendingMonitor {
  const { namespaces, terminalFd, cgroupDir, confined, reserveMiB, channel } = spawnOptions;
  const argv = [...cgroupJoinPrefix(cgroupDir), ...namespacePrefix(namespaces), ...capabilityPrefix(confined), process.execPath, ...monitorArgs(reserveMiB, spawnOptions.program)];
  const stdio: (StdioEntry | 'pipe')[] = terminalFd !== undefined ? [terminalFd, terminalFd, terminalFd] : [...(spawnOptions.stdio ?? ['inherit', 'inherit', 'inherit'])];
  stdio.push(channel ? channel.childEnd : 'pipe');
  const child = spawn(argv[0], argv.slice(1), { stdio, detached: true, env: spawnOptions.env ?? monitorEnvironment() });
  let socket: Socket;
  if (channel) {
    closeFdOf(channel.childEnd);
    socket = new Socket({ fd: channel.parentEnd, readable: true, writable: true });
  } else {
    socket = child.stdio[HANDOFF_FD] as Socket;
  }
  return new SpawnedMonitor(child, socket, channel?.parentEnd, cgroupDir);
}

function closeFdOf(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

type Waiter = { want: 'booted' | 'ready'; resolve: () => void; reject: (error: RuntimeError) => void };

class SpawnedMonitor implements PendingMonitor {
  readonly pid: number;
  readonly booted: Promise<void>;
  private readonly reader = new FrameReader();
  private state: 'booting' | 'booted' | 'configuring' | 'ready' | 'failed' = 'booting';
  private failure: RuntimeError | undefined;
  private waiters: Waiter[] = [];
  private exited = false;
  private ended = false;
  private exitCode: number | null = null;

  constructor(
    readonly child: ChildProcess,
    private readonly socket: Socket,
    private readonly rawFd: number | undefined,
    private readonly cgroupDir: string | undefined,
  ) {
    this.pid = child.pid ?? -1;
    this.booted = this.waitFor('booted');
    // Nothing may be unhandled: a failure of the boot is also what configure reports.
    this.booted.catch(() => undefined);
    child.on('error', (error) => this.fail(`cannot start the monitor: ${error.message}`));
    child.on('exit', (code) => {
      this.exited = true;
      this.exitCode = code;
      this.gone();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      this.gone();
    });
    if (child.pid === undefined) this.fail('cannot start the monitor');
  }

  /**
   * The monitor's exit and the end of its channel come in either order; its last message (an error) comes before
   * the end. Both are awaited, briefly, so the failure names the cause rather than the symptom.
   */
  private gone(): void {
    if (this.failure || this.state === 'ready') return;
    const failNow = (): void =>
      this.fail(this.exitCode === JOIN_CGROUP_FAILED && this.cgroupDir ? `cannot join cgroup ${this.cgroupDir}` : 'the monitor exited before it was ready');
    if (this.exited && this.ended) failNow();
    else setTimeout(failNow, GONE_GRACE_MS).unref();
  }

  private onData(chunk: Buffer): void {
    let values: unknown[];
    try {
      values = this.reader.push(chunk);
    } catch (error) {
      this.fail((error as Error).message);
      return;
    }
    for (const value of values) {
      let message: MonitorMessage;
      try {
        message = parseMonitorMessage(value);
      } catch (error) {
        this.fail((error as Error).message);
        return;
      }
      if (message.type === 'error') {
        this.fail(message.message);
        return;
      }
      if (message.type === 'booted' && this.state === 'booting') this.state = 'booted';
      else if (message.type === 'ready' && this.state === 'configuring') this.state = 'ready';
      else {
        this.fail(`handoff: the monitor said ${message.type} out of turn`);
        return;
      }
      this.settle();
    }
  }

  private settle(): void {
    const done = (want: Waiter['want']): boolean => (want === 'booted' ? this.state !== 'booting' : this.state === 'ready');
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.failure) waiter.reject(this.failure);
      else if (done(waiter.want)) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  private waitFor(want: Waiter['want']): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ want, resolve, reject });
      this.settle();
    });
  }

  private fail(message: string): void {
    if (this.failure || this.state === 'ready') return;
    this.state = 'failed';
    this.failure = new RuntimeError(message);
    this.kill();
    this.socket.destroy();
    this.settle();
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  async configure(configuration: MonitorConfiguration): Promise<LaunchedMonitor> {
    if (this.state === 'configuring' || this.state === 'ready') throw new RuntimeError('handoff: the monitor was configured already');
    const timer = setTimeout(() => this.fail('the monitor did not become ready in time'), READY_TIMEOUT_MS);
    try {
      await this.booted;
      // Died after it booted (its channel, and the fd number, may be gone already): nothing may be sent.
      if (this.failure) throw this.failure;
      const fds: number[] = [];
      const indexOf = (fd: number): number => {
        const known = fds.indexOf(fd);
        return known >= 0 ? known : fds.push(fd) - 1;
      };
      const stdio = configuration.stdio?.map(indexOf) as [number, number, number] | undefined;
      const nets = configuration.config.nets.map((n) => (n.backend?.kind === 'fd' ? { ...n, backend: { ...n.backend, fd: indexOf(n.backend.fd) } } : n));
      const message: ConfigureMessage = { type: 'configure', stateDir: configuration.stateDir, config: { ...configuration.config, nets }, ...(stdio ? { stdio } : {}) };
      const frame = encodeFrame(message);
      this.state = 'configuring';
      if (fds.length > 0) {
        if (this.rawFd === undefined) throw new RuntimeError('handoff: descriptors need a socketpair channel');
        const { sendWithFds } = require('../ffi/fd-passing') as typeof import('../ffi/fd-passing');
        sendWithFds(this.rawFd, frame, fds);
      } else {
        this.socket.write(frame);
      }
      await this.waitFor('ready');
      this.socket.destroy();
      return { child: this.child, pid: this.pid };
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error));
      throw this.failure ?? error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Spawns the monitor and configures it at once (the order of `runcc create` before spawn-first; kept for callers
 * with nothing to do meanwhile).
 */
export async function launchMonitor(
  stateDir: string,
  config: ContainerMonitorConfig,
  spawnOptions: Omit<MonitorSpawn, 'reserveMiB'>,
): Promise<LaunchedMonitor> {
  return spawnMonitor({ ...spawnOptions, reserveMiB: config.memMiB }).configure({ stateDir, config });
}
