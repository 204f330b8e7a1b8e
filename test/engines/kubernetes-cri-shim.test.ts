// Kubernetes' path through runcc's own shim v2: containerd 1.6's CRI service with the handler runcc-shim
// (runtime_type io.containerd.runcc.v2), driven over gRPC as kubelet drives it. One shim serves the whole pod; the
// sandbox is held without any process; the unikernel's monitor is the spare the shim booted in the pod's network
// namespace when the sandbox was created; it answers ping at the pod IP; a Linux sidecar of the same pod runs
// through runc in the pod's network namespace; ContainerStats reads the unikernel's cgroup; nothing is left.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage as buildImageFromFile } from '../../src/image/image-build';
import { socketPath } from '../../src/shim/address';
import { CriClient } from '../../scripts/engines/cri/cri-client';
import { bootedSpares, buildImage, ctr, env, ok, ping, run, runccContainers, waitUntil } from '../../scripts/engines/engine-tools';

jest.setTimeout(180_000 * env.slowdown / 2);

const shimRoot = '/run/containerd/runcc/k8s.io';
const runcRoot = '/run/containerd/runcc-runc/k8s.io';
let work: string;
let cri: CriClient;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'runcc-cri-shim-'));
  const pauseBinary = join(work, 'pause');
  execFileSync('gcc', ['-static', '-O2', '-o', pauseBinary, join(__dirname, 'fixtures/pause.c')]);
  const pauseTar = join(work, 'pause.tar');
  await buildImageFromFile({ kernelPath: pauseBinary, args: [], blocks: [], annotations: {}, reference: env.pauseImage, output: pauseTar });
  const responderTar = buildImage(work, 'net-responder', 'runcc.test/net-responder:shim');
  for (const image of [pauseTar, responderTar]) ok([env.ctr, '--address', env.containerdSocket, '-n', 'k8s.io', 'image', 'import', image]);
  cri = new CriClient(env.containerdSocket);
});
afterAll(() => {
  cri?.close();
  rmSync(work, { recursive: true, force: true });
});

function shimPids(): number[] {
  return run(['pgrep', '-f', 'containerd-shim-runcc-v2.js -namespace k8s.io ']).stdout.split('\n').filter(Boolean).map(Number);
}

/** Field 22 of /proc/PID/stat: the process's start time, which a new process with a recycled pid would not share. */
function startTime(pid: number): string | undefined {
  return existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19] : undefined;
}

function taskPid(id: string): number {
  const line = ctr('-n', 'k8s.io', 'task', 'ls').stdout.split('\n').find((l) => l.startsWith(`${id} `));
  return Number(line?.trim().split(/\s+/)[1]);
}

