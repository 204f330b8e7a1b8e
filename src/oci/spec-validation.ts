// Validates a parsed config.json against the runtime-spec rules runcc relies on, naming the failing field.
// Unknown properties are ignored, as the spec requires; invalid values of known properties are errors.
import { HOOK_NAMES, Hook, Hooks, Linux, Mount, NAMESPACE_TYPES, Namespace, NamespaceType, Process, Spec } from './runtime-spec';
import { SpecError } from './spec-error';

type Json = Record<string, unknown>;

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const RLIMIT = /^RLIMIT_[A-Z]+$/;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, path: string): Json {
  if (!isObject(value)) throw new SpecError(path, 'must be an object');
  return value;
}

function stringAt(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new SpecError(path, 'must be a string');
  return value;
}

function optional<T>(value: unknown, path: string, read: (v: unknown, p: string) => T): T | undefined {
  return value === undefined ? undefined : read(value, path);
}

function absolutePathAt(value: unknown, path: string): string {
  const text = stringAt(value, path);
  if (!text.startsWith('/')) throw new SpecError(path, `must be an absolute path, got "${text}"`);
  return text;
}

function integerAt(value: unknown, path: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new SpecError(path, min === 0 ? 'must be a non-negative integer' : min === 1 ? 'must be a positive integer' : 'must be an integer');
  }
  return value;
}

function booleanAt(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new SpecError(path, 'must be a boolean');
  return value;
}

function stringArrayAt(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) throw new SpecError(path, 'must be an array of strings');
  return value.map((item, i) => stringAt(item, `${path}[${i}]`));
}

function envAt(value: unknown, path: string): string[] {
  const env = stringArrayAt(value, path);
  env.forEach((entry, i) => {
    if (!/^[^=]+=/.test(entry)) throw new SpecError(`${path}[${i}]`, `must be KEY=VALUE, got "${entry}"`);
  });
  return env;
}

function processAt(value: unknown, path: string): Process {
  const p = objectAt(value, path);
  if (!Array.isArray(p.args) || p.args.length === 0) throw new SpecError(`${path}.args`, 'must be a non-empty array');
  const args = stringArrayAt(p.args, `${path}.args`);
  const cwd = absolutePathAt(p.cwd, `${path}.cwd`);
  const process: Process = { args, cwd };
  process.env = optional(p.env, `${path}.env`, envAt);
  process.terminal = optional(p.terminal, `${path}.terminal`, booleanAt);
  process.noNewPrivileges = optional(p.noNewPrivileges, `${path}.noNewPrivileges`, booleanAt);
  process.oomScoreAdj = optional(p.oomScoreAdj, `${path}.oomScoreAdj`, (v, q) => integerAt(v, q));
  process.consoleSize = optional(p.consoleSize, `${path}.consoleSize`, (v, q) => {
    const size = objectAt(v, q);
    return { height: integerAt(size.height, `${q}.height`, 0), width: integerAt(size.width, `${q}.width`, 0) };
  });
  process.user = optional(p.user, `${path}.user`, (v, q) => {
    const user = objectAt(v, q);
    return {
      uid: integerAt(user.uid, `${q}.uid`, 0),
      gid: integerAt(user.gid, `${q}.gid`, 0),
      umask: optional(user.umask, `${q}.umask`, (u, r) => integerAt(u, r, 0)),
      additionalGids: optional(user.additionalGids, `${q}.additionalGids`, (g, r) => {
        if (!Array.isArray(g)) throw new SpecError(r, 'must be an array of integers');
        return g.map((gid, i) => integerAt(gid, `${r}[${i}]`, 0));
      }),
    };
  });
  process.rlimits = optional(p.rlimits, `${path}.rlimits`, (v, q) => {
    if (!Array.isArray(v)) throw new SpecError(q, 'must be an array');
    const seen = new Set<string>();
    return v.map((item, i) => {
      const r = objectAt(item, `${q}[${i}]`);
      const type = stringAt(r.type, `${q}[${i}].type`);
      if (!RLIMIT.test(type)) throw new SpecError(`${q}[${i}].type`, `unknown rlimit "${type}"`);
      if (seen.has(type)) throw new SpecError(`${q}[${i}].type`, `duplicate rlimit "${type}"`);
      seen.add(type);
      return { type, soft: integerAt(r.soft, `${q}[${i}].soft`, 0), hard: integerAt(r.hard, `${q}[${i}].hard`, 0) };
    });
  });
  return process;
}

function hookAt(value: unknown, path: string): Hook {
  const h = objectAt(value, path);
  return {
    path: absolutePathAt(h.path, `${path}.path`),
    args: optional(h.args, `${path}.args`, stringArrayAt),
    env: optional(h.env, `${path}.env`, envAt),
    timeout: optional(h.timeout, `${path}.timeout`, (v, q) => integerAt(v, q, 1)),
  };
}

function hooksAt(value: unknown, path: string): Hooks {
  const h = objectAt(value, path);
  const hooks: Hooks = {};
  for (const name of HOOK_NAMES) {
    const list = h[name];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new SpecError(`${path}.${name}`, 'must be an array');
    hooks[name] = list.map((item, i) => hookAt(item, `${path}.${name}[${i}]`));
  }
  return hooks;
}

function mountsAt(value: unknown, path: string): Mount[] {
  if (!Array.isArray(value)) throw new SpecError(path, 'must be an array');
  return value.map((item, i) => {
    const m = objectAt(item, `${path}[${i}]`);
    return {
      destination: absolutePathAt(m.destination, `${path}[${i}].destination`),
      source: optional(m.source, `${path}[${i}].source`, stringAt),
      type: optional(m.type, `${path}[${i}].type`, stringAt),
      options: optional(m.options, `${path}[${i}].options`, stringArrayAt),
    };
  });
}

