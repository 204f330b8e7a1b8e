// Network figures for `npm run bench` (and alone: `node dist/scripts/bench/net-bench.js [SOLO5_HVT]`): the same guest
// (net-responder) and TAP set-up under each monitor, in one run: runcc with Solo5's network ring, runcc with the
// ring off (hypercalls), a baseline build of runcc when RUNCC_BENCH_BASELINE names its dist/cli folder, and a C
// solo5-hvt when its path is given. Per monitor: adaptive ping round trip (average, p99), flood ping rate, and the
// bulk UDP echo (test/e2e/fixtures/udp-bulk-client.js: every byte checked by the guest and by the client) in Mbit/s
// each way, and one-way bulk transfers with net-bulk (test/e2e/fixtures/udp-bulk-peer.js at the host's end: every
// byte checked by the receiver) host to guest and guest to host. Needs root (a network namespace).
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { percentile } from './bench-stats';

const ROOT = join(__dirname, '../../..');
const BULK_CLIENT = join(ROOT, 'test/e2e/fixtures/udp-bulk-client.js');
const BULK_PEER = join(ROOT, 'test/e2e/fixtures/udp-bulk-peer.js');
const BULK_SIZE = 1472;
const inSandbox = process.env.RUNCC_IN_SANDBOX === '1';

export interface NetTarget {
  name: string;
  /** The monitor's argv up to its options; `--net:service0=tap0 -- KERNEL` is appended. */
  argv: string[];
  env?: NodeJS.ProcessEnv;
}

export interface NetFigures {
  name: string;
  rttAvgUs: number;
  rttP99Us: number;
  floodPacketsPerSecond: number;
  bulkMbitPerSecond: number;
  /** net-bulk's one-way transfers: the host sends and the guest checks, then the reverse. */
  toGuestMbitPerSecond: number;
  fromGuestMbitPerSecond: number;
}

function start(ns: string, target: NetTarget, guest = 'net-responder', guestArgs: string[] = []): Promise<ChildProcess> {
  const kernel = join(ROOT, `bundle-examples/build/${guest}.hvt`);
  const child = spawn('ip', ['netns', 'exec', ns, ...target.argv, '--net:service0=tap0', '--', kernel, ...guestArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...target.env },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) resolve(child);
    });
    child.on('close', (status) => reject(new Error(`${target.name}: ${guest} exited early with ${status}: ${out}`)));
  });
}

/** One net-bulk transfer of `datagrams`, `direction` as seen from the host; Mbit/s as the host's end timed it. */
async function oneWay(ns: string, target: NetTarget, direction: 'send' | 'receive', datagrams: number): Promise<number> {
  const guestArgs = direction === 'send' ? ['receive', String(datagrams)] : ['send', String(datagrams), String(BULK_SIZE)];
  const guest = await start(ns, target, 'net-bulk', guestArgs);
  const exited = new Promise<number | null>((resolve) => guest.on('close', resolve));
  try {
    const peerArgs = direction === 'send' ? [String(datagrams), String(BULK_SIZE), '64'] : [String(datagrams)];
    const report = JSON.parse(run(ns, [process.execPath, BULK_PEER, direction, '10.0.0.2', ...peerArgs, '600000'])) as { bytes?: number; seconds?: number; error?: string };
    if (report.error || !report.bytes || !report.seconds) throw new Error(`${target.name}: net-bulk (host ${direction}s) failed: ${report.error}`);
    const status = await exited;
    if (status !== 0) throw new Error(`${target.name}: net-bulk (host ${direction}s) exited with ${status}`);
    return (report.bytes * 8) / report.seconds / 1e6;
  } finally {
    guest.kill('SIGKILL');
    await exited;
  }
}