test('a pod on runcc-shim: one shim, no pause process, a unikernel pinged at the pod IP, a runc sidecar, stats, teardown', async () => {
  const logDirectory = join(env.dir, 'pods/shim-pod');
  mkdirSync(logDirectory, { recursive: true });
  const sandboxConfig = {
    metadata: { name: 'shim-pod', uid: 'pod-uid-shim', namespace: 'default', attempt: 0 },
    hostname: 'shim-pod',
    logDirectory,
    linux: {},
  };
  const { podSandboxId } = await cri.call('RunPodSandbox', { config: sandboxConfig, runtimeHandler: 'runcc-shim' });
  const pod = (await cri.call('PodSandboxStatus', { podSandboxId })).status;
  expect(pod).toMatchObject({ state: 'SANDBOX_READY', runtimeHandler: 'runcc-shim' });
  const podIp: string = pod.network.ip;
  expect(podIp).toMatch(/^10\.91\.0\.\d+$/);
  // The sandbox task's pid is the shim itself: no pause process, no runc container for it.
  const shims = shimPids();
  expect(shims).toHaveLength(1);
  expect(taskPid(podSandboxId)).toBe(shims[0]);
  expect(run(['pgrep', '-f', '/unikernel/pause']).stdout).toBe('');
  expect(existsSync(join(runcRoot, podSandboxId))).toBe(false);
  // The pod's spare: a monitor the shim started in the pod's network namespace when the sandbox was created, before
  // any container of the pod was asked for.
  const children = (): number[] => run(['pgrep', '-P', String(shims[0])]).stdout.split('\n').filter(Boolean).map(Number);
  await waitUntil('the pod’s spare monitor', () => children().length === 1, 60_000 * env.slowdown);
  const [spare] = children();
  expect(readFileSync(`/proc/${spare}/cmdline`, 'utf8')).toContain('container-monitor.js');
  const spareStart = startTime(spare);
  expect(statSync(`/proc/${spare}/ns/net`).ino).not.toBe(statSync('/proc/self/ns/net').ino);

  const { containerId } = await cri.call('CreateContainer', {
    podSandboxId,
    config: {
      metadata: { name: 'responder', attempt: 0 },
      image: { image: 'runcc.test/net-responder:shim' },
      logPath: 'responder.log',
      linux: { resources: { memoryLimitInBytes: 64 * 1024 * 1024 } },
    },
    sandboxConfig,
  });
  await cri.call('StartContainer', { containerId });
  expect((await cri.call('ContainerStatus', { containerId })).status.state).toBe('CONTAINER_RUNNING');
  // A warm create: the container's monitor is that spare, the same process (pid and start time) as before the create.
  expect({ pid: taskPid(containerId), start: startTime(taskPid(containerId)) }).toEqual({ pid: spare, start: spareStart });
  expect(runccContainers(shimRoot)).toEqual([containerId]);
  const log = join(logDirectory, 'responder.log');
  await waitUntil('the guest to be ready', () => existsSync(log) && readFileSync(log, 'utf8').includes('ready'), 60_000 * env.slowdown);
  expect(readFileSync(log, 'utf8')).toMatch(new RegExp(`stdout F service0: MAC ([0-9a-f]{2}:){5}[0-9a-f]{2}, MTU is 1500, address ${podIp.replace(/\./g, '\\.')}\n`));
  expect(ping(podIp, 5)).toBe(5);

  // A Linux sidecar (the pause program as an ordinary container), through runc, in the pod's network namespace.
  const { containerId: sidecarId } = await cri.call('CreateContainer', {
    podSandboxId,
    config: { metadata: { name: 'sidecar', attempt: 0 }, image: { image: env.pauseImage }, logPath: 'sidecar.log', linux: {} },
    sandboxConfig,
  });
  await cri.call('StartContainer', { containerId: sidecarId });
  expect((await cri.call('ContainerStatus', { containerId: sidecarId })).status.state).toBe('CONTAINER_RUNNING');
  expect(shimPids()).toEqual(shims);
  const sidecarPid = taskPid(sidecarId);
  expect(JSON.parse(ok(['/usr/sbin/runc', '--root', runcRoot, 'state', sidecarId])).pid).toBe(sidecarPid);
  const netnsOfUnikernel = statSync(`/proc/${taskPid(containerId)}/ns/net`).ino;
  expect(statSync(`/proc/${sidecarPid}/ns/net`).ino).toBe(netnsOfUnikernel);
  expect(netnsOfUnikernel).not.toBe(statSync('/proc/self/ns/net').ino);

  const stats = (await cri.call('ContainerStats', { containerId })).stats;
  expect(stats.memory.workingSetBytes.value).toBeGreaterThan(1 << 20);
  expect(stats.cpu.usageCoreNanoSeconds.value).toBeGreaterThan(0);

  await cri.call('StopContainer', { containerId: sidecarId, timeout: 10 });
  expect((await cri.call('ContainerStatus', { containerId: sidecarId })).status).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 0 });
  await cri.call('StopContainer', { containerId, timeout: 10 });
  expect((await cri.call('ContainerStatus', { containerId })).status).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 1 });
  await cri.call('RemoveContainer', { containerId: sidecarId });
  await cri.call('RemoveContainer', { containerId });
  // The sandbox still holds the shim: it stays for it.
  expect(shimPids()).toEqual(shims);
  await cri.call('StopPodSandbox', { podSandboxId });
  await cri.call('RemovePodSandbox', { podSandboxId });

  await waitUntil('the shim to exit', () => shimPids().length === 0, 20_000 * env.slowdown);
  expect(existsSync(shimRoot) ? readdirSync(shimRoot) : []).toEqual([]);
  expect(ok(['/usr/sbin/runc', '--root', runcRoot, 'list', '-q']).trim()).toBe('');
  expect(existsSync(socketPath(env.containerdSocket, 'k8s.io', podSandboxId))).toBe(false);
  expect(readFileSync('/proc/net/dev', 'utf8')).not.toMatch(/rcc[0-9a-f]{8}n\d/);
  for (const id of [podSandboxId, containerId, sidecarId]) expect(existsSync(join(env.dir, 'containerd/state/io.containerd.runtime.v2.task/k8s.io', id))).toBe(false);
});

