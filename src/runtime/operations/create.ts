// `runcc create`: validate the bundle, start the monitor at the start gate, write the pid file, run create hooks.
import { Socket } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Pty, closeFd, openPty, sendFdOverSocket } from '../../ffi/console';
import { SysError } from '../../ffi/sys-error';
import { DEFAULT_MEM_MIB, confinementFromEnv } from '../../monitor/monitor-config';
import { Bundle } from '../bundle';
import { ContainerCgroup, prepareCgroup, removeCgroupWhenEmpty } from '../cgroup';
import { stateDocument } from '../container-status';
import { runHooks } from '../hooks';
import { CONTAINER_MONITOR_CONFIG, ContainerMonitorConfig, LaunchedMonitor, launchMonitor } from '../monitor-launch';
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
  const { id, bundle } = options;
  const process = bundle.spec.process;
  if (!process) throw new RuntimeError('config.json: process: must be set to create a unikernel container');
  // runc's rules and messages (checkTerminal): a pty goes over the console socket only when detaching.
  const terminal = Boolean(process.terminal);
  if (options.detach && terminal && !options.consoleSocket) {
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
  const unattached = unikernel.blockDevices.filter((name) => !unikernel.blocks.some((b) => b.name === name));
  if (unattached.length > 0) {
    throw new RuntimeError(
      `the unikernel's block device ${unattached[0]} has nothing attached: bind-mount a file or block device at /${unattached[0]}`,
    );
  }

  const memMiB = guestMemMiB(bundle);
  const dir = store.claim({
    id,
    bundle: bundle.path,
    rootfs: bundle.rootfs,
    created: new Date().toISOString(),
    annotations: bundle.spec.annotations ?? {},
    creator: identify(globalThis.process.pid),
    hooks: {},
  });
  let launched: LaunchedMonitor | undefined;
  let pty: Pty | undefined;
  let cgroup: ContainerCgroup | undefined;
  try {
    cgroup = prepareCgroup(bundle.spec.linux?.cgroupsPath, options.systemdCgroup, id, bundle.spec.linux?.resources);
    // Not foreground `run` with a terminal: that one keeps the caller's own terminal as the container's.
    if (terminal && options.consoleSocket) pty = openPty();
    const config: ContainerMonitorConfig = {
      kernelPath: unikernel.kernelPath,
      memMiB,
      guestArgs: unikernel.guestArgs,
      blocks: unikernel.blocks,
      nets: [],
      containerId: id,
      netDevices: unikernel.netDevices,
      netFormat: unikernel.netFormat,
      terminal: pty !== undefined,
      confinement: confinementFromEnv(globalThis.process.env, process.user),
    };
    writeFileSync(join(dir, CONTAINER_MONITOR_CONFIG), JSON.stringify(config));
    makeStartGate(dir);
    launched = await launchMonitor(dir, bundle.spec.linux?.namespaces, pty?.slave, cgroup?.dir, config.confinement !== undefined);
    // During create: containerd's shim receives the master right after create returns, before it reads the pid.
    if (pty && options.consoleSocket) sendFdOverSocket(options.consoleSocket, pty.name, pty.master);
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
    runHooks('createContainer', bundle.spec.hooks?.createContainer, creating, ['nsenter', `--net=/proc/${launched.pid}/ns/net`, '--']);
    if (options.pidFile) writePidFile(options.pidFile, launched.pid);
    (launched.child.stdio[3] as Socket | null)?.destroy();
    return launched;
  } catch (error) {
    launched?.child.kill('SIGKILL');
    if (cgroup?.created) removeCgroupWhenEmpty(cgroup.dir);
    if (error instanceof SysError) error = new RuntimeError(`console: ${error.message}`);
    rmSync(dir, { recursive: true, force: true });
    if (options.pidFile) rmSync(resolve(options.pidFile), { force: true });
    throw error;
  } finally {
    if (pty) {
      closeFd(pty.master);
      closeFd(pty.slave);
    }
  }
}
