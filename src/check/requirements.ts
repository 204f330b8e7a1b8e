// What runcc needs from the machine it runs on, checked one by one (like `kata-runtime check`): each check says
// ok or missing and, when missing, what to do. Pure: the machine is read through a HostProbe, so tests can hand it
// any machine. `runcc check` (cli/check-command.ts) prints them.
import { KvmKind } from '../host/kvm-device';

export interface HostProbe {
  kvm(): KvmKind;
  /** The loaded KVM vendor module (kvm_intel, kvm_amd) or paravirtual one (kvm_pvm, …), when one is found. */
  kvmModule(): string | undefined;
  /** undefined when `path` opens read-write, else the errno code (ENOENT, EACCES, …). */
  openError(path: string): string | undefined;
  /** Absolute path of an installed command, or undefined. */
  command(name: string): string | undefined;
  /** A file's text, or undefined when it cannot be read. */
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Required checks decide the exit status; the others are for delegated containers and the engines. */
  required: boolean;
  detail: string;
  /** What to do, when not ok. */
  fix?: string;
}

const CGROUP_CONTROLLERS = ['cpu', 'memory', 'pids'];

function kvmCheck(probe: HostProbe): CheckResult {
  const base = { name: '/dev/kvm', required: true };
  const module = probe.kvmModule();
  switch (probe.kvm()) {
    case 'hardware':
      return { ...base, ok: true, detail: `hardware-backed (${module ?? 'kvm'})` };
    case 'paravirtual':
      return {
        ...base,
        ok: false,
        detail: `paravirtual${module ? ` (${module})` : ''}: emulates guest instructions and cannot run guests that use SSE`,
        fix: 'use a machine whose CPU virtualization reaches this kernel (kvm_intel or kvm_amd loaded)',
      };
    case 'no-access':
      return { ...base, ok: false, detail: `exists but cannot be opened read-write (${probe.openError('/dev/kvm')})`, fix: 'run runcc as root, or join the kvm group' };
    case 'absent':
      return {
        ...base,
        ok: false,
        detail: 'not found',
        fix: 'enable virtualization (VT-x/AMD-V) in the firmware or hypervisor, then modprobe kvm_intel (or kvm_amd)',
      };
  }
}

function deviceCheck(probe: HostProbe, path: string, fix: string): CheckResult {
  const error = probe.openError(path);
  return error === undefined
    ? { name: path, ok: true, required: true, detail: 'opens read-write' }
    : { name: path, ok: false, required: true, detail: `cannot be opened (${error})`, fix };
}

function commandCheck(probe: HostProbe, name: string, why: string, fix: string, required = true): CheckResult {
  const path = probe.command(name);
  return path
    ? { name, ok: true, required, detail: `${path} (${why})` }
    : { name, ok: false, required, detail: `not found (${why})`, fix };
}

function cgroupChecks(probe: HostProbe): CheckResult[] {
  const controllers = probe.readFile('/sys/fs/cgroup/cgroup.controllers');
  if (controllers === undefined) {
    return [
      {
        name: 'cgroup v2',
        ok: false,
        required: false,
        detail: 'no unified hierarchy at /sys/fs/cgroup: containers run, but outside the cgroups their engine names',
        fix: 'boot with systemd.unified_cgroup_hierarchy=1 (or mount -t cgroup2 none /sys/fs/cgroup)',
      },
    ];
  }
  const enabled = controllers.trim().split(/\s+/);
  const absent = CGROUP_CONTROLLERS.filter((name) => !enabled.includes(name));
  return [
    { name: 'cgroup v2', ok: true, required: false, detail: 'unified hierarchy at /sys/fs/cgroup' },
    absent.length === 0
      ? { name: 'cgroup controllers', ok: true, required: false, detail: `${CGROUP_CONTROLLERS.join(', ')} available` }
      : {
          name: 'cgroup controllers',
          ok: false,
          required: false,
          detail: `${absent.join(', ')} not available: engines cannot account or limit them`,
          fix: `enable them in the kernel (cgroup_enable=…) or in the parent's cgroup.subtree_control`,
        },
  ];
}

