// The engine targets, measured side by side in one run against the real dockerd and containerd (started as the
// engine tests start them, scripts/engines/): interleaved rounds, medians, each printed with its ratio. Not a test:
// nothing fails. Needs root, the engine packages and real KVM (run it through with-kvm).
//   - `docker run --rm --runtime=runcc` of hello vs `docker run --rm` (runc) of a static Linux hello: ≤ 1.2×
//   - `docker stop` of a running unikernel (time, asleep in POLL for an hour; spin where this KVM cannot run time,
//     as a paravirtual one cannot) vs of a Linux process that exits on SIGTERM: ≤ 1.2×
//   - `ctr run --rm` of hello through runcc's shim (io.containerd.runcc.v2; a shim per container, and the shared
//     shim with one spare), and through containerd's runc shim calling runcc, vs runc's static Linux hello: the shim
//     at or below runc's time
//   - a CRI pod started until its container is RUNNING (RunPodSandbox, CreateContainer, StartContainer, as kubelet
//     calls them): handlers runcc-shim and runcc-shared with the running unikernel vs handler runc with pause + a
//     static Linux process: at or below runc's time; and, in the runcc-shim pod, the shim's and the guest monitor's
//     USS/PSS
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage as buildImageFromFile } from '../../src/image/image-build';
import { startEngines, stopEngines } from '../engines/engine-daemons';
import { buildImage, ctr, docker, env, holdsVcpu, ok, sharedShims, unikernel } from '../engines/engine-tools';
import { CriClient } from '../engines/cri/cri-client';
import { Footprint, TargetRow, footprint, targetTable } from './targets-bench';
import { median } from './bench-stats';

const RUNS = Number(process.env.RUNCC_BENCH_ENGINE_RUNS ?? 5);
/** RUNCC_BENCH_ENGINE_ONLY=docker,ctr,cri (any of them): only those rows, where a run has little time. */
const ONLY = new Set((process.env.RUNCC_BENCH_ENGINE_ONLY ?? 'docker,ctr,cri').split(',').map((group) => group.trim()));
const MiB = 1024 * 1024;
const RUNCC_HELLO = 'runcc-bench/hello:1';
const RUNCC_RUNNING = 'runcc-bench/running:1';
const LINUX_HELLO = 'runcc-bench/linux-hello:1';
const LINUX_PAUSE = 'runcc-bench/linux-pause:1';

