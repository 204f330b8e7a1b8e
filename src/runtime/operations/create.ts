// `runcc create`: validate the bundle, spawn the monitor, configure it once runcc's own work is done (the monitor
// boots node, opens /dev/kvm and reserves guest memory meanwhile), write the pid file, run create hooks.
import { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Pty } from '../../ffi/console';
import { DEFAULT_MEM_MIB, confinementFromEnv } from '../../monitor/monitor-config';
import type { GuestNetwork } from '../../net/container-network';
import { guestArgs } from '../../net/guest-network-args';
import { NetworkError } from '../../net/network-error';
import { Bundle } from '../bundle';
import { ContainerCgroup, prepareCgroup, removeCgroupWhenEmpty } from '../cgroup';
import { stateDocument } from '../container-status';
import { runHooks } from '../hooks';
import { ContainerMonitorConfig, LaunchedMonitor, PendingMonitor, spareFits, spareWiredNetns, spawnMonitor } from '../monitor-launch';
import type { Spare, SpareConfiguration } from '../monitor-pool';
import { identify } from '../process-identity';
import { RuntimeError } from '../runtime-error';
import { makeStartGate } from '../start-gate';
import { ContainerRecord, StateStore, writeFileAtomic } from '../state-store';
import { Unikernel } from '../unikernel';

export interface CreateOptions {
  id: string;
  bundle: Bundle;
  unikernel: Unikernel;
  pidFile?: string;
  consoleSocket?: string;
  /** True for `create` and `run --detach`: the caller goes away, so a terminal needs a console socket. */
  detach: boolean;
  systemdCgroup: boolean;
  /**
   * A booted spare (MonitorPool.take(): the shim) to become the container's monitor instead of a fresh spawn. It
   * serves a spec whose namespaces are those it was spawned in (spareFits: its own new ones, or a pod's network
   * namespace), or, spawned with a network namespace of its own, a spec that joins one (a pod's: spareWiredNetns),
   * whose guest network is then wired here, in that namespace, and sent to it as TAP fds. Otherwise it is discarded
   * and a monitor spawned as without one. Either way it is this call's: configured, or killed and reaped.
   */
  spare?: Spare;
  /**
   * The container's stdio (the shim's FIFOs), default: the caller's own, or /dev/null with a spare; a terminal's pty
   * slave wins. A spawned monitor takes descriptors only; a spare also FIFO paths.
   */
  stdio?: SpareConfiguration['stdio'];
  /**
   * The slave of a pty the caller made and copies itself (the shim: its master goes to containerd's FIFOs), for a
   * `process.terminal` spec: it becomes the monitor's stdio and controlling terminal, and no console socket is needed.
   */
  terminalSlave?: number;
}

/** The shim's stdio for a monitor spawned here: its descriptors as they are, a missing one /dev/null. */
function spawnStdio(stdio: NonNullable<SpareConfiguration['stdio']>): [number | 'ignore', number | 'ignore', number | 'ignore'] {
  return [stdio.stdin, stdio.stdout, stdio.stderr].map((source) => {
    if (typeof source === 'string') throw new RuntimeError(`stdio ${source}: a spawned monitor takes descriptors, not paths`);
    return source ?? 'ignore';
  }) as [number | 'ignore', number | 'ignore', number | 'ignore'];
}

const MiB = 1024 * 1024;
/**
 * What the monitor itself takes of the container's memory limit, besides the guest's RAM: node's heap, code and
 * buffers as the cgroup charges them (measured: see docs/runtime.md), with room for the garbage collector to work.
 */
export const MONITOR_HEADROOM_MIB = 32;
const MIN_GUEST_MIB = 2;

/**
 * Guest memory: what linux.resources.memory.limit leaves after the monitor's headroom, in whole MiB, so that the
 * guest's RAM and the monitor together fit under memory.max; without a limit, the monitor's default (512 MiB).
 */
export function guestMemMiB(bundle: Bundle): number {
  const limit = bundle.spec.linux?.resources?.memory?.limit;
  if (limit === undefined || limit <= 0) return DEFAULT_MEM_MIB;
  const guest = Math.floor(limit / MiB) - MONITOR_HEADROOM_MIB;
  if (guest < MIN_GUEST_MIB) {
    throw new RuntimeError(
      `linux.resources.memory.limit: ${limit} bytes leaves no room for the guest: the monitor takes ${MONITOR_HEADROOM_MIB} MiB of it; give at least ${MONITOR_HEADROOM_MIB + MIN_GUEST_MIB} MiB`,
    );
  }
  return guest;
}

export function writePidFile(path: string, pid: number): void {
  writeFileAtomic(resolve(path), String(pid));
}