/** Whether daemon.json has a runcc runtime, and where it points. */
function dockerCheck(probe: HostProbe): CheckResult {
  const base = { name: 'docker', required: false };
  if (!probe.command('dockerd')) return { ...base, ok: true, detail: 'not installed (nothing to register)' };
  const text = probe.readFile('/etc/docker/daemon.json');
  let path: unknown;
  try {
    path = text === undefined ? undefined : (JSON.parse(text) as { runtimes?: Record<string, { path?: unknown }> }).runtimes?.runcc?.path;
  } catch {
    return { ...base, ok: false, detail: '/etc/docker/daemon.json is not valid JSON', fix: 'fix the file, then: runcc install --docker' };
  }
  if (typeof path !== 'string') return { ...base, ok: false, detail: 'runtime runcc not registered in /etc/docker/daemon.json', fix: 'runcc install --docker, then reload dockerd' };
  if (!probe.exists(path)) return { ...base, ok: false, detail: `runtime runcc → ${path}, which does not exist`, fix: 'runcc install --docker (re-registers this runcc)' };
  return { ...base, ok: true, detail: `runtime runcc → ${path}` };
}

function containerdCheck(probe: HostProbe): CheckResult {
  const base = { name: 'containerd', required: false };
  if (!probe.command('containerd')) return { ...base, ok: true, detail: 'not installed (nothing to register)' };
  const text = probe.readFile('/etc/containerd/config.toml');
  if (text === undefined || !/containerd\.runtimes\.runcc\]/.test(text)) {
    return { ...base, ok: false, detail: 'no runcc runtime in /etc/containerd/config.toml', fix: 'runcc install --containerd, then restart containerd' };
  }
  const path = /BinaryName\s*=\s*"([^"]+)"/.exec(text.slice(text.search(/containerd\.runtimes\.runcc\]/)))?.[1];
  if (path && !probe.exists(path)) return { ...base, ok: false, detail: `CRI runtime runcc → ${path}, which does not exist`, fix: 'fix BinaryName in /etc/containerd/config.toml' };
  return { ...base, ok: true, detail: `CRI runtime runcc${path ? ` → ${path}` : ''}` };
}

export function checkRequirements(probe: HostProbe): CheckResult[] {
  return [
    kvmCheck(probe),
    deviceCheck(probe, '/dev/net/tun', 'modprobe tun (and run runcc as root)'),
    commandCheck(probe, 'ip', 'iproute2: wires the guest to the container network', 'apt-get install iproute2'),
    commandCheck(probe, 'tc', 'iproute2: redirects eth0 to the guest TAP', 'apt-get install iproute2'),
    commandCheck(probe, 'nsenter', "util-linux: joins the container's namespaces", 'apt-get install util-linux'),
    commandCheck(probe, 'unshare', "util-linux: creates the container's namespaces", 'apt-get install util-linux'),
    commandCheck(probe, 'setpriv', "util-linux: starts the monitor with an empty capability bounding set", 'apt-get install util-linux'),
    ...cgroupChecks(probe),
    commandCheck(probe, 'runc', 'runs the containers that are not unikernels', 'apt-get install runc (or set RUNCC_RUNC)', false),
    dockerCheck(probe),
    containerdCheck(probe),
  ];
}

/** runcc can run unikernel containers here when every required check passed. */
export function canRunUnikernels(results: readonly CheckResult[]): boolean {
  return results.every((result) => result.ok || !result.required);
}

/** One line per check: status, name, detail, and what to do. */
export function formatResults(results: readonly CheckResult[]): string {
  const lines = results.map((r) => {
    const status = r.ok ? 'ok' : r.required ? 'missing' : 'missing (optional)';
    return `${status.padEnd(18)} ${r.name}: ${r.detail}${r.fix ? `; to fix: ${r.fix}` : ''}`;
  });
  const verdict = canRunUnikernels(results)
    ? 'runcc can run unikernel containers here'
    : 'runcc cannot run unikernel containers here until the missing requirements above are met';
  return `${lines.join('\n')}\n${verdict}\n`;
}
