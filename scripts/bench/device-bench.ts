// Device figures for `npm run bench`: ping round trips and packet rate through a TAP, block throughput from inside
// the guest. Runs the net responder in a private network namespace; needs root.
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from './bench-stats';

export interface DeviceFigures {
  pingAvgMs: number;
  pingP99Ms: number;
  pings: number;
  floodPacketsPerSecond: number;
  blockWriteMBps: number;
  blockReadMBps: number;
}

function startResponder(ns: string, monitor: string[], limit: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, ...monitor, String(limit)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) resolve(child);
    });
    child.on('close', (status) => reject(new Error(`net responder exited early with ${status}: ${out}`)));
  });
}

function ping(ns: string, args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'ping', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

async function networkFigures(monitorArgv: (args: string[]) => string[], pings: number) {
  const ns = `runcc-bench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    for (const args of [
      ['tuntap', 'add', 'tap0', 'mode', 'tap'],
      ['addr', 'add', '10.0.0.1/24', 'dev', 'tap0'],
      ['link', 'set', 'tap0', 'up'],
    ]) {
      execFileSync('ip', ['-n', ns, ...args]);
    }
    const responder = await startResponder(ns, monitorArgv(['--net:service0=tap0', '--']), 2 * pings);
    // Adaptive ping: one request in flight, the next sent as soon as the reply arrives; one line per reply.
    const rtts = [...ping(ns, ['-A', '-c', String(pings), '10.0.0.2']).matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
    const flood = ping(ns, ['-f', '-q', '-c', String(pings), '10.0.0.2']);
    const match = /(\d+) received.*time (\d+)ms/.exec(flood);
    await new Promise((resolve) => responder.on('close', resolve));
    const sorted = [...rtts].sort((a, b) => a - b);
    return {
      pingAvgMs: rtts.reduce((a, b) => a + b, 0) / rtts.length,
      pingP99Ms: percentile(sorted, 99),
      pings: rtts.length,
      floodPacketsPerSecond: match ? (Number(match[1]) * 1000) / Number(match[2]) : Number.NaN,
    };
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

function blockFigures(monitorArgv: (args: string[]) => string[], megabytes: number) {
  const dir = mkdtempSync(join(tmpdir(), 'runcc-bench-'));
  try {
    const disk = join(dir, 'disk.img');
    writeFileSync(disk, '');
    truncateSync(disk, 16 * 1024 * 1024);
    const argv = monitorArgv([`--block:storage=${disk}`, '--block-sector-size:storage=4096', '--']);
    const out = spawnSync(argv[0], [...argv.slice(1), 'bench', String(megabytes)], { encoding: 'utf8' });
    const write = /write MB\/s (\d+)/.exec(out.stdout);
    const read = /read MB\/s (\d+)/.exec(out.stdout);
    if (out.status !== 0 || !write || !read) throw new Error(`block bench failed: ${out.stdout}${out.stderr}`);
    return { blockWriteMBps: Number(write[1]), blockReadMBps: Number(read[1]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `monitorArgv(args)` builds the monitor's argv up to (and including) the options; the kernel is appended here. */
export async function deviceFigures(
  monitorArgv: (args: string[]) => string[],
  unikernel: (name: string) => string,
  pings: number,
  blockMegabytes: number,
): Promise<DeviceFigures> {
  const net = await networkFigures((args) => [...monitorArgv(args), unikernel('net-responder')], pings);
  const block = blockFigures((args) => [...monitorArgv(args), unikernel('block-tester')], blockMegabytes);
  return { ...net, ...block };
}
