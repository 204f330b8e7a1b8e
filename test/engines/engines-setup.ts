// Global setup of the engine tests: the real containerd (with its CRI plugin and a `runcc` runtime handler) and the
// real dockerd (with a `runcc` runtime), started from Debian's packages on a private state directory, then shared
// by the docker, containerd and Kubernetes CRI tests. Refuses to start without hardware KVM or the packages.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdConfigWithRuncc } from '../../src/install/containerd-config';
import { dockerConfigWithRuncc } from '../../src/install/docker-daemon-config';
import env from './engine-env';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireKvm = require('../e2e/require-kvm') as () => Promise<void>;

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

export default async function startEngines(): Promise<void> {
  await requireKvm();
  for (const [path, pkg] of Object.entries(PACKAGES)) {
    if (!existsSync(path)) throw new Error(`${path} is missing: the engine tests need the Debian package ${pkg} (bash .ci/run installs it)`);
  }
  for (const sub of ['bin', 'tmp', 'containerd', 'docker', 'cni']) mkdirSync(join(env.dir, sub), { recursive: true });
  writeFileSync(env.runcc, `#!/bin/sh\nexec "${process.execPath}" "${join(env.repo, 'dist/cli/main.js')}" "$@"\n`);
  chmodSync(env.runcc, 0o755);
  writeFileSync(env.containerdConfig, containerdConfigWithRuncc(containerdBaseConfig(), env.runcc).text);
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
  pids.containerd = daemon('containerd', ['/usr/bin/containerd', '--config', env.containerdConfig], tmp);
  await waitFor('containerd', () => execFileSync(env.ctr, ['--address', env.containerdSocket, 'version'], { stdio: 'pipe' }), 120_000 * env.slowdown / 5);
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