test('two pods on runcc-shared (shared_shim = 1, one pool spare, no pod spare): one shim for both; each pod\'s unikernel is a pool spare booted before its CreateContainer, in a network namespace of its own, wired by the shim in its pod\'s and answering at its pod IP; the shim stays after them', async () => {
  const pods: { podSandboxId: string; containerId: string; podIp: string; podNetns: string; monitor: number; log: string }[] = [];
  const startTime = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19];
  for (const name of ['shared-a', 'shared-b']) {
    const logDirectory = join(env.dir, `pods/${name}`);
    mkdirSync(logDirectory, { recursive: true });
    const sandboxConfig = { metadata: { name, uid: `pod-uid-${name}`, namespace: 'default', attempt: 0 }, hostname: name, logDirectory, linux: {} };
    const { podSandboxId } = await cri.call('RunPodSandbox', { config: sandboxConfig, runtimeHandler: 'runcc-shared' });
    const podIp: string = (await cri.call('PodSandboxStatus', { podSandboxId })).status.network.ip;
    const [shim] = shimPids();
    await waitUntil('the pool\'s spare to boot', () => bootedSpares(shim, pods.map((pod) => pod.monitor)).length === 1, 60_000 * env.slowdown);
    const [spare] = bootedSpares(shim, pods.map((pod) => pod.monitor));
    const spareStart = startTime(spare);
    const { containerId } = await cri.call('CreateContainer', {
      podSandboxId,
      config: { metadata: { name: 'responder', attempt: 0 }, image: { image: 'runcc.test/net-responder:shim' }, logPath: 'responder.log', linux: {} },
      sandboxConfig,
    });
    await cri.call('StartContainer', { containerId });
    // The container's monitor is that spare, which existed before CreateContainer.
    expect({ monitor: taskPid(containerId), start: startTime(spare) }).toEqual({ monitor: spare, start: spareStart });
    const spec = JSON.parse(readFileSync(join(env.dir, 'containerd/state/io.containerd.runtime.v2.task/k8s.io', containerId, 'config.json'), 'utf8'));
    const podNetns: string = spec.linux.namespaces.find((ns: { type: string }) => ns.type === 'network').path;
    pods.push({ podSandboxId, containerId, podIp, podNetns, monitor: spare, log: join(logDirectory, 'responder.log') });
  }
  // One shim process serves both pods, and is both sandboxes' task (no pause process).
  const shims = shimPids();
  expect(shims).toHaveLength(1);
  expect(pods.map((pod) => taskPid(pod.podSandboxId))).toEqual([shims[0], shims[0]]);
  expect(run(['pgrep', '-f', '/unikernel/pause']).stdout).toBe('');
  // Two pods, two network namespaces; each monitor is in one of its own, neither pod's nor the host's.
  const podNetns = pods.map((pod) => statSync(pod.podNetns).ino);
  const monitorNetns = pods.map((pod) => statSync(`/proc/${pod.monitor}/ns/net`).ino);
  expect(new Set([...podNetns, ...monitorNetns, statSync('/proc/self/ns/net').ino]).size).toBe(5);
  expect(pods[0].podIp).not.toBe(pods[1].podIp);
  for (const pod of pods) {
    await waitUntil('the guest to be ready', () => existsSync(pod.log) && readFileSync(pod.log, 'utf8').includes('ready'), 60_000 * env.slowdown);
    // The guest was given its own pod's address (by the shim, which wired it), and answers there.
    expect(readFileSync(pod.log, 'utf8')).toContain(`address ${pod.podIp}\n`);
    expect(ping(pod.podIp, 3)).toBe(3);
    // The TAP is in the pod's namespace, redirected to and from its eth0.
    expect(run(['nsenter', `--net=${pod.podNetns}`, 'tc', 'filter', 'show', 'dev', 'eth0', 'ingress']).stdout).toMatch(/Redirect to device rcc[0-9a-f]{8}n0\b/);
  }
  for (const pod of pods) {
    await cri.call('StopContainer', { containerId: pod.containerId, timeout: 10 });
    await cri.call('RemoveContainer', { containerId: pod.containerId });
    await cri.call('StopPodSandbox', { podSandboxId: pod.podSandboxId });
    await cri.call('RemovePodSandbox', { podSandboxId: pod.podSandboxId });
  }
  // Both pods are gone: the shim stays (shared_shim_idle_s), holding nothing of theirs; SIGTERM ends it.
  expect(shimPids()).toEqual(shims);
  expect(existsSync(shimRoot) ? readdirSync(shimRoot) : []).toEqual([]);
  process.kill(shims[0], 'SIGTERM');
  await waitUntil('the shim to exit', () => shimPids().length === 0, 20_000 * env.slowdown);
  expect(ok(['/usr/sbin/runc', '--root', runcRoot, 'list', '-q']).trim()).toBe('');
  expect(readFileSync('/proc/net/dev', 'utf8')).not.toMatch(/rcc[0-9a-f]{8}n\d/);
  expect(run(['pgrep', '-f', 'container-monitor']).stdout).toBe('');
});
