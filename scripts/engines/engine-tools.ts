// Helpers for the engine tests and benchmarks: run a command to completion with its output, build example images
// with the runcc CLI, and wait for conditions.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SOCKET_DIR } from '../../src/shim/address';
import env from './engine-env';

export { env };

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(argv: string[], timeoutMs = 120_000 * env.slowdown / 5, input?: string): Ran {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, input, env: { ...process.env, TMPDIR: join(env.dir, 'tmp') } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and requires exit status 0; returns stdout. */
export function ok(argv: string[], timeoutMs?: number): string {
  const r = run(argv, timeoutMs);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export function docker(...args: string[]): Ran {
  return run([env.docker, '-H', `unix://${env.dockerSocket}`, ...args]);
}

export function ctr(...args: string[]): Ran {
  return run([env.ctr, '--address', env.containerdSocket, ...args]);
}

export function unikernel(name: string): string {
  return join(env.repo, 'bundle-examples/build', `${name}.hvt`);
}

/** `runcc image build`, through the installed-style wrapper; returns the tar's path. */
export function buildImage(workDir: string, kernel: string, tag: string, args: string[] = [], extra: string[] = []): string {
  const output = join(workDir, `${tag.replace(/[^a-z0-9]+/gi, '-')}.tar`);
  ok([env.runcc, 'image', 'build', unikernel(kernel), ...args.flatMap((a) => ['--arg', a]), ...extra, '-t', tag, '-o', output]);
  return output;
}

/**
 * Polls `predicate` until it holds. One that throws (a process gone between two reads of /proc) is asked again; if
 * it never holds, the error says what it last threw.
 */
export async function waitUntil(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let threw: unknown;
    try {
      if (predicate()) return;
    } catch (error) {
      threw = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${threw ? `; the condition last threw: ${(threw as Error).message ?? String(threw)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Ping from the host; the received count. */
export function ping(address: string, count: number): number {
  const r = run(['ping', '-c', String(count), '-i', '0.2', '-w', String(20 * env.slowdown), address]);
  return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
}

/** runcc's containers under a state root (what a caller's --root holds). */
export function runccContainers(root: string): string[] {
  return ok([env.runcc, '--root', root, 'list', '-q']).split('\n').filter((l) => l !== '');
}

/** Whether `pid` holds a vCPU: a monitor or spare has made its VM and vCPU near the end of its boot. */
export function holdsVcpu(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('anon_inode:kvm-vcpu');
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** The shim's children that are no task of `tasks`: its booted spares, each holding its VM's vCPU. */
export function bootedSpares(shim: number, tasks: readonly number[] = []): number[] {
  return run(['pgrep', '-P', String(shim)]).stdout.split('\n').filter(Boolean).map(Number).filter((pid) => !tasks.includes(pid) && holdsVcpu(pid));
}

/** The shared shims taking containers now: their sockets, and the pids their pid files (beside them) name. */
export function sharedShims(): { socket: string; pid: number }[] {
  return (existsSync(SOCKET_DIR) ? readdirSync(SOCKET_DIR) : [])
    .filter((name) => name.endsWith('.pid'))
    .map((name) => ({ socket: join(SOCKET_DIR, name.slice(0, -'.pid'.length)), pid: Number(readFileSync(join(SOCKET_DIR, name), 'utf8').split(' ')[0]) }));
}
