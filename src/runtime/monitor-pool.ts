// A pool of pre-started container monitors for a long-lived launcher (the containerd shim): each spare is a child
// of this process that has booted node, loaded its code, opened /dev/kvm, created its VM and vCPU and reserved
// guest memory (monitor-handoff.ts), and waits on its fd 3 for a configuration. take() hands one out and refills in
// the background; configure() makes it a container's monitor — its pid is the container's pid — which then runs
// and confines itself exactly as the one `runcc create` spawns: spawned through the same setpriv prefix (an empty
// bounding set), it drops to its unprivileged uid and installs the seccomp filter just before the guest starts.
//
// What a spare cannot do late, and who does it instead (docs/architecture.md, "Pre-started monitors"):
// - its cgroup: the pool (root) writes the spare's pid to the container's cgroup.procs before configuring it. The
//   pages node touched while booting stay charged to the pool's own cgroup; guest memory is reserved but untouched,
//   so every guest page is charged to the container.
// - its namespaces: a spare is spawned in the pool's namespaces (nsenter/unshare, before node starts): by default
//   network, uts and ipc namespaces of its own, which serve a container whose spec asks for new ones; a pod's pool
//   (the shim's, one per pod sandbox) spawns its spares in the pod's network namespace. A spare cannot change them
//   later (that takes CAP_SYS_ADMIN, which no monitor holds), so a spec is served only by a spare spawned where it
//   asks to be (spareFits). A launcher may also open TAPs elsewhere and send their fds (config.nets with
//   `{ kind: 'fd' }` backends, netDevices empty), and the monitor then never needs that namespace.
// - its stdio: sent as descriptors (or FIFO paths opened here), dup'ed onto 0-2 by the monitor.
import { ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MEM_MIB, confinementFromEnv } from '../monitor/monitor-config';
import { Namespace } from '../oci/runtime-spec';
import { ContainerMonitorConfig, LaunchedMonitor, PendingMonitor, monitorEnvironment, spawnMonitor } from './monitor-launch';
import { ProcessIdentity, identify } from './process-identity';
import { RuntimeError } from './runtime-error';

export interface MonitorPoolOptions {
  /** Spares kept booted and waiting (0: none are kept; take() then starts one). */
  size: number;
  /** Guest memory each spare reserves, in MiB (default 512, the monitor's default). Another size costs a new mapping. */
  memMiB?: number;
  /** The environment runcc's switches come from (RUNCC_CONFINE, RUNCC_SECCOMP, RUNCC_MONITOR_UID/GID); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The namespaces a spare is spawned in: default new network, uts and ipc namespaces. */
  namespaces?: readonly Namespace[];
  /** False: no spare is started after the first take() (a pod's pool: one spare, for its first container). */
  refill?: boolean;
  /** How long a spare may take from its spawn to booted before it is killed (default 120 s). */
  bootTimeoutMs?: number;
  /** The container monitor's loader: default the one beside this code (a bench or test may name the bundled one). */
  program?: string;
}

/** One stdio stream of a container: a descriptor of the caller's (sent; the caller still closes its own) or a path. */
export type StdioSource = number | string;

export interface SpareConfiguration {
  /** The container's state directory (start gate, network record). */
  stateDir: string;
  config: ContainerMonitorConfig;
  /** The container's cgroup (made by the caller, as prepareCgroup makes it): the spare is moved into it first. */
  cgroupDir?: string;
  /**
   * The container's stdio. A path (containerd's FIFOs) is opened here read-write, so the open never waits for the
   * other side, sent, and closed here. Absent: /dev/null.
   */
  stdio?: { stdin?: StdioSource; stdout?: StdioSource; stderr?: StdioSource };
}

