// What runs a task, by kind: a unikernel (runcc's monitor, through the runtime's operations), a pod's sandbox
// (nothing at all: the pod's network namespace is CRI's pinned one, so no pause process needs to hold it), or a Linux
// container of the pod (runc, as containerd's runc shim runs it).
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { Bundle } from '../runtime/bundle';
import { liveStatus } from '../runtime/container-status';
import { LaunchedMonitor } from '../runtime/monitor-launch';
import { RUNC_ERRORS, RuntimeError } from '../runtime/runtime-error';
import { runcPath } from '../runtime/runc-delegation';
import { StateStore } from '../runtime/state-store';
import { Unikernel } from '../runtime/unikernel';
import { killContainer, pauseContainer } from '../runtime/operations/kill';
import { startContainer } from '../runtime/operations/start';
import { cgroupOfProcess } from './cgroup-metrics';
import { MonitorSource } from './monitor-source';
import { ShimStdio } from './stdio';
import { Code, TtrpcError } from './ttrpc/status';

export const TaskStatus = { UNKNOWN: 0, CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4 } as const;

export interface Runner {
  readonly kind: 'unikernel' | 'pod-sandbox' | 'runc';
  readonly pid: number;
  readonly cgroupDir?: string;
  start(): Promise<void>;
  kill(signal: number, all: boolean): Promise<void>;
  pause(pause: boolean): Promise<void>;
  /** CREATED, RUNNING or PAUSED while the process has not exited. */
  status(): number;
  /** Removes what the runner made (the task has exited, or is created and never started); returns warnings. */
  remove(): Promise<string[]>;
}

/** Called once with the exit status (the code, or 128 + the signal). */
export type ExitListener = (status: number) => void;

function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? osConstants.signals[signal] : 0);
}

/** `stdio` is the task's FIFOs; with a terminal, `terminalSlave` is the pty slave that replaces them. */
export async function unikernelRunner(store: StateStore, id: string, bundle: Bundle, unikernel: Unikernel, stdio: ShimStdio, monitors: MonitorSource, onExit: ExitListener, terminalSlave?: number): Promise<Runner> {
  // Loaded here: it brings koffi (FIFOs, ptys), which a shim that only answers `delete` never needs.
  const { createContainer } = require('../runtime/operations/create') as typeof import('../runtime/operations/create');
  const launched: LaunchedMonitor = await createContainer(store, {
    id,
    bundle,
    unikernel,
    detach: true,
    // kubelet's systemd driver gives "slice:prefix:name"; nothing tells a non-runc runtime type which it is.
    systemdCgroup: /^[^/:]*:[^:]*:[^:]*$/.test(bundle.spec.linux?.cgroupsPath ?? ''),
    stdio: terminalSlave === undefined ? stdio : undefined,
    terminalSlave,
    // A pre-started spare when one fits; createContainer reaps it if the create fails.
    spare: await monitors.take(bundle.spec.linux?.namespaces),
  });
  const child: ChildProcess = launched.child;
  const exited = (code: number | null, signal: NodeJS.Signals | null): void => onExit(exitStatus(code, signal));
  if (child.exitCode !== null || child.signalCode !== null) setImmediate(() => exited(child.exitCode, child.signalCode));
  else child.once('exit', exited);
  const cgroupDir = store.load(id).cgroupDir ?? cgroupOfProcess(launched.pid);
  const runtimeCall = async (call: () => unknown): Promise<void> => void call();
  return {
    kind: 'unikernel',
    pid: launched.pid,
    cgroupDir,
    start: () => startContainer(store, id),
    kill: (signal, all) => runtimeCall(() => killContainer(store, id, String(signal), all)),
    pause: (pause) => runtimeCall(() => pauseContainer(store, id, pause)),
    status: () => {
      switch (liveStatus(store, store.load(id))) {
        case 'running':
          return TaskStatus.RUNNING;
        case 'paused':
          return TaskStatus.PAUSED;
        default:
          return TaskStatus.CREATED;
      }
    },
    remove: async () => {
      const { deleteContainer } = require('../runtime/operations/delete') as typeof import('../runtime/operations/delete');
      // A created container's monitor still waits at the start gate: delete kills it, as `runcc delete` does.
      return deleteContainer(store, id, true);
    },
  };
}

/**
 * The pod's sandbox: no process. Its pid is the shim's own, which CRI records as the sandbox pid and names in the
 * pod's containers' namespace paths (/proc/PID/ns/…); the shim maps those back (podNamespaces) before running them.
 * A signal that would end a pause process ends it; the shim itself is never signalled.
 */
export function podSandboxRunner(onExit: ExitListener): Runner {
  let started = false;
  let paused = false;
  let ended = false;
  const ignored = new Set([0, osConstants.signals.SIGCHLD, osConstants.signals.SIGWINCH, osConstants.signals.SIGURG, osConstants.signals.SIGCONT]);
  return {
    kind: 'pod-sandbox',
    pid: process.pid,
    start: async () => {
      started = true;
    },
    kill: async (signal) => {
      if (ignored.has(signal) || ended) return;
      ended = true;
      // As the pause process it stands for: SIGINT and SIGTERM end it with 0, anything else as the signal does.
      const status = signal === osConstants.signals.SIGINT || signal === osConstants.signals.SIGTERM ? 0 : 128 + signal;
      setImmediate(() => onExit(status));
    },
    pause: async (pause) => {
      paused = pause;
    },
    status: () => (!started ? TaskStatus.CREATED : paused ? TaskStatus.PAUSED : TaskStatus.RUNNING),
    remove: async () => [],
  };
}

