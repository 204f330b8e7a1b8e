// Where the engine tests keep their own containerd and dockerd: everything under one tmpfs directory (overlayfs,
// sockets and FIFOs need it; the sandbox's 9p root holds none of them), a bridge of their own, and runcc behind a
// small wrapper at a fixed path, as an installed runcc would be. Shared by the global setup and the tests.
import { join } from 'node:path';

const repo = join(__dirname, '../..');
const dir = '/run/runcc-engines';

const env = {
  repo,
  dir,
  runcc: join(dir, 'bin/runcc'),
  containerdSocket: join(dir, 'containerd/containerd.sock'),
  containerdConfig: join(dir, 'containerd/config.toml'),
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