/** A booted spare, the caller's once taken: configure it for one container, or discard it. */
export interface Spare {
  readonly pid: number;
  readonly child: ChildProcess;
  /** The process as it was when it booted (its /proc start time): proof that it existed before its configuration. */
  readonly identity: ProcessIdentity;
  /** The namespaces it was spawned in, as a spec names them (spareFits compares a spec's with them). */
  readonly namespaces: readonly Namespace[];
  /**
   * Moves the spare into `cgroupDir`, sends it its configuration and stdio, and resolves when its VM is prepared and
   * it waits at the start gate in `stateDir`. Any failure kills the spare (and is a RuntimeError); nothing of it stays.
   */
  configure(configuration: SpareConfiguration): Promise<LaunchedMonitor>;
  /** Kills the spare and resolves once it is reaped. */
  discard(): Promise<void>;
}

const BOOT_TIMEOUT_MS = 120_000;
/** How long after a spare is taken its replacement starts booting (a take that finds none starts one at once). */
const REFILL_DELAY_MS = 150;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 10_000;
const OWN_NAMESPACES: Namespace[] = [{ type: 'network' }, { type: 'uts' }, { type: 'ipc' }];

interface Entry {
  pending: PendingMonitor;
  booted: boolean;
}

interface Taker {
  resolve(spare: Spare): void;
  reject(error: Error): void;
}

function reaped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

/**
 * Keeps `size` spares booted. Spares are this process's children: node reaps them; one that dies while waiting is
 * replaced; spawns that keep failing (no /dev/kvm, say) are retried with a growing delay, and a take() waiting
 * meanwhile gets the failure. close() kills and reaps every spare not taken.
 */
export class MonitorPool {
  private readonly entries = new Set<Entry>();
  private readonly takers: Taker[] = [];
  private readonly memMiB: number;
  private readonly env: NodeJS.ProcessEnv;
  private closed = false;
  private retryMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Spares to keep started: the size, or 0 once a pool that does not refill has been taken from. */
  private target: number;
  /** The namespaces its spares are spawned in. */
  readonly namespaces: readonly Namespace[];

