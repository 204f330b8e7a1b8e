// Where the engine tests and benchmarks keep their own containerd and dockerd: everything under one tmpfs directory
// (overlayfs, sockets and FIFOs need it; the sandbox's 9p root holds none of them), a bridge of their own, and runcc
// behind a small wrapper at a fixed path, as an installed runcc would be. Shared by the daemons' start, the tests
// and the benchmarks.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The checkout: from the sources (jest) and from the compiled tree (dist/scripts, the benches) alike. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

const repo = repoRoot();
const dir = '/run/runcc-engines';

const env = {
  repo,
  dir,
  runcc: join(dir, 'bin/runcc'),
  /** The shim v2 binary, on containerd's PATH (bin/), as `npm install -g` puts it beside runcc. */
  shim: join(dir, 'bin/containerd-shim-runcc-v2'),
  containerdSocket: join(dir, 'containerd/containerd.sock'),
  containerdConfig: join(dir, 'containerd/config.toml'),
  /** The options of the CRI handler runcc-shared: runcc's shim, shared by every pod on it (shared_shim = 1), one pool spare, no pod spares. */
  sharedShimOptions: join(dir, 'containerd/runcc-shared.toml'),
  dockerSocket: join(dir, 'docker.sock'),
  dockerConfig: join(dir, 'docker/daemon.json'),
  /** The docker client matching Debian's dockerd (another docker may be first on PATH). */
  docker: '/usr/bin/docker',
  ctr: '/usr/bin/ctr',
  /** docker's bridge: the containers' network, its gateway is the host side. */
  dockerBridge: 'rcc-docker0',
  dockerBridgeAddress: '10.90.0.1/24',
  /** The CNI bridge for pods (CRI). */
  cniBridge: 'rcc-cni0',
  cniSubnet: '10.91.0.0/24',
  cniConfDir: join(dir, 'cni'),
  cniBinDir: '/usr/lib/cni',
  pauseImage: 'runcc.test/pause:1',
  pids: join(dir, 'daemons.json'),
  slowdown: process.env.RUNCC_IN_SANDBOX === '1' ? 10 : 1,
};

export default env;