/** Creates the container; resolves to the launched monitor (still attached, so `run` can wait for it). */
export async function createContainer(store: StateStore, options: CreateOptions): Promise<LaunchedMonitor> {
  try {
    return await create(store, options);
  } catch (error) {
    // A spare given and not made the container's monitor (a refusal before anything was made, say) is reaped too.
    await options.spare?.discard();
    throw error;
  }
}

async function create(store: StateStore, options: CreateOptions): Promise<LaunchedMonitor> {
  const { id, bundle } = options;
  const process = bundle.spec.process;
  if (!process) throw new RuntimeError('config.json: process: must be set to create a unikernel container');
  // runc's rules and messages (checkTerminal): a pty goes over the console socket only when detaching.
  const terminal = Boolean(process.terminal);
  const callerPty = terminal && options.terminalSlave !== undefined;
  if (options.terminalSlave !== undefined && (!terminal || options.consoleSocket)) {
    throw new RuntimeError('a terminal slave is for a process.terminal container without a console socket');
  }
  if (options.detach && terminal && !options.consoleSocket && !callerPty) {
    throw new RuntimeError('cannot allocate tty if runc will detach without setting console socket');
  }
  if ((!options.detach || !terminal) && options.consoleSocket) {
    throw new RuntimeError('cannot use console socket if runc will not detach or allocate tty');
  }
  if (bundle.spec.linux?.namespaces?.some((ns) => ns.type === 'user')) {
    // Never ignored: the monitor confines itself with an unprivileged id of its own, not a user namespace.
    throw new RuntimeError(
      'linux.namespaces: a user namespace is not supported for unikernel containers (the monitor drops to an unprivileged user of its own); remove it (Kubernetes: hostUsers: true)',
    );
  }
  const { unikernel } = options;
  let { spare } = options;
  const unattached = unikernel.blockDevices.filter((name) => !unikernel.blocks.some((b) => b.name === name));
  if (unattached.length > 0) {
    throw new RuntimeError(
      `the unikernel's block device ${unattached[0]} has nothing attached: bind-mount a file or block device at /${unattached[0]}`,
    );
  }

  const memMiB = guestMemMiB(bundle);
  const confinement = confinementFromEnv(globalThis.process.env, process.user);
  const dir = store.claim({
    id,
    bundle: bundle.path,
    rootfs: bundle.rootfs,
    created: new Date().toISOString(),
    annotations: bundle.spec.annotations ?? {},
    creator: identify(globalThis.process.pid),
    hooks: {},
  });
  let pending: PendingMonitor | undefined;
  let launched: LaunchedMonitor | undefined;
  let pty: Pty | undefined;
  let cgroup: ContainerCgroup | undefined;
  let network: GuestNetwork | undefined;
  let wiredIn: string | undefined;
  // koffi (ptys, the console socket, the start gate's FIFO) loads only once the monitor is on its way.
  let console: typeof import('../../ffi/console') | undefined;
  try {
    cgroup = prepareCgroup(bundle.spec.linux?.cgroupsPath, options.systemdCgroup, id, bundle.spec.linux?.resources);
    // Not foreground `run` with a terminal: that one keeps the caller's own terminal as the container's.
    if (terminal && options.consoleSocket) {
      console = require('../../ffi/console') as typeof import('../../ffi/console');
      pty = console.openPty();
    }
    if (spare && !spareFits(spare.namespaces, bundle.spec.linux?.namespaces)) {
      wiredIn = spareWiredNetns(spare.namespaces, bundle.spec.linux?.namespaces);
      if (wiredIn && unikernel.netDevices.length > 0) {
        // The namespace is set up already (CNI's, at the pod's sandbox): wired now, not at start by the monitor.
        const { wireGuestNetwork } = require('../../net/container-network') as typeof import('../../net/container-network');
        const netns = wiredIn;
        try {
          network = inNetworkNamespace(netns, () => wireGuestNetwork(id, unikernel.netDevices, dir, true));
        } catch (error) {
          if (!(error instanceof NetworkError)) throw new RuntimeError(`network namespace ${netns}: ${(error as Error).message}`);
          // Nothing to claim there yet (an engine that configures the namespace after create): as without a spare,
          // the monitor spawned in the namespace wires at start.
          wiredIn = undefined;
        }
      }
      if (!wiredIn) {
        const unfit = spare;
        spare = undefined;
        await unfit.discard();
      }
    }
    // Spawn first: everything the spawn needs comes from the spec; node's start-up there overlaps the rest here.
    if (!spare) {
      pending = spawnMonitor({
        namespaces: bundle.spec.linux?.namespaces,
        terminalFd: pty?.slave ?? options.terminalSlave,
        stdio: options.stdio ? spawnStdio(options.stdio) : undefined,
        cgroupDir: cgroup?.dir,
        confined: confinement !== undefined,
        reserveMiB: memMiB,
      });
    }
    const config: ContainerMonitorConfig = {
      kernelPath: unikernel.kernelPath,
      memMiB,
      guestArgs: network ? guestArgs(unikernel.netFormat, network.ipv4, unikernel.guestArgs) : unikernel.guestArgs,
      blocks: unikernel.blocks,
      nets: network?.nets ?? [],
      containerId: id,
      netDevices: network ? [] : unikernel.netDevices,
      netFormat: unikernel.netFormat,
      terminal: pty !== undefined || callerPty,
      ...(confinement ? { confinement } : {}),
    };
    makeStartGate(dir);
    if (spare) {
      const slave = pty?.slave ?? options.terminalSlave;
      const stdio = slave !== undefined ? { stdin: slave, stdout: slave, stderr: slave } : options.stdio;
      // Taken here: a failure of configure() has killed and reaped it already.
      const taken = spare;
      spare = undefined;
      launched = await taken.configure({ stateDir: dir, config, cgroupDir: cgroup?.dir, stdio });
    } else {
      launched = await pending!.configure({ stateDir: dir, config });
    }
    // During create: containerd's shim receives the master right after create returns, before it reads the pid.
    if (pty && console && options.consoleSocket) console.sendFdOverSocket(options.consoleSocket, pty.name, pty.master);
    const identity = identify(launched.pid);
    if (!identity) throw new RuntimeError('the monitor exited during create');
    const record: ContainerRecord = {
      id,
      bundle: bundle.path,
      rootfs: bundle.rootfs,
      created: new Date().toISOString(),
      annotations: bundle.spec.annotations ?? {},
      monitor: identity,
      cgroupDir: cgroup?.created ? cgroup.dir : undefined,
      netnsPath: bundle.spec.linux?.namespaces?.find((ns) => ns.type === 'network')?.path,
      hooks: bundle.spec.hooks ?? {},
    };
    store.save(record);
    const creating = { ...stateDocument(record, 'created'), status: 'creating' as const };
    runHooks('prestart', bundle.spec.hooks?.prestart, creating);
    runHooks('createRuntime', bundle.spec.hooks?.createRuntime, creating);
    // The container's network namespace: the monitor's, or the one it was wired in and does not itself belong to.
    runHooks('createContainer', bundle.spec.hooks?.createContainer, creating, ['nsenter', `--net=${wiredIn ?? `/proc/${launched.pid}/ns/net`}`, '--']);
    if (options.pidFile) writePidFile(options.pidFile, launched.pid);
    return launched;
  } catch (error) {
    const child = launched?.child ?? pending?.child;
    if (child) {
      child.kill('SIGKILL');
      await exited(child);
    }
    if (cgroup?.created) removeCgroupWhenEmpty(cgroup.dir);
    if (network && wiredIn) {
      const wired = network;
      network = undefined;
      closeTaps(wired);
      try {
        inNetworkNamespace(wiredIn, () => wired.release());
      } catch {
        // the namespace is gone (its pod removed meanwhile), and what was wired in it with it
      }
    }
    if (error instanceof (require('../../ffi/sys-error') as typeof import('../../ffi/sys-error')).SysError) {
      error = new RuntimeError(`console: ${error.message}`);
    }
    rmSync(dir, { recursive: true, force: true });
    if (options.pidFile) rmSync(resolve(options.pidFile), { force: true });
    throw error;
  } finally {
    // The monitor has its own copies of the TAPs' fds now; the TAPs live as long as it holds them.
    if (network) closeTaps(network);
    if (pty && console) {
      console.closeFd(pty.master);
      console.closeFd(pty.slave);
    }
  }
}

/** Runs `work` in the network namespace at `path` (koffi loads only for a create that wires for a spare). */
function inNetworkNamespace<T>(path: string, work: () => T): T {
  return (require('../../ffi/network-namespace') as typeof import('../../ffi/network-namespace')).inNetworkNamespace(path, work);
}

/** Closes this process's fds of the TAPs wired for a spare (the spare holds its own once configured). */
function closeTaps(network: GuestNetwork): void {
  const { libc } = require('../../ffi/libc') as typeof import('../../ffi/libc');
  for (const net of network.nets) if (net.backend?.kind === 'fd') libc.close(net.backend.fd);
}

/** Resolves once a killed monitor is gone (reaped), so that its cgroup can be removed; at once if it is already. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}
