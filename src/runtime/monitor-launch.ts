// Starts the container process of a unikernel container (the monitor, see cli/container-monitor.ts) in the
// namespaces the spec asks for, and waits until its VM is prepared and it sits at the start gate.
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { MonitorConfig } from '../monitor/monitor-config';
import { Namespace } from '../oci/runtime-spec';
import { NetConfigFormat } from '../net/guest-network-args';
import { RuntimeError } from './runtime-error';

export const CONTAINER_MONITOR_CONFIG = 'monitor.json';

/** What the container's monitor reads from its state directory. */
export interface ContainerMonitorConfig extends MonitorConfig {
  containerId: string;
  /** The manifest's NET_BASIC devices, wired to the container's interfaces at start. */
  netDevices: string[];
  netFormat: NetConfigFormat;
  /** The container's stdio is a pty slave, to become the monitor's controlling terminal. */
  terminal: boolean;
}
/** The fd on which the monitor reports "ready" (or "error: …") to `runcc create`. */
export const READY_FD = 3;
export const READY_LINE = 'ready';
const READY_TIMEOUT_MS = 120_000;

// The bundled build (dist/cli/, what runs and what npm installs) puts this code in dist/cli/runtime-cli.bundle.js,
// next to the monitor's loader; tsc's tree has it in dist/src/runtime/, beside dist/src/cli/. One path serves both.
const CONTAINER_MONITOR = join(__dirname, '../cli/container-monitor.js');

/** The search path the monitor (and the nsenter/unshare before it, and the ip/tc it runs) gets. */
export const MONITOR_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The monitor's whole environment, chosen here rather than inherited: nothing of the caller's reaches it — no
 * NODE_OPTIONS (`--inspect`, `--require` of any file), no other NODE_* (NODE_PATH, NODE_DEBUG, …), no
 * LD_PRELOAD, no PATH of the caller's choosing — but RUNCC_SECCOMP.
 */
export function monitorEnvironment(callerEnv: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: MONITOR_PATH };
  // runcc's own switch, documented in docs/security.md, is the one thing passed on.
  if (callerEnv.RUNCC_SECCOMP !== undefined) env.RUNCC_SECCOMP = callerEnv.RUNCC_SECCOMP;
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
 * The first step of the spawn when the container has a cgroup: a shell joins it and execs the rest, so the monitor
 * is in the container's cgroup before node allocates anything. A failure is told to `create` on the ready fd.
 */
const JOIN_CGROUP = '{ echo $$ > "$1/cgroup.procs"; } 2>/dev/null || { echo "error: cannot join cgroup $1" >&3; exit 1; }; shift; exec "$@"';

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
 * ambient ones (with SECBIT_NOROOT, root's exec grants nothing else); the first setpriv raises them, the second,
 * running with them, empties the bounding set; the monitor gives up the rest when its guest starts.
 */
export function capabilityPrefix(confined: boolean): string[] {
  if (!confined) return [];
  return [
    'setpriv', '--securebits', '+noroot', '--inh-caps', `-all,${MONITOR_CAPABILITIES}`, '--ambient-caps', `-all,${MONITOR_CAPABILITIES}`, '--',
    'setpriv', '--bounding-set', '-all', '--',
  ];
}

export interface LaunchedMonitor {
  child: ChildProcess;
  pid: number;
}

/**
 * Spawns the monitor, in a new session, in `cgroupDir` (joined before node starts) and the spec's namespaces, on the
 * caller's stdio or on `terminalFd` (a pty slave) for all three, and waits for its readiness line; failures become
 * RuntimeErrors.
 */
export function launchMonitor(
  stateDir: string,
  namespaces: readonly Namespace[] | undefined,
  terminalFd: number | undefined,
  cgroupDir: string | undefined,
  confined: boolean,
): Promise<LaunchedMonitor> {
  const argv = [...cgroupJoinPrefix(cgroupDir), ...namespacePrefix(namespaces), ...capabilityPrefix(confined), process.execPath, CONTAINER_MONITOR, stateDir];
  const stdio = terminalFd === undefined ? ['inherit', 'inherit', 'inherit', 'pipe'] : [terminalFd, terminalFd, terminalFd, 'pipe'];
  const child = spawn(argv[0], argv.slice(1), { stdio: stdio as ('inherit' | 'pipe' | number)[], detached: true, env: monitorEnvironment() });
  return new Promise((resolve, reject) => {
    let said = '';
    const fail = (message: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new RuntimeError(message));
    };
    const timer = setTimeout(() => fail('the monitor did not become ready in time'), READY_TIMEOUT_MS);
    child.on('error', (error) => fail(`cannot start the monitor: ${error.message}`));
    const ready = child.stdio[READY_FD] as NodeJS.ReadableStream;
    ready.setEncoding('utf8');
    ready.on('data', (chunk: string) => (said += chunk));
    ready.on('end', () => {
      const line = said.trim();
      if (line === READY_LINE && child.pid !== undefined) {
        clearTimeout(timer);
        resolve({ child, pid: child.pid });
      } else {
        fail(line.startsWith('error: ') ? line.slice('error: '.length) : `the monitor exited before it was ready${line ? `: ${line}` : ''}`);
      }
    });
  });
}
