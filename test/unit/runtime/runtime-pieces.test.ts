// Runtime building blocks that need no KVM: IDs, signals, namespaces, cgroups, paths, state files, memory.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathInRootfs } from '../../../src/runtime/bundle';
import { cgroupDir, cgroupLimits } from '../../../src/runtime/cgroup';
import { validateContainerId } from '../../../src/runtime/container-id';
import { namespacePrefix } from '../../../src/runtime/monitor-launch';
import { MONITOR_HEADROOM_MIB, guestMemMiB } from '../../../src/runtime/operations/create';
import { parseSignal } from '../../../src/runtime/operations/kill';
import { identify, isAlive } from '../../../src/runtime/process-identity';
import { StateStore, writeFileAtomic } from '../../../src/runtime/state-store';
import { liveStatus } from '../../../src/runtime/container-status';
import { Bundle } from '../../../src/runtime/bundle';

test.each(['abc', 'a.b_c+d-1', 'X'])('container ID %s is valid', (id) => {
  expect(validateContainerId(id)).toBe(id);
});

test.each(['', 'a/b', '..', '.', 'a b', 'é'])('container ID %j is refused with runc’s message', (id) => {
  expect(() => validateContainerId(id)).toThrow('invalid container ID format');
});

test.each([
  ['9', 9],
  ['15', 15],
  ['KILL', 9],
  ['SIGTERM', 15],
  ['sigint', 2],
  ['hup', 1],
])('signal %s is %i', (text, number) => {
  expect(parseSignal(text)).toBe(number);
});

test.each(['0', '99', 'SIGNOPE', ''])('signal %j is refused', (text) => {
  expect(() => parseSignal(text)).toThrow(`unknown signal "${text}"`);
});

test('namespaces: join those with a path (nsenter), create those without (unshare); others are not applied', () => {
  expect(namespacePrefix(undefined)).toEqual([]);
  expect(namespacePrefix([{ type: 'network' }, { type: 'mount' }, { type: 'pid' }])).toEqual(['unshare', '--net', '--']);
  expect(namespacePrefix([{ type: 'network', path: '/var/run/netns/a' }, { type: 'uts' }, { type: 'ipc', path: '/proc/1/ns/ipc' }])).toEqual([
    'nsenter', '--net=/var/run/netns/a', '--ipc=/proc/1/ns/ipc', '--', 'unshare', '--uts', '--',
  ]);
});

test('cgroup paths: absolute, relative (under runcc/) and systemd slice:prefix:name', () => {
  expect(cgroupDir('/docker/abc', false, 'abc')).toBe('/sys/fs/cgroup/docker/abc');
  expect(cgroupDir('k8s/pod1', false, 'c')).toBe('/sys/fs/cgroup/runcc/k8s/pod1');
  expect(cgroupDir('system.slice:docker:abc', true, 'abc')).toBe('/sys/fs/cgroup/system.slice/docker-abc.scope');
});

test('paths inside the rootfs cannot escape it', () => {
  expect(pathInRootfs('/b/rootfs', '/k.hvt')).toBe('/b/rootfs/k.hvt');
  expect(pathInRootfs('/b/rootfs', 'dir/../k.hvt')).toBe('/b/rootfs/k.hvt');
  expect(pathInRootfs('/b/rootfs', '../../etc/passwd')).toBe('/b/rootfs/etc/passwd');
});

test('guest memory is what linux.resources.memory.limit leaves after the monitor, in MiB; else 512', () => {
  const withLimit = (limit?: number): Bundle =>
    ({ path: '/b', rootfs: '/b/rootfs', spec: { ociVersion: '1.2.0', root: { path: 'rootfs' }, linux: { resources: { memory: { limit } } } } }) as Bundle;
  expect(guestMemMiB(withLimit(64 * 1024 * 1024))).toBe(64 - MONITOR_HEADROOM_MIB);
  expect(guestMemMiB(withLimit(100 * 1024 * 1024 + 5))).toBe(100 - MONITOR_HEADROOM_MIB);
  expect(guestMemMiB(withLimit(-1))).toBe(512);
  expect(guestMemMiB(withLimit(undefined))).toBe(512);
  expect(guestMemMiB(withLimit((MONITOR_HEADROOM_MIB + 2) * 1024 * 1024))).toBe(2);
  expect(() => guestMemMiB(withLimit(MONITOR_HEADROOM_MIB * 1024 * 1024))).toThrow(
    `linux.resources.memory.limit: ${MONITOR_HEADROOM_MIB * 1024 * 1024} bytes leaves no room for the guest: the monitor takes ${MONITOR_HEADROOM_MIB} MiB of it; give at least ${MONITOR_HEADROOM_MIB + 2} MiB`,
  );
});

