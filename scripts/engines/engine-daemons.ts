// The engines the engine tests and benchmarks drive: the real containerd (with its CRI plugin and a `runcc` runtime
// handler) and the real dockerd (with a `runcc` runtime), started from Debian's packages on a private state
// directory (engine-env), and stopped with everything they left removed.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { containerdConfigWithRuncc, containerdConfigWithRunccShared, containerdConfigWithRunccShim } from '../../src/install/containerd-config';
import { dockerConfigWithRuncc } from '../../src/install/docker-daemon-config';
import env from './engine-env';

const PACKAGES: Record<string, string> = {
  '/usr/bin/containerd': 'containerd',
  '/usr/sbin/dockerd': 'docker.io',
  '/usr/bin/docker': 'docker.io',
  '/usr/sbin/runc': 'runc',
  '/usr/lib/cni/bridge': 'containernetworking-plugins',
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(what: string, check: () => unknown, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not come up: ${(error as Error).message}`);
      await sleep(250);
    }
  }
}

/** The daemon's own settings; the runcc runtime is added by the same code as `runcc install`. */
function containerdBaseConfig(): string {
  return `version = 2
root = "${join(env.dir, 'containerd/root')}"
state = "${join(env.dir, 'containerd/state')}"

[grpc]
  address = "${env.containerdSocket}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${env.pauseImage}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${env.cniBinDir}"
    conf_dir = "${env.cniConfDir}"
`;
}

function cniConfig(): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: 'runcc-test',
    plugins: [
      {
        type: 'bridge',
        bridge: env.cniBridge,
        isGateway: true,
        ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: env.cniSubnet }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
    ],
  }, null, 2);
}

function daemon(name: string, argv: string[], extraEnv: Record<string, string>): number | undefined {
  const log = openSync(join(env.dir, `${name}.log`), 'a');
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log], detached: true, env: { ...process.env, ...extraEnv } });
  child.unref();
  return child.pid;
}

/** containerd with the engines' config; resolves with its pid once it answers. */
async function startContainerd(): Promise<number | undefined> {
  // bin/ first on its PATH: containerd finds containerd-shim-runcc-v2 there, as it would in /usr/local/bin.
  const containerdEnv = { TMPDIR: join(env.dir, 'tmp'), PATH: `${join(env.dir, 'bin')}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` };
  const pid = daemon('containerd', ['/usr/bin/containerd', '--config', env.containerdConfig], containerdEnv);
  await waitFor('containerd', () => execFileSync(env.ctr, ['--address', env.containerdSocket, 'version'], { stdio: 'pipe' }), 120_000 * env.slowdown / 5);
  return pid;
}

function enginePids(): Record<string, number | undefined> {
  return (existsSync(env.pids) ? JSON.parse(readFileSync(env.pids, 'utf8')) : {}) as Record<string, number | undefined>;
}

/**
 * Stops containerd (SIGTERM, as `systemctl restart` does: its shims go on) and starts it again with the same config;
 * resolves once it answers. The engine tests' process may call it: the pid file follows.
 */
export async function restartContainerd(): Promise<void> {
  const pids = enginePids();
  await stopDaemon(pids.containerd);
  pids.containerd = await startContainerd();
  writeFileSync(env.pids, JSON.stringify(pids));
}

export async function startEngines(): Promise<void> {
  for (const [path, pkg] of Object.entries(PACKAGES)) {
    if (!existsSync(path)) throw new Error(`${path} is missing: the engine tests need the Debian package ${pkg} (bash .ci/run installs it)`);
  }
  for (const sub of ['bin', 'tmp', 'containerd', 'docker', 'cni']) mkdirSync(join(env.dir, sub), { recursive: true });
  writeFileSync(env.runcc, `#!/bin/sh\nexec "${process.execPath}" "${join(env.repo, 'dist/cli/main.js')}" "$@"\n`);
  chmodSync(env.runcc, 0o755);
  // The shim's executable as npm installs it, with this node first on its PATH.
  writeFileSync(env.shim, `#!/bin/sh\nPATH="${dirname(process.execPath)}:$PATH" exec "${join(env.repo, 'dist/cli/containerd-shim-runcc-v2')}" "$@"\n`);
  chmodSync(env.shim, 0o755);
  // The handlers, by the same code as `runcc install --containerd --shim --shared`: runcc (runc's shim), runcc-shim
  // and runcc-shared (its options file is the tests' own: a longer stay; pods served by the pool's spare).
  writeFileSync(env.containerdConfig, containerdConfigWithRunccShared(containerdConfigWithRunccShim(containerdConfigWithRuncc(containerdBaseConfig(), env.runcc).text).text, env.sharedShimOptions).text);
  writeFileSync(env.sharedShimOptions, 'shared_shim = 1\nshared_shim_idle_s = 600\nmonitor_pool_size = 1\npod_spare = 0\n');
  writeFileSync(join(env.cniConfDir, '10-runcc-test.conflist'), cniConfig());
  writeFileSync(env.dockerConfig, dockerConfigWithRuncc(undefined, env.runcc).text);

  // docker's own bridge, so a host's real docker0 (if any) is left alone.
  if (!existsSync(`/sys/class/net/${env.dockerBridge}`)) {
    execFileSync('ip', ['link', 'add', env.dockerBridge, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', env.dockerBridgeAddress, 'dev', env.dockerBridge]);
    execFileSync('ip', ['link', 'set', env.dockerBridge, 'up']);
  }

  const tmp = { TMPDIR: join(env.dir, 'tmp') };
  const pids: Record<string, number | undefined> = {};
  pids.containerd = await startContainerd();
  pids.dockerd = daemon('dockerd', [
    '/usr/sbin/dockerd',
    '--config-file', env.dockerConfig,
    '--containerd', env.containerdSocket,
    '--host', `unix://${env.dockerSocket}`,
    '--data-root', join(env.dir, 'docker/root'),
    '--exec-root', join(env.dir, 'docker/exec'),
    '--pidfile', join(env.dir, 'docker/dockerd.pid'),
    '--bridge', env.dockerBridge,
    '--iptables=false',
    '--ip-masq=false',
  ], tmp);
  await waitFor('dockerd', () => execFileSync(env.docker, ['-H', `unix://${env.dockerSocket}`, 'version'], { stdio: 'pipe' }), 120_000 * env.slowdown / 5);
  writeFileSync(env.pids, JSON.stringify(pids));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopDaemon(pid: number | undefined): Promise<void> {
  if (!pid || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

export async function stopEngines(): Promise<void> {
  const pids = enginePids();
  await stopDaemon(pids.dockerd);
  await stopDaemon(pids.containerd);
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1]).filter((m) => m && m.startsWith(`${env.dir}/`));
  for (const mount of mounts.reverse()) {
    try {
      execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  rmSync(env.dir, { recursive: true, force: true });
  for (const bridge of [env.dockerBridge, env.cniBridge]) {
    if (existsSync(`/sys/class/net/${bridge}`)) execFileSync('ip', ['link', 'del', bridge]);
  }
}
