import { KvmKind } from '../../../src/host/kvm-device';
import { CheckResult, HostProbe, canRunUnikernels, checkRequirements, formatResults } from '../../../src/check/requirements';

interface FakeMachine {
  kvm: KvmKind;
  module?: string;
  devices: Record<string, string | undefined>;
  commands: string[];
  files: Record<string, string>;
}

const GOOD: FakeMachine = {
  kvm: 'hardware',
  module: 'kvm_amd',
  devices: { '/dev/kvm': undefined, '/dev/net/tun': undefined },
  commands: ['ip', 'tc', 'nsenter', 'unshare', 'setpriv', 'runc'],
  files: { '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n' },
};

function probe(machine: FakeMachine): HostProbe {
  return {
    kvm: () => machine.kvm,
    kvmModule: () => machine.module,
    openError: (path) => (path in machine.devices ? machine.devices[path] : 'ENOENT'),
    command: (name) => (machine.commands.includes(name) ? `/usr/bin/${name}` : undefined),
    readFile: (path) => machine.files[path],
    exists: (path) => path in machine.files || machine.commands.some((name) => `/usr/bin/${name}` === path),
  };
}

function byName(results: CheckResult[], name: string): CheckResult {
  const result = results.find((r) => r.name === name);
  if (!result) throw new Error(`no check ${name}`);
  return result;
}

test('a machine with hardware KVM, a TUN device, iproute2 and util-linux can run unikernels; one line per check', () => {
  const results = checkRequirements(probe(GOOD));
  expect(results.map((r) => r.name)).toEqual([
    '/dev/kvm', '/dev/net/tun', 'ip', 'tc', 'nsenter', 'unshare', 'setpriv', 'cgroup v2', 'cgroup controllers', 'runc', 'docker', 'containerd',
  ]);
  expect(results.every((r) => r.ok)).toBe(true);
  expect(canRunUnikernels(results)).toBe(true);
  const text = formatResults(results);
  expect(text.split('\n').filter(Boolean)).toHaveLength(results.length + 1);
  expect(text).toContain('ok                 /dev/kvm: hardware-backed (kvm_amd)');
  expect(text).toMatch(/runcc can run unikernel containers here\n$/);
});

test.each([
  ['paravirtual', 'kvm_pvm', 'cannot run guests that use SSE'],
  ['absent', undefined, 'modprobe kvm_intel'],
  ['no-access', undefined, 'kvm group'],
] as const)('a %s /dev/kvm fails the check and says what to do', (kvm, module, hint) => {
  const results = checkRequirements(probe({ ...GOOD, kvm, module, devices: { ...GOOD.devices, '/dev/kvm': 'EACCES' } }));
  const check = byName(results, '/dev/kvm');
  expect(check.ok).toBe(false);
  expect(`${check.detail} ${check.fix}`).toContain(hint);
  expect(canRunUnikernels(results)).toBe(false);
  expect(formatResults(results)).toMatch(/^missing +\/dev\/kvm: /);
});

test('no TUN device, no tc, no nsenter: each is a required miss with its fix', () => {
  const results = checkRequirements(probe({ ...GOOD, devices: { '/dev/kvm': undefined }, commands: ['ip', 'unshare', 'setpriv', 'runc'] }));
  for (const name of ['/dev/net/tun', 'tc', 'nsenter']) {
    expect(byName(results, name)).toMatchObject({ ok: false, required: true });
    expect(byName(results, name).fix).toBeTruthy();
  }
  expect(canRunUnikernels(results)).toBe(false);
});

test('cgroup v1, missing controllers, runc and unregistered engines are reported but do not stop unikernels', () => {
  const noV2 = checkRequirements(probe({ ...GOOD, files: {}, commands: ['ip', 'tc', 'nsenter', 'unshare', 'setpriv', 'dockerd', 'containerd'] }));
  expect(byName(noV2, 'cgroup v2')).toMatchObject({ ok: false, required: false });
  expect(byName(noV2, 'runc')).toMatchObject({ ok: false, required: false });
  expect(byName(noV2, 'docker')).toMatchObject({ ok: false, fix: 'runcc install --docker, then reload dockerd' });
  expect(byName(noV2, 'containerd').ok).toBe(false);
  expect(canRunUnikernels(noV2)).toBe(true);
  const fewControllers = checkRequirements(probe({ ...GOOD, files: { '/sys/fs/cgroup/cgroup.controllers': 'cpu io\n' } }));
  expect(byName(fewControllers, 'cgroup controllers')).toMatchObject({ ok: false, detail: expect.stringContaining('memory, pids') });
});

test('engine registration: a registered runcc that exists is ok, one whose file is gone is not', () => {
  const registered = (path: string): FakeMachine => ({
    ...GOOD,
    commands: [...GOOD.commands, 'dockerd', 'containerd', 'runcc'],
    files: {
      ...GOOD.files,
      '/etc/docker/daemon.json': JSON.stringify({ runtimes: { runcc: { path } } }),
      '/etc/containerd/config.toml': `version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runcc]\n  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runcc.options]\n    BinaryName = "${path}"\n`,
    },
  });
  const ok = checkRequirements(probe(registered('/usr/bin/runcc')));
  expect(byName(ok, 'docker')).toMatchObject({ ok: true, detail: 'runtime runcc → /usr/bin/runcc' });
  expect(byName(ok, 'containerd')).toMatchObject({ ok: true, detail: 'CRI runtime runcc → /usr/bin/runcc' });
  const stale = checkRequirements(probe(registered('/opt/gone/runcc')));
  expect(byName(stale, 'docker')).toMatchObject({ ok: false, detail: expect.stringContaining('does not exist') });
  expect(byName(stale, 'containerd')).toMatchObject({ ok: false, detail: expect.stringContaining('does not exist') });
  const broken = checkRequirements(probe({ ...registered('/usr/bin/runcc'), files: { ...GOOD.files, '/etc/docker/daemon.json': '{' } }));
  expect(byName(broken, 'docker').detail).toContain('not valid JSON');
});