test('cgroupsPath stays inside the cgroup hierarchy; resources become cgroup v2 limits as runc writes them', () => {
  expect(cgroupDir('/kubepods/pod1/c1', false, 'c1')).toBe('/sys/fs/cgroup/kubepods/pod1/c1');
  expect(cgroupDir('c1', false, 'c1')).toBe('/sys/fs/cgroup/runcc/c1');
  expect(cgroupDir('system.slice:docker:abc', true, 'abc')).toBe('/sys/fs/cgroup/system.slice/docker-abc.scope');
  expect(() => cgroupDir('/../../etc', false, 'x')).toThrow('linux.cgroupsPath: "/../../etc" must not contain ".."');
  expect(() => cgroupDir('a/../../b', false, 'x')).toThrow('must not contain ".."');
  expect(() => cgroupDir('system.slice:..:x', true, 'x')).not.toThrow(); // "..-x.scope" is a name, not a step up
  expect(() => cgroupDir('/', false, 'x')).toThrow('linux.cgroupsPath: "/" names no cgroup below /sys/fs/cgroup');
  expect(cgroupLimits({ memory: { limit: 64 << 20, swap: 96 << 20 }, cpu: { quota: 50_000, period: 100_000, shares: 1024 }, pids: { limit: 32 } })).toEqual([
    ['memory.max', String(64 << 20)],
    ['memory.swap.max', String(32 << 20)],
    ['cpu.max', '50000 100000'],
    ['cpu.weight', '39'],
    ['pids.max', '32'],
  ]);
  expect(cgroupLimits({ cpu: { quota: -1, shares: 2 }, pids: { limit: -1 } })).toEqual([['cpu.weight', '1'], ['pids.max', 'max']]);
  expect(cgroupLimits(undefined)).toEqual([]);
});

test('a process is identified by pid and start time', () => {
  const self = identify(process.pid)!;
  expect(isAlive(self)).toBe(true);
  expect(isAlive({ pid: process.pid, startTime: self.startTime + 1 })).toBe(false);
  expect(identify(2 ** 22 + 12345)).toBeUndefined();
});

describe('StateStore', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'runcc-store-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('claims an ID once, saves and loads a record atomically, lists and removes', () => {
    const store = new StateStore(root);
    const record = { id: 'c1', bundle: '/b', rootfs: '/b/rootfs', created: '2026-01-01T00:00:00.000Z', annotations: {}, hooks: {} };
    // The placeholder names the creating process: while it lives the container is "creating", runcc's, not runc's.
    const placeholder = { ...record, creator: identify(process.pid)! };
    store.claim(placeholder);
    expect(() => store.claim(placeholder)).toThrow('container with given ID already exists');
    expect(store.load('c1')).toEqual(placeholder);
    expect(liveStatus(store, store.load('c1'))).toBe('creating');
    expect(liveStatus(store, { ...placeholder, creator: { pid: process.pid, startTime: 1 } })).toBe('stopped');
    expect(store.isDelegated('c1')).toBe(false);
    store.save(record);
    expect(store.load('c1')).toEqual(record);
    expect(readdirSync(join(root, 'c1'))).toEqual(['runcc.json']);
    expect(store.ids()).toEqual(['c1']);
    mkdirSync(join(root, 'by-runc'));
    expect(store.isDelegated('by-runc')).toBe(true);
    expect(store.isDelegated('c1')).toBe(false);
    store.remove('c1');
    expect(store.ids()).toEqual([]);
  });

  test('refuses / as root', () => {
    expect(() => new StateStore('/')).toThrow('--root must not be /');
  });

  test('writeFileAtomic leaves only the final file', () => {
    writeFileAtomic(join(root, 'pid'), '1234');
    expect(readFileSync(join(root, 'pid'), 'utf8')).toBe('1234');
    expect(readdirSync(root)).toEqual(['pid']);
  });
});