  constructor(private readonly options: MonitorPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 0) throw new RuntimeError(`monitor pool: size ${options.size}: must be a whole number`);
    this.memMiB = options.memMiB ?? DEFAULT_MEM_MIB;
    if (!Number.isInteger(this.memMiB) || this.memMiB < 2) throw new RuntimeError(`monitor pool: memMiB ${options.memMiB}: must be a whole number of MiB, at least 2`);
    this.env = options.env ?? process.env;
    this.target = options.size;
    this.namespaces = options.namespaces ?? OWN_NAMESPACES;
    this.fill();
  }

  /** Spares booted and waiting now. */
  get ready(): number {
    return [...this.entries].filter((e) => e.booted).length;
  }

  /** Spares started (booting or booted) and not taken. */
  get started(): number {
    return this.entries.size;
  }

  /** A booted spare: at once when one waits, else the next to boot. The pool starts a replacement meanwhile. */
  take(): Promise<Spare> {
    if (this.closed) return Promise.reject(new RuntimeError('monitor pool: closed'));
    if (this.options.refill === false) this.target = 0;
    const entry = [...this.entries].find((e) => e.booted);
    if (entry) {
      this.entries.delete(entry);
      // The replacement is a node start-up; begun at once, it would compete for the CPU with the container this
      // spare was taken for, in its create and start (on 2 vCPUs, `ctr run --rm` of hello took 8 % longer).
      setTimeout(() => this.fill(), REFILL_DELAY_MS);
      return Promise.resolve(this.spareOf(entry));
    }
    return new Promise((resolve, reject) => {
      this.takers.push({ resolve, reject });
      this.fill();
    });
  }

  /** Kills every spare not taken and resolves once all are reaped; take() fails from now on. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const taker of this.takers.splice(0)) taker.reject(new RuntimeError('monitor pool: closed'));
    const children = [...this.entries].map((e) => e.pending);
    this.entries.clear();
    for (const pending of children) pending.kill();
    await Promise.all(children.map((p) => reaped(p.child)));
  }

  /** Starts spares until `size` are on their way, and one more for each waiting take() that no booting spare serves. */
  private fill(): void {
    if (this.closed || this.retryTimer) return;
    const booting = [...this.entries].filter((e) => !e.booted).length;
    const wanted = Math.max(this.target - this.entries.size, this.takers.length - booting);
    for (let i = 0; i < wanted; i++) this.startSpare();
  }

  private startSpare(): void {
    const { socketPair } = require('../ffi/fd-passing') as typeof import('../ffi/fd-passing');
    let pending: PendingMonitor;
    let pair: [number, number] | undefined;
    try {
      pair = socketPair();
      const [parentEnd, childEnd] = pair;
      pending = spawnMonitor({
        namespaces: this.namespaces,
        stdio: ['ignore', 'ignore', 'ignore'],
        confined: confinementFromEnv(this.env) !== undefined,
        reserveMiB: this.memMiB,
        channel: { parentEnd, childEnd },
        env: monitorEnvironment(this.env),
        program: this.options.program,
      });
    } catch (error) {
      for (const fd of pair ?? []) {
        try {
          closeSync(fd);
        } catch {
          // the spawn took it
        }
      }
      this.failed(new RuntimeError(`monitor pool: cannot start a spare: ${(error as Error).message}`));
      return;
    }
    const entry: Entry = { pending, booted: false };
    this.entries.add(entry);
    const timer = setTimeout(() => pending.kill(), this.options.bootTimeoutMs ?? BOOT_TIMEOUT_MS);
    timer.unref();
    pending.booted.then(
      () => {
        clearTimeout(timer);
        if (!this.entries.has(entry)) return;
        entry.booted = true;
        this.retryMs = 0;
        const taker = this.takers.shift();
        if (taker) {
          this.entries.delete(entry);
          taker.resolve(this.spareOf(entry));
        }
        this.fill();
      },
      (error: Error) => {
        clearTimeout(timer);
        if (!this.entries.delete(entry)) return;
        this.failed(new RuntimeError(`monitor pool: a spare failed to boot: ${error.message}`));
      },
    );
    // A booted spare that dies while it waits (killed, out of memory) is replaced; one that dies booting is a
    // failed boot (above).
    pending.child.once('exit', () => {
      if (entry.booted && this.entries.delete(entry)) this.fill();
    });
  }

  /** A spare could not be started or booted: tell one waiting take, and try again later, each time later. */
  private failed(error: RuntimeError): void {
    this.takers.shift()?.reject(error);
    if (this.closed) return;
    this.retryMs = Math.min(this.retryMs === 0 ? RETRY_FIRST_MS : this.retryMs * 2, RETRY_MAX_MS);
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.fill();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private spareOf(entry: Entry): Spare {
    const { pending } = entry;
    const identity = identify(pending.pid) ?? { pid: pending.pid, startTime: -1 };
    return {
      pid: pending.pid,
      child: pending.child,
      identity,
      namespaces: this.namespaces,
      configure: (configuration) => configureSpare(pending, configuration),
      discard: async () => {
        pending.kill();
        await reaped(pending.child);
      },
    };
  }
}

async function configureSpare(pending: PendingMonitor, configuration: SpareConfiguration): Promise<LaunchedMonitor> {
  const opened: number[] = [];
  try {
    if (configuration.cgroupDir !== undefined) {
      try {
        writeFileSync(join(configuration.cgroupDir, 'cgroup.procs'), String(pending.pid));
      } catch (error) {
        throw new RuntimeError(`cannot join cgroup ${configuration.cgroupDir}: ${(error as Error).message}`);
      }
    }
    const source = (s: StdioSource | undefined, name: string): number => {
      if (typeof s === 'number') return s;
      try {
        const fd = openSync(s ?? '/dev/null', constants.O_RDWR | constants.O_NOCTTY);
        opened.push(fd);
        return fd;
      } catch (error) {
        throw new RuntimeError(`${name}: ${(error as Error).message}`);
      }
    };
    const stdio = configuration.stdio ?? {};
    const fds: [number, number, number] = [source(stdio.stdin, 'stdin'), source(stdio.stdout, 'stdout'), source(stdio.stderr, 'stderr')];
    return await pending.configure({ stateDir: configuration.stateDir, config: configuration.config, stdio: fds });
  } catch (error) {
    pending.kill();
    await reaped(pending.child);
    throw error instanceof RuntimeError ? error : new RuntimeError((error as Error).message);
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