function run(ns: string, argv: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

async function measure(target: NetTarget, pings: number, datagrams: number): Promise<NetFigures> {
  const ns = `runcc-netbench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    for (const args of [['tuntap', 'add', 'tap0', 'mode', 'tap'], ['addr', 'add', '10.0.0.1/24', 'dev', 'tap0'], ['link', 'set', 'tap0', 'up']]) {
      execFileSync('ip', ['-n', ns, ...args]);
    }
    const responder = await start(ns, target);
    const responderClosed = new Promise((resolve) => responder.on('close', resolve));
    try {
      run(ns, ['ping', '-c', '3', '-i', '0.2', '10.0.0.2']); // ARP and warm-up
      const rtts = [...run(ns, ['ping', '-A', '-c', String(pings), '10.0.0.2']).matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000);
      const flood = run(ns, ['ping', '-f', '-q', '-c', String(pings), '10.0.0.2']);
      const floodMatch = /(\d+) received.*time (\d+)ms/.exec(flood);
      const bulk = JSON.parse(run(ns, [process.execPath, BULK_CLIENT, '10.0.0.2', '7', String(datagrams), String(BULK_SIZE), '32', '600000'])) as { bytes?: number; seconds?: number; error?: string };
      if (bulk.error || !bulk.bytes || !bulk.seconds) throw new Error(`${target.name}: bulk transfer failed: ${bulk.error}`);
      const sorted = [...rtts].sort((a, b) => a - b);
      responder.kill('SIGTERM');
      await responderClosed;
      return {
        name: target.name,
        rttAvgUs: rtts.reduce((a, b) => a + b, 0) / rtts.length,
        rttP99Us: percentile(sorted, 99),
        floodPacketsPerSecond: floodMatch ? (Number(floodMatch[1]) * 1000) / Number(floodMatch[2]) : Number.NaN,
        bulkMbitPerSecond: (bulk.bytes * 8) / bulk.seconds / 1e6,
        toGuestMbitPerSecond: await oneWay(ns, target, 'send', datagrams),
        fromGuestMbitPerSecond: await oneWay(ns, target, 'receive', datagrams),
      };
    } finally {
      responder.kill('SIGTERM');
      await responderClosed;
    }
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

/** The monitors compared: runcc's two paths, the optional baseline build, the optional C solo5-hvt. */
export function netTargets(solo5Hvt?: string): NetTarget[] {
  const runccHvt = join(ROOT, 'dist/cli/runcc-hvt.js');
  const targets: NetTarget[] = [
    { name: 'runcc, ring', argv: [process.execPath, runccHvt] },
    { name: 'runcc, hypercalls (RUNCC_NET_RING=off)', argv: [process.execPath, runccHvt], env: { RUNCC_NET_RING: 'off' } },
  ];
  const baseline = process.env.RUNCC_BENCH_BASELINE;
  if (baseline) targets.push({ name: `runcc baseline (${baseline}), hypercalls`, argv: [process.execPath, join(baseline, 'runcc-hvt.js')], env: { RUNCC_NET_RING: 'off' } });
  if (solo5Hvt) targets.push({ name: `solo5-hvt (${solo5Hvt})`, argv: [solo5Hvt] });
  return targets;
}

/** Measures every target in `rounds` alternating rounds and keeps each figure's median. */
export async function netComparison(solo5Hvt?: string, rounds = 3): Promise<string> {
  const pings = inSandbox ? 2000 : 10_000;
  const datagrams = inSandbox ? 2000 : 20_000;
  const targets = netTargets(solo5Hvt);
  const results = new Map<string, NetFigures[]>();
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) {
      const figures = await measure(target, pings, datagrams);
      results.set(target.name, [...(results.get(target.name) ?? []), figures]);
    }
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];
  const rows = targets.map((target) => {
    const all = results.get(target.name)!;
    const pick = (key: keyof Omit<NetFigures, 'name'>): number => median(all.map((f) => f[key]));
    return `| ${target.name} | ${pick('rttAvgUs').toFixed(0)} µs | ${pick('rttP99Us').toFixed(0)} µs | ${Math.round(pick('floodPacketsPerSecond')).toLocaleString('en-US')} | ${pick('bulkMbitPerSecond').toFixed(1)} | ${pick('toGuestMbitPerSecond').toFixed(1)} | ${pick('fromGuestMbitPerSecond').toFixed(1)} |`;
  });
  return (
    `Network (net-responder on one TAP; median of ${rounds} alternating rounds; ${pings} pings, ${datagrams} bulk datagrams of 1472 bytes)\n\n` +
    '| monitor | ping RTT avg | ping RTT p99 | flood ping packets/s | bulk UDP echo, Mbit/s each way | one-way bulk host → guest, Mbit/s | one-way bulk guest → host, Mbit/s |\n|---|---|---|---|---|---|---|\n' +
    `${rows.join('\n')}\n`
  );
}

if (require.main === module) {
  netComparison(process.argv[2], Number(process.env.RUNCC_BENCH_ROUNDS ?? 3))
    .then((table) => process.stdout.write(table))
    .catch((error: unknown) => {
      process.stderr.write(`net-bench: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
