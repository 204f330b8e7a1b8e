// `npm run bench`: figures for the monitor (not a test; nothing is asserted). Prints a Markdown table.
//   - cold `runcc-hvt hello` wall time (median of RUNS), and node's own start-up (`node -e 0`) for comparison;
//   - hypercall round trips per second (WALLTIME), from the difference of two guest runs so start-up cancels out;
//   - peak RSS of the monitor process, and of a bare node for comparison;
//   - ping round trip (average, p99) and flood packet rate through a TAP, block write/read MB/s inside the guest;
//   - the OCI lifecycle: `runcc create` until the VM waits at the start gate, and a whole `runcc run` of hello.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { deviceFigures } from './device-bench';
import { netComparison } from './net-bench';
import { helloBundle, targetRows, targetTable } from './targets-bench';
import { median } from './bench-stats';

const ROOT = join(__dirname, '../../..');
const RUNCC_HVT = join(ROOT, 'dist/cli/runcc-hvt.js');
const RUNCC = join(ROOT, 'dist/cli/main.js');
const CHILD_RSS = join(__dirname, 'child-rss.js');
const RUNS = Number(process.env.RUNCC_BENCH_RUNS ?? 15);
const inSandbox = process.env.RUNCC_IN_SANDBOX === '1';
const HYPERCALLS = inSandbox ? [20_000, 120_000] : [200_000, 2_200_000];

function unikernel(name: string): string {
  return join(ROOT, 'bundle-examples/build', `${name}.hvt`);
}

function timeMs(command: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function medianMs(command: string, args: string[]): number {
  timeMs(command, args); // warm the page cache
  return median(Array.from({ length: RUNS }, () => timeMs(command, args)));
}

function rssKiB(args: string[]): number {
  const out = spawnSync(process.execPath, [CHILD_RSS, ...args], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`child-rss failed: ${out.stderr}`);
  return Number(out.stdout.trim());
}

/** Median wall times of `runcc create` (until the VM waits at the start gate) and of a whole `runcc run` of hello. */
function lifecycleMs(): { createMs: number; runMs: number } {
  const bundle = mkdtempSync(join(tmpdir(), 'runcc-bench-bundle-'));
  const root = `/run/runcc-bench-${process.pid}`;
  try {
    helloBundle(bundle);
    let n = 0;
    const creates: number[] = [];
    const runs: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const id = `bench-${++n}`;
      const created = timeMs(process.execPath, [RUNCC, '--root', root, 'create', '--bundle', bundle, id]);
      timeMs(process.execPath, [RUNCC, '--root', root, 'delete', '--force', id]);
      const ran = timeMs(process.execPath, [RUNCC, '--root', root, 'run', '--bundle', bundle, `bench-${++n}`]);
      if (i > 0) {
        creates.push(created);
        runs.push(ran);
      }
    }
    return { createMs: median(creates), runMs: median(runs) };
  } finally {
    rmSync(bundle, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const node = process.execPath;
  // Optional argument (`npm run bench -- PATH`): a C solo5-hvt, for the runcc-hvt target's baseline.
  const targets = targetTable(await targetRows(process.argv[2]));
  const helloMs = medianMs(node, [RUNCC_HVT, unikernel('hello')]);
  const nodeMs = medianMs(node, ['-e', '0']);
  const [few, many] = HYPERCALLS;
  const fewMs = median(Array.from({ length: 5 }, () => timeMs(node, [RUNCC_HVT, unikernel('hypercalls'), String(few)])));
  const manyMs = median(Array.from({ length: 5 }, () => timeMs(node, [RUNCC_HVT, unikernel('hypercalls'), String(many)])));
  const roundTripsPerSecond = ((many - few) / (manyMs - fewMs)) * 1000;
  const monitorRss = rssKiB([node, RUNCC_HVT, unikernel('hello')]);
  const nodeRss = rssKiB([node, '-e', '0']);
  const lifecycle = lifecycleMs();
  const devices = await deviceFigures((args) => [node, RUNCC_HVT, ...args], unikernel, 10_000, inSandbox ? 16 : 256);

  const where = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, Linux ${release()}${inSandbox ? ' (sandbox VM: QEMU TCG + nested KVM)' : ''}, node ${process.version}`;
  const rows: [string, string][] = [
    [`cold \`runcc-hvt hello\` wall time (median of ${RUNS})`, `${helloMs.toFixed(1)} ms`],
    [`\`node -e 0\` wall time (median of ${RUNS})`, `${nodeMs.toFixed(1)} ms`],
    ['monitor time over node start-up', `${(helloMs - nodeMs).toFixed(1)} ms`],
    [`hypercall round trips per second (WALLTIME, ${few} vs ${many} calls)`, `${Math.round(roundTripsPerSecond).toLocaleString('en-US')}`],
    ['hypercall round trip', `${((1e6 / roundTripsPerSecond)).toFixed(2)} µs`],
    ['peak RSS of the monitor (hello)', `${(monitorRss / 1024).toFixed(1)} MiB`],
    ['peak RSS of `node -e 0`', `${(nodeRss / 1024).toFixed(1)} MiB`],
    ['monitor RSS over node', `${((monitorRss - nodeRss) / 1024).toFixed(1)} MiB`],
    [`ping round trip through a TAP, average (${devices.pings} adaptive pings)`, `${(devices.pingAvgMs * 1000).toFixed(0)} µs`],
    [`ping round trip, p99`, `${(devices.pingP99Ms * 1000).toFixed(0)} µs`],
    ['flood ping rate', `${Math.round(devices.floodPacketsPerSecond).toLocaleString('en-US')} packets/s`],
    ['block write from the guest (4 KiB sectors)', `${devices.blockWriteMBps} MB/s`],
    ['block read from the guest (4 KiB sectors)', `${devices.blockReadMBps} MB/s`],
    [`\`runcc create\` until the VM waits at the start gate (hello, new netns; median of ${RUNS})`, `${lifecycle.createMs.toFixed(1)} ms`],
    [`\`runcc run\` of hello: create, start, guest exit, delete (median of ${RUNS})`, `${lifecycle.runMs.toFixed(1)} ms`],
  ];
  const network = await netComparison(process.argv[2]);
  process.stdout.write(`Measured on: ${where}\n\n${targets}\n| figure | value |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n\n${network}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
