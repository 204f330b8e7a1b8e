import { SpecError } from '../../../src/oci/spec-error';
import { validateSpec } from '../../../src/oci/spec-validation';

const VALID = {
  ociVersion: '1.2.0',
  root: { path: 'rootfs', readonly: true },
  process: { args: ['/hello.hvt', 'Hello'], cwd: '/', env: ['PATH=/bin', 'A=b=c'], terminal: false, user: { uid: 0, gid: 0 } },
  hostname: 'uk',
  mounts: [{ destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid'] }],
  hooks: { prestart: [{ path: '/usr/bin/libnetwork-setkey', args: ['libnetwork-setkey', '-exec-root=/var/run/docker'], timeout: 5 }] },
  annotations: { 'org.runcc.memory': '64' },
  linux: {
    namespaces: [{ type: 'network', path: '/var/run/netns/x' }, { type: 'mount' }],
    cgroupsPath: '/docker/abc',
    resources: { memory: { limit: 67108864 } },
  },
  unknownProperty: { ignored: true },
};

function problem(mutate: (doc: any) => void): string {
  const doc = JSON.parse(JSON.stringify(VALID));
  mutate(doc);
  try {
    validateSpec(doc);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('validateSpec', () => {
  test('accepts a complete config and ignores unknown properties', () => {
    const spec = validateSpec(JSON.parse(JSON.stringify(VALID)));
    expect(spec.process?.args).toEqual(['/hello.hvt', 'Hello']);
    expect(spec.linux?.namespaces).toEqual([{ type: 'network', path: '/var/run/netns/x' }, { type: 'mount', path: undefined }]);
    expect(spec.linux?.resources?.memory?.limit).toBe(67108864);
    expect(spec.annotations).toEqual({ 'org.runcc.memory': '64' });
    expect(spec).not.toHaveProperty('unknownProperty');
  });

  test('process is optional at create', () => {
    expect(validateSpec({ ociVersion: '1.0.2-dev', root: { path: '/abs/rootfs' } }).process).toBeUndefined();
  });

  test.each<[string, (doc: any) => void, string]>([
    ['no ociVersion', (d) => delete d.ociVersion, 'ociVersion: must be a string'],
    ['a non-SemVer ociVersion', (d) => (d.ociVersion = '1.2'), 'ociVersion: must be a SemVer version, got "1.2"'],
    ['no root', (d) => delete d.root, 'root: must be an object'],
    ['an empty root.path', (d) => (d.root.path = ''), 'root.path: must not be empty'],
    ['empty process.args', (d) => (d.process.args = []), 'process.args: must be a non-empty array'],
    ['a number in process.args', (d) => (d.process.args = ['/a', 3]), 'process.args[1]: must be a string'],
    ['a relative cwd', (d) => (d.process.cwd = 'tmp'), 'process.cwd: must be an absolute path, got "tmp"'],
    ['an env entry without =', (d) => (d.process.env = ['PATH']), 'process.env[0]: must be KEY=VALUE, got "PATH"'],
    ['a negative uid', (d) => (d.process.user.uid = -1), 'process.user.uid: must be a non-negative integer'],
    ['a string terminal', (d) => (d.process.terminal = 'yes'), 'process.terminal: must be a boolean'],
    [
      'duplicate rlimits',
      (d) => (d.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 }]),
      'process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE"',
    ],
    ['an unknown rlimit', (d) => (d.process.rlimits = [{ type: 'NOFILE', soft: 1, hard: 1 }]), 'process.rlimits[0].type: unknown rlimit "NOFILE"'],
    ['a relative mount destination', (d) => (d.mounts[0].destination = 'proc'), 'mounts[0].destination: must be an absolute path, got "proc"'],
    ['a relative hook path', (d) => (d.hooks.prestart[0].path = 'hook'), 'hooks.prestart[0].path: must be an absolute path, got "hook"'],
    ['a zero hook timeout', (d) => (d.hooks.prestart[0].timeout = 0), 'hooks.prestart[0].timeout: must be a positive integer'],
    ['hooks that are not a list', (d) => (d.hooks.poststop = {}), 'hooks.poststop: must be an array'],
    ['a non-string annotation', (d) => (d.annotations.x = 1), 'annotations.x: must be a string'],
    ['an unknown namespace type', (d) => d.linux.namespaces.push({ type: 'net' }), 'linux.namespaces[2].type: unknown namespace type "net"'],
    ['a duplicate namespace', (d) => d.linux.namespaces.push({ type: 'mount' }), 'linux.namespaces[2].type: duplicate namespace type "mount"'],
    ['a relative namespace path', (d) => (d.linux.namespaces[0].path = 'netns'), 'linux.namespaces[0].path: must be an absolute path, got "netns"'],
    ['a fractional memory limit', (d) => (d.linux.resources.memory.limit = 1.5), 'linux.resources.memory.limit: must be an integer'],
  ])('refuses %s', (_what, mutate, message) => {
    expect(problem(mutate)).toBe(message);
  });

  test('refuses a document that is not an object', () => {
    expect(() => validateSpec([])).toThrow(new SpecError('', 'must be an object'));
  });

  test('linux.seccomp is validated (not applied: a unikernel makes no system calls)', () => {
    const docker = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] };
    expect(() => validateSpec({ ...JSON.parse(JSON.stringify(VALID)), linux: { seccomp: docker } })).not.toThrow();
    expect(problem((d) => (d.linux.seccomp = { ...docker, defaultAction: 'ALLOW' }))).toBe(
      'linux.seccomp.defaultAction: must be one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY, got "ALLOW"',
    );
    expect(problem((d) => (d.linux.seccomp = { ...docker, syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }))).toBe(
      'linux.seccomp.syscalls[0].names: must name at least one system call',
    );
    expect(problem((d) => (d.linux.seccomp = { ...docker, syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOPE' }] }))).toMatch(/^linux\.seccomp\.syscalls\[0\]\.action: must be one of/);
    expect(problem((d) => (d.linux.seccomp = 'unconfined'))).toBe('linux.seccomp: must be an object');
  });
});