/**
 * Runs runc and waits for it. With `stdio` (create: runc hands its stdio on to the container's init), runc's errors
 * cannot come on stderr, so they are read from its JSON log in the bundle.
 */
type RuncStdio = [number | 'ignore', number | 'ignore', number | 'ignore'];

function runc(root: string, args: string[], stdio?: RuncStdio, logFile?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const logArgs = logFile ? ['--log', logFile, '--log-format', 'json'] : [];
    const child = spawn(runcPath(), ['--root', root, ...logArgs, ...args], { stdio: stdio ? [...stdio] : ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new RuntimeError(`cannot run ${runcPath()}: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      let said = stderr.trim().split('\n').pop() ?? '';
      if (logFile) {
        try {
          const last = readFileSync(logFile, 'utf8').trim().split('\n').pop() ?? '';
          said = (JSON.parse(last) as { msg?: string }).msg ?? said;
        } catch {
          // no log: the status says it
        }
      }
      reject(new RuntimeError(`runc ${args[0]}: ${said || `exit status ${code}`}`));
    });
  });
}

/**
 * A Linux container of a pod, run by runc as containerd's runc shim does: `runc create` with the container's stdio
 * (runc passes it on to the init), the init re-parented to the shim (a child subreaper) and reaped here.
 */
export async function runcRunner(root: string, id: string, bundle: Bundle, stdio: ShimStdio, onExit: ExitListener): Promise<Runner> {
  const { becomeChildSubreaper, reapExited } = require('../ffi/child-reaper') as typeof import('../ffi/child-reaper');
  becomeChildSubreaper();
  const pidFile = join(bundle.path, 'init.pid');
  // runc writes its own errors on stderr too: they go to the container's log, where runc's shim puts them as well.
  const fds: RuncStdio = ['ignore', stdio.stdout ?? 'ignore', stdio.stderr ?? 'ignore'];
  await runc(root, ['create', '--bundle', bundle.path, '--pid-file', pidFile, id], fds, join(bundle.path, 'runc-log.json'));
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const cgroupDir = cgroupOfProcess(pid);
  let started = false;
  let paused = false;
  let exited = false;
  const poll = setInterval(() => {
    const status = reapExited(pid);
    if (status === undefined) return;
    clearInterval(poll);
    exited = true;
    onExit(status);
  }, 50);
  const whenRunning = async (what: () => Promise<void>): Promise<void> => {
    if (exited) throw new RuntimeError(RUNC_ERRORS.notRunning);
    await what();
  };
  return {
    kind: 'runc',
    pid,
    cgroupDir,
    start: async () => {
      await runc(root, ['start', id]);
      started = true;
    },
    kill: (signal, all) => whenRunning(() => runc(root, ['kill', ...(all ? ['--all'] : []), id, String(signal)])),
    pause: (pause) =>
      whenRunning(async () => {
        await runc(root, [pause ? 'pause' : 'resume', id]);
        paused = pause;
      }),
    status: () => (!started ? TaskStatus.CREATED : paused ? TaskStatus.PAUSED : TaskStatus.RUNNING),
    remove: async () => {
      clearInterval(poll);
      try {
        await runc(root, ['delete', '--force', id]);
      } catch (error) {
        if (!/does not exist/.test((error as Error).message)) return [(error as Error).message];
      }
      return [];
    },
  };
}

/** CRI's annotation for what a container is in its pod. */
export const CONTAINER_TYPE_ANNOTATION = 'io.kubernetes.cri.container-type';
/** CRI's pod id on each of the pod's containers, the sandbox's own included. */
export const SANDBOX_ID_ANNOTATION = 'io.kubernetes.cri.sandbox-id';

/**
 * The spec's namespace paths as they must be for a pod whose sandbox has no process: CRI names the sandbox's by its
 * pid (the shim's), /proc/PID/ns/TYPE. The network namespace becomes the sandbox's own (CNI's pinned file); the
 * others, which only a pause process would have held, become the container's own.
 */
export function podNamespaces(bundle: Bundle, sandboxNetns: string | undefined): boolean {
  const prefix = `/proc/${process.pid}/ns/`;
  let changed = false;
  for (const ns of bundle.spec.linux?.namespaces ?? []) {
    if (!ns.path?.startsWith(prefix)) continue;
    changed = true;
    if (ns.type === 'network' && sandboxNetns) ns.path = sandboxNetns;
    else if (ns.type === 'network') throw new TtrpcError(Code.FAILED_PRECONDITION, 'the pod sandbox of this container is gone: no network namespace to join');
    else delete ns.path;
  }
  return changed;
}