/** Wall time of a command that must succeed. */
function timed(run: () => { status: number | null; stderr: string }, what: string): number {
  const started = process.hrtime.bigint();
  const result = run();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${what} exited with ${result.status}: ${result.stderr}`);
  return ms;
}

/** The static Linux programs, packed as one-file images by the same writer as runcc's (pause twice: for docker and
 * ctr, and as CRI's sandbox image). */
async function linuxImages(work: string): Promise<string[]> {
  const hello = join(work, 'linux-hello');
  const pause = join(work, 'pause');
  execFileSync('gcc', ['-static', '-O2', '-o', hello, join(env.repo, 'scripts/bench/fixtures/linux-hello.c')]);
  execFileSync('gcc', ['-static', '-O2', '-o', pause, join(env.repo, 'test/engines/fixtures/pause.c')]);
  const images = [];
  for (const [binary, reference] of [[hello, LINUX_HELLO], [pause, LINUX_PAUSE], [pause, env.pauseImage]]) {
    const output = join(work, `${reference.replace(/[^a-z0-9]+/gi, '-')}.tar`);
    await buildImageFromFile({ kernelPath: binary, args: [], blocks: [], annotations: {}, reference, output });
    images.push(output);
  }
  return images;
}

/** Until every shared shim's child monitors (its pool) have booted, so that their boot weighs on no timed run. */
async function sparesBooted(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const children = sharedShims().flatMap(({ pid }) => spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean));
    if (children.length > 0 && children.every((pid) => holdsVcpu(Number(pid)))) {
      await new Promise((resolve) => setTimeout(resolve, 200 * env.slowdown));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100 * env.slowdown));
  }
}

/** The shared shims stay after their last container: the bench ends them (SIGTERM, their own clean exit). */
function stopSharedShims(): void {
  for (const { pid } of sharedShims()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
}

const running = (name: string): boolean => docker('inspect', '-f', '{{.State.Running}}', name).stdout.trim() === 'true';

/** `docker stop` of a detached container once it has run a moment; the container is removed after. */
async function dockerStopMs(runArgs: string[], name: string): Promise<number> {
  const started = docker('run', '-d', '--name', name, ...runArgs);
  if (started.status !== 0) throw new Error(`docker run -d ${runArgs.join(' ')}: ${started.stderr}`);
  try {
    await new Promise((resolve) => setTimeout(resolve, 200 * env.slowdown));
    // A container that already exited would stop at once: only a running one is a measurement.
    if (!running(name)) throw new Error(`${name} is not running: ${docker('logs', name).stdout}${docker('logs', name).stderr}`);
    return timed(() => docker('stop', name), `docker stop ${name}`);
  } finally {
    docker('rm', '-f', name);
  }
}

/**
 * The running unikernel `docker stop` stops: one idle in its event loop (time: a single POLL of an hour), as a
 * server waiting for work is; where this machine's KVM cannot run it (a paravirtual /dev/kvm faults on it), spin.
 */
function runningGuest(): { kernel: string; args: string[] } {
  const probe = spawnSync(process.execPath, [join(env.repo, 'dist/cli/runcc-hvt.js'), unikernel('time'), '1', '1'], { stdio: 'ignore', timeout: 60_000 * env.slowdown });
  return probe.status === 0 ? { kernel: 'time', args: ['3600000', '1'] } : { kernel: 'spin', args: [] };
}

interface PodStart {
  ms: number;
  /** The shim's and the container's process, while the pod runs (runcc-shim only). */
  shim?: Footprint;
  monitor?: Footprint;
}

/**
 * One pod through CRI until its one container is RUNNING, timed; then its footprints are read and it is torn
 * down (untimed). The container is `image` under `handler`.
 */
async function podStart(cri: CriClient, handler: string, image: string, name: string): Promise<PodStart> {
  const logDirectory = join(env.dir, 'pods', name);
  mkdirSync(logDirectory, { recursive: true });
  const sandboxConfig = { metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 }, hostname: name, logDirectory, linux: {} };
  const started = process.hrtime.bigint();
  const { podSandboxId } = await cri.call('RunPodSandbox', { config: sandboxConfig, runtimeHandler: handler });
  try {
    const { containerId } = await cri.call('CreateContainer', {
      podSandboxId,
      config: { metadata: { name: 'main', attempt: 0 }, image: { image }, logPath: 'main.log', linux: {} },
      sandboxConfig,
    });
    await cri.call('StartContainer', { containerId });
    while ((await cri.call('ContainerStatus', { containerId })).status.state !== 'CONTAINER_RUNNING') await new Promise((resolve) => setTimeout(resolve, 5));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const result: PodStart = { ms };
    if (handler === 'runcc-shim') {
      const task = ctr('-n', 'k8s.io', 'task', 'ls').stdout.split('\n').find((line) => line.startsWith(`${containerId} `));
      const shim = spawnSync('pgrep', ['-f', 'containerd-shim-runcc-v2.js'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
      result.monitor = footprint(Number(task?.trim().split(/\s+/)[1]));
      if (shim.length === 1) result.shim = footprint(shim[0]);
    }
    await cri.call('StopContainer', { containerId, timeout: 10 });
    await cri.call('RemoveContainer', { containerId });
    return result;
  } finally {
    await cri.call('StopPodSandbox', { podSandboxId });
    await cri.call('RemovePodSandbox', { podSandboxId });
  }
}

export async function engineRows(): Promise<{ rows: TargetRow[]; figures: Record<string, number> }> {
  const work = mkdtempSync(join(env.dir, 'tmp/bench-'));
  try {
    const guest = runningGuest();
    const images = [
      buildImage(work, 'hello', RUNCC_HELLO),
      buildImage(work, guest.kernel, RUNCC_RUNNING, guest.args),
      ...(await linuxImages(work)),
    ];
    for (const image of images) {
      ok([env.docker, '-H', `unix://${env.dockerSocket}`, 'load', '-i', image]);
      ok([env.ctr, '--address', env.containerdSocket, 'image', 'import', image]);
      ok([env.ctr, '--address', env.containerdSocket, '-n', 'k8s.io', 'image', 'import', image]);
    }
    const cri = new CriClient(env.containerdSocket);
    const shimUss: number[] = [];
    const shimPss: number[] = [];
    const monitorUss: number[] = [];
    const monitorPss: number[] = [];
    const samples: Record<string, number[]> = { dockerRunRuncc: [], dockerRunRunc: [], dockerStopRuncc: [], dockerStopRunc: [], ctrRunShim: [], ctrRunShared: [], ctrRunRuncc: [], ctrRunRunc: [], podShim: [], podShared: [], podRunc: [] };
    let podError: string | undefined;
    // The shared shim (one per namespace and options, staying after its last container with a booted spare).
    const sharedConfig = join(work, 'runcc-shared.toml');
    writeFileSync(sharedConfig, 'shared_shim = 1\nmonitor_pool_size = 1\nmonitor_pool_mem_mib = 32\n');
    const shared = ['--runtime', 'io.containerd.runcc.v2', '--runtime-config-path', sharedConfig];
    // Round 0 warms the page cache, the code cache and the daemons; it is not counted.
    for (let round = 0; round <= RUNS; round++) {
      const keep = (name: string, ms: number): void => {
        if (round > 0) samples[name].push(ms);
      };
      if (ONLY.has('docker')) {
        keep('dockerRunRuncc', timed(() => docker('run', '--rm', '--runtime=runcc', RUNCC_HELLO), 'docker run runcc hello'));
        keep('dockerRunRunc', timed(() => docker('run', '--rm', LINUX_HELLO), 'docker run runc hello'));
        keep('dockerStopRuncc', await dockerStopMs(['--runtime=runcc', RUNCC_RUNNING], `bench-stop-runcc-${round}`));
        keep('dockerStopRunc', await dockerStopMs([LINUX_PAUSE], `bench-stop-runc-${round}`));
      }
      if (ONLY.has('ctr')) {
        keep('ctrRunShim', timed(() => ctr('run', '--rm', '--runtime', 'io.containerd.runcc.v2', `docker.io/${RUNCC_HELLO}`, `bench-ctr-shim-${round}`), 'ctr run runcc shim hello'));
        keep('ctrRunShared', timed(() => ctr('run', '--rm', ...shared, `docker.io/${RUNCC_HELLO}`, `bench-ctr-shared-${round}`), 'ctr run runcc shared shim hello'));
        // Its pool refills after the create; the next timed run waits for that boot, as a machine between runs would.
        await sparesBooted();
        keep('ctrRunRuncc', timed(() => ctr('run', '--rm', '--runc-binary', env.runcc, `docker.io/${RUNCC_HELLO}`, `bench-ctr-runcc-${round}`), 'ctr run runcc hello'));
        keep('ctrRunRunc', timed(() => ctr('run', '--rm', `docker.io/${LINUX_HELLO}`, `bench-ctr-runc-${round}`), 'ctr run runc hello'));
      }
      // A host where CRI cannot start a pod (runc's pause, say) still gets the other rows.
      if (podError || !ONLY.has('cri')) continue;
      let pod: PodStart;
      try {
        pod = await podStart(cri, 'runcc-shim', RUNCC_RUNNING, `bench-pod-shim-${round}`);
        keep('podShim', pod.ms);
        keep('podShared', (await podStart(cri, 'runcc-shared', RUNCC_RUNNING, `bench-pod-shared-${round}`)).ms);
        keep('podRunc', (await podStart(cri, 'runc', LINUX_PAUSE, `bench-pod-runc-${round}`)).ms);
      } catch (error) {
        podError = (error as Error).message;
        continue;
      }
      if (round > 0 && pod.shim && pod.monitor) {
        shimUss.push(pod.shim.ussBytes);
        shimPss.push(pod.shim.pssBytes);
        monitorUss.push(pod.monitor.ussBytes);
        monitorPss.push(pod.monitor.pssBytes);
      }
    }
    cri.close();
    stopSharedShims();
    const ms = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
    const pair = (a: number, b: number): string => `${a.toFixed(0)} ms / ${b.toFixed(0)} ms`;
    const podTarget = `CRI pod start to RUNNING: runcc-shim (no pause, ${guest.kernel}) / runc (pause + static Linux process)`;
    const podSharedTarget = `CRI pod start to RUNNING: runcc-shared (shared_shim = 1, no pause, ${guest.kernel}) / runc (pause + static Linux process)`;
    const all: [string, TargetRow][] = [
      ['docker', { target: '`docker run --rm --runtime=runcc` hello / `docker run --rm` (runc) static Linux hello', measured: pair(ms.dockerRunRuncc, ms.dockerRunRunc), ratio: ms.dockerRunRuncc / ms.dockerRunRunc, limit: 1.2, unit: 'ratio' }],
      ['docker', { target: `\`docker stop\` of a running unikernel (${guest.kernel}) / of a Linux process that exits on SIGTERM`, measured: pair(ms.dockerStopRuncc, ms.dockerStopRunc), ratio: ms.dockerStopRuncc / ms.dockerStopRunc, limit: 1.2, unit: 'ratio' }],
      ['ctr', { target: '`ctr run --rm` hello: runcc\'s shim (io.containerd.runcc.v2) / runc static Linux hello', measured: pair(ms.ctrRunShim, ms.ctrRunRunc), ratio: ms.ctrRunShim / ms.ctrRunRunc, limit: 1.0, unit: 'ratio' }],
      ['ctr', { target: '`ctr run --rm` hello: runcc\'s shared shim (shared_shim = 1, one spare) / runc static Linux hello', measured: pair(ms.ctrRunShared, ms.ctrRunRunc), ratio: ms.ctrRunShared / ms.ctrRunRunc, limit: 1.0, unit: 'ratio' }],
      ['ctr', { target: '`ctr run --rm` hello: runcc behind the runc shim / runc static Linux hello', measured: pair(ms.ctrRunRuncc, ms.ctrRunRunc), ratio: ms.ctrRunRuncc / ms.ctrRunRunc, limit: 1.0, unit: 'ratio' }],
      ['cri', podError
        ? { target: podTarget, measured: `not measured: ${podError}`, ratio: undefined, limit: 1.0, unit: 'ratio' }
        : { target: podTarget, measured: pair(ms.podShim, ms.podRunc), ratio: ms.podShim / ms.podRunc, limit: 1.0, unit: 'ratio' }],
      ['cri', podError
        ? { target: podSharedTarget, measured: `not measured: ${podError}`, ratio: undefined, limit: 1.0, unit: 'ratio' }
        : { target: podSharedTarget, measured: pair(ms.podShared, ms.podRunc), ratio: ms.podShared / ms.podRunc, limit: 1.0, unit: 'ratio' }],
    ];
    const rows = all.filter(([group]) => ONLY.has(group)).map(([, row]) => row);
    const mib = (values: number[]): string => `${(median(values) / MiB).toFixed(1)} MiB`;
    if (shimUss.length > 0) {
      rows.push(
        { target: 'the pod\'s shim (containerd-shim-runcc-v2), USS (PSS)', measured: `${mib(shimUss)} (${mib(shimPss)})`, ratio: median(shimUss) / MiB, limit: Infinity, unit: 'MiB' },
        { target: `the pod's running unikernel's monitor (${guest.kernel}), USS (PSS)`, measured: `${mib(monitorUss)} (${mib(monitorPss)})`, ratio: median(monitorUss) / MiB, limit: 12, unit: 'MiB' },
      );
    }
    return { rows, figures: ms };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  (async () => {
    await startEngines();
    try {
      const { rows } = await engineRows();
      process.stdout.write(`engine targets (${RUNS} interleaved rounds, medians${env.slowdown > 1 ? ', in the sandbox VM' : ''}):\n${targetTable(rows)}`);
    } finally {
      await stopEngines();
    }
  })().catch((error: unknown) => {
    process.stderr.write(`engine-bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
