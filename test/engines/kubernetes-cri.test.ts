// Kubernetes' path, for real: containerd 1.6's CRI service with a `runcc` runtime handler (config.toml, what a
// RuntimeClass names), driven over gRPC as kubelet drives it. The pod sandbox (a pause container) goes to runc
// through runcc's delegation; the unikernel container joins the pod's CNI network namespace and the pod IP
// answers ping from the host.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage as buildImageFromFile } from '../../src/image/image-build';
import { CriClient } from '../../scripts/engines/cri/cri-client';
import { buildImage, env, ok, ping, runccContainers, waitUntil } from '../../scripts/engines/engine-tools';

jest.setTimeout(180_000 * env.slowdown / 2);

/** The shim's runc root for CRI's `k8s.io` namespace: runcc's state, and runc's for the delegated pause container. */
const stateRoot = '/run/containerd/runc/k8s.io';
let work: string;
let cri: CriClient;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'runcc-cri-'));
  const pauseBinary = join(work, 'pause');
  execFileSync('gcc', ['-static', '-O2', '-o', pauseBinary, join(__dirname, 'fixtures/pause.c')]);
  const pauseTar = join(work, 'pause.tar');
  // The pause image is an ordinary program: the image writer does not care what it packs.
  await buildImageFromFile({ kernelPath: pauseBinary, args: [], blocks: [], annotations: {}, reference: env.pauseImage, output: pauseTar });
  const responderTar = buildImage(work, 'net-responder', 'runcc.test/net-responder:1');
  for (const image of [pauseTar, responderTar]) ok([env.ctr, '--address', env.containerdSocket, '-n', 'k8s.io', 'image', 'import', image]);
  cri = new CriClient(env.containerdSocket);
});
afterAll(() => {
  cri?.close();
  rmSync(work, { recursive: true, force: true });
});

test('the CRI service is up, with the runtime handler and CNI ready', async () => {
  const version = await cri.call('Version', { version: 'v1' });
  expect(version.runtimeName).toBe('containerd');
  const status = await cri.call('Status', {});
  const conditions = Object.fromEntries(status.status.conditions.map((c: { type: string; status: boolean }) => [c.type, c.status]));
  expect(conditions).toEqual({ RuntimeReady: true, NetworkReady: true });
});

test('RunPodSandbox with runtime_handler runcc, a unikernel container in it, pinged at the pod IP, then torn down', async () => {
  const logDirectory = join(env.dir, 'pods/unikernel-pod');
  mkdirSync(logDirectory, { recursive: true });
  const sandboxConfig = {
    metadata: { name: 'unikernel-pod', uid: 'pod-uid-1', namespace: 'default', attempt: 0 },
    hostname: 'unikernel-pod',
    logDirectory,
    linux: {},
  };
  const { podSandboxId } = await cri.call('RunPodSandbox', { config: sandboxConfig, runtimeHandler: 'runcc' });
  const pod = (await cri.call('PodSandboxStatus', { podSandboxId })).status;
  expect(pod).toMatchObject({ state: 'SANDBOX_READY', runtimeHandler: 'runcc' });
  const podIp: string = pod.network.ip;
  expect(podIp).toMatch(/^10\.91\.0\.\d+$/);
  // The pause container is no unikernel: runcc handed it to runc, whose state it is.
  expect(ok(['/usr/sbin/runc', '--root', stateRoot, 'list', '-q'])).toContain(podSandboxId);
  expect(runccContainers(stateRoot)).toEqual([]);

  const { containerId } = await cri.call('CreateContainer', {
    podSandboxId,
    config: {
      metadata: { name: 'responder', attempt: 0 },
      image: { image: 'runcc.test/net-responder:1' },
      logPath: 'responder.log',
      linux: { resources: { memoryLimitInBytes: 64 * 1024 * 1024 } },
    },
    sandboxConfig,
  });
  await cri.call('StartContainer', { containerId });
  expect((await cri.call('ContainerStatus', { containerId })).status.state).toBe('CONTAINER_RUNNING');
  expect(runccContainers(stateRoot)).toEqual([containerId]);
  const log = join(logDirectory, 'responder.log');
  await waitUntil('the guest to be ready', () => existsSync(log) && readFileSync(log, 'utf8').includes('ready'), 60_000 * env.slowdown);
  // CRI log lines: "<time> stdout F <text>".
  expect(readFileSync(log, 'utf8')).toMatch(new RegExp(`stdout F service0: MAC ([0-9a-f]{2}:){5}[0-9a-f]{2}, MTU is 1500, address ${podIp.replace(/\./g, '\\.')}\n`));
  expect(ping(podIp, 5)).toBe(5);
  // The guest itself answered the five: it reports its count once traffic stops.
  await waitUntil('the guest to report its echo count', () => readFileSync(log, 'utf8').includes('stdout F answered 5 echo requests so far\n'), 30_000 * env.slowdown);

  await cri.call('StopContainer', { containerId, timeout: 10 });
  const stopped = (await cri.call('ContainerStatus', { containerId })).status;
  expect(stopped).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 1 });
  await cri.call('RemoveContainer', { containerId });
  await cri.call('StopPodSandbox', { podSandboxId });
  await cri.call('RemovePodSandbox', { podSandboxId });
  expect(runccContainers(stateRoot)).toEqual([]);
  expect(ok(['/usr/sbin/runc', '--root', stateRoot, 'list', '-q']).trim()).toBe('');
  // No TAP is left on the host either (the pod's netns is gone with the pod).
  expect(readFileSync('/proc/net/dev', 'utf8')).not.toMatch(/rcc[0-9a-f]{8}n\d/);
});
