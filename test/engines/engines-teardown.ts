// Global teardown of the engine tests: stop dockerd and containerd, unmount what they left, remove their state
// directory and the bridges.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import env from './engine-env';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop(pid: number | undefined): Promise<void> {
  if (!pid || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

export default async function stopEngines(): Promise<void> {
  const pids = (existsSync(env.pids) ? JSON.parse(readFileSync(env.pids, 'utf8')) : {}) as Record<string, number | undefined>;
  await stop(pids.dockerd);
  await stop(pids.containerd);
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