function namespacesAt(value: unknown, path: string): Namespace[] {
  if (!Array.isArray(value)) throw new SpecError(path, 'must be an array');
  const seen = new Set<string>();
  return value.map((item, i) => {
    const ns = objectAt(item, `${path}[${i}]`);
    const type = stringAt(ns.type, `${path}[${i}].type`);
    if (!(NAMESPACE_TYPES as readonly string[]).includes(type)) {
      throw new SpecError(`${path}[${i}].type`, `unknown namespace type "${type}"`);
    }
    if (seen.has(type)) throw new SpecError(`${path}[${i}].type`, `duplicate namespace type "${type}"`);
    seen.add(type);
    return { type: type as NamespaceType, path: optional(ns.path, `${path}[${i}].path`, absolutePathAt) };
  });
}

/** The runtime-spec's seccomp actions (config-linux.md). */
const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
];

function seccompActionAt(value: unknown, path: string): string {
  const action = stringAt(value, path);
  if (!SECCOMP_ACTIONS.includes(action)) throw new SpecError(path, `must be one of ${SECCOMP_ACTIONS.join(', ')}, got "${action}"`);
  return action;
}

/**
 * linux.seccomp is checked, not applied: it describes the system calls of a Linux process, and a unikernel makes
 * none — its guest talks to the monitor through hypercalls, and the monitor carries runcc's own filter.
 */
function checkSeccompAt(value: unknown, path: string): void {
  const s = objectAt(value, path);
  seccompActionAt(s.defaultAction, `${path}.defaultAction`);
  optional(s.architectures, `${path}.architectures`, stringArrayAt);
  optional(s.flags, `${path}.flags`, stringArrayAt);
  if (s.syscalls === undefined) return;
  if (!Array.isArray(s.syscalls)) throw new SpecError(`${path}.syscalls`, 'must be an array');
  s.syscalls.forEach((entry, i) => {
    const e = objectAt(entry, `${path}.syscalls[${i}]`);
    const names = stringArrayAt(e.names, `${path}.syscalls[${i}].names`);
    if (names.length === 0) throw new SpecError(`${path}.syscalls[${i}].names`, 'must name at least one system call');
    seccompActionAt(e.action, `${path}.syscalls[${i}].action`);
  });
}

function linuxAt(value: unknown, path: string): Linux {
  const l = objectAt(value, path);
  const linux: Linux = {
    namespaces: optional(l.namespaces, `${path}.namespaces`, namespacesAt),
    cgroupsPath: optional(l.cgroupsPath, `${path}.cgroupsPath`, stringAt),
  };
  if (l.seccomp !== undefined) checkSeccompAt(l.seccomp, `${path}.seccomp`);
  if (l.resources !== undefined) {
    const r = objectAt(l.resources, `${path}.resources`);
    linux.resources = {};
    if (r.memory !== undefined) {
      const m = objectAt(r.memory, `${path}.resources.memory`);
      linux.resources.memory = {
        limit: optional(m.limit, `${path}.resources.memory.limit`, (v, q) => integerAt(v, q, -1)),
        reservation: optional(m.reservation, `${path}.resources.memory.reservation`, (v, q) => integerAt(v, q, -1)),
        swap: optional(m.swap, `${path}.resources.memory.swap`, (v, q) => integerAt(v, q, -1)),
      };
    }
    if (r.cpu !== undefined) {
      const c = objectAt(r.cpu, `${path}.resources.cpu`);
      linux.resources.cpu = {
        shares: optional(c.shares, `${path}.resources.cpu.shares`, (v, q) => integerAt(v, q, 0)),
        quota: optional(c.quota, `${path}.resources.cpu.quota`, (v, q) => integerAt(v, q, -1)),
        period: optional(c.period, `${path}.resources.cpu.period`, (v, q) => integerAt(v, q, 0)),
      };
    }
    if (r.pids !== undefined) {
      const p = objectAt(r.pids, `${path}.resources.pids`);
      linux.resources.pids = { limit: optional(p.limit, `${path}.resources.pids.limit`, (v, q) => integerAt(v, q, -1)) };
    }
  }
  return linux;
}

/** Returns `json` as a typed Spec, or throws SpecError naming the first field that breaks a rule. */
export function validateSpec(json: unknown): Spec {
  const doc = objectAt(json, '');
  const ociVersion = stringAt(doc.ociVersion, 'ociVersion');
  if (!SEMVER.test(ociVersion)) throw new SpecError('ociVersion', `must be a SemVer version, got "${ociVersion}"`);
  const root = objectAt(doc.root, 'root');
  const rootPath = stringAt(root.path, 'root.path');
  if (rootPath === '') throw new SpecError('root.path', 'must not be empty');
  const spec: Spec = {
    ociVersion,
    root: { path: rootPath, readonly: optional(root.readonly, 'root.readonly', booleanAt) },
    process: optional(doc.process, 'process', processAt),
    hostname: optional(doc.hostname, 'hostname', stringAt),
    mounts: optional(doc.mounts, 'mounts', mountsAt),
    hooks: optional(doc.hooks, 'hooks', hooksAt),
    linux: optional(doc.linux, 'linux', linuxAt),
  };
  if (doc.annotations !== undefined) {
    const annotations = objectAt(doc.annotations, 'annotations');
    spec.annotations = {};
    for (const [key, value] of Object.entries(annotations)) {
      if (key === '') throw new SpecError('annotations', 'keys must not be empty');
      spec.annotations[key] = stringAt(value, `annotations.${key}`);
    }
  }
  return spec;
}
