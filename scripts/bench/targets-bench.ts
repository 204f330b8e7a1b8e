// The start-up and footprint targets of issue 12, measured side by side in one run (interleaved rounds, medians),
// each printed with its ratio and whether it is met. Not a test: nothing fails. Needs root and real KVM (run it
// through with-kvm). Usage: targets-bench [PATH_TO_C_SOLO5_HVT]
//   - `runcc state` of an existing (created) container vs `node -e 0`: ≤ 1.3×
//   - `runcc-hvt hello` vs `node -e 0` + C `solo5-hvt hello` (when its path is given; else vs node alone): ≤ 1.3×
//   - the container monitor's USS (and PSS) at the start gate with hello prepared, and runcc-hvt's while a guest
//     runs, from /proc/PID/smaps_rollup: ≤ 12 MiB
// The docker targets need the engines: engine-bench.ts.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './bench-stats';

const ROOT = join(__dirname, '../../..');
const RUNCC_HVT = join(ROOT, 'dist/cli/runcc-hvt.js');
const RUNCC = join(ROOT, 'dist/cli/main.js');
const RUNS = Number(process.env.RUNCC_BENCH_RUNS ?? 15);
const MiB = 1024 * 1024;

function unikernel(name: string): string {
  return join(ROOT, 'bundle-examples/build', `${name}.hvt`);
}

function timeMs(argv: readonly string[]): number {
  const started = process.hrtime.bigint();
  // stderr inherited, not piped: the monitor that `runcc create` leaves behind would hold a pipe open.
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited with ${result.status ?? result.signal}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Median wall time of each command, run in interleaved rounds after one warm-up round (page cache, code cache). */
function sideBySide(commands: Record<string, readonly string[]>): Record<string, number> {
  const names = Object.keys(commands);
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round <= RUNS; round++) {
    for (const name of names) {
      const ms = timeMs(commands[name]);
      if (round > 0) times[name].push(ms);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(times[name])]));
}

export interface Footprint {
  ussBytes: number;
  pssBytes: number;
  privateCleanBytes: number;
  privateDirtyBytes: number;
}

/** USS (private clean + private dirty) and PSS of a live process, from /proc/PID/smaps_rollup. */
export function footprint(pid: number): Footprint {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  const privateClean = kib('Private_Clean');
  const privateDirty = kib('Private_Dirty');
  return { ussBytes: privateClean + privateDirty, pssBytes: kib('Pss'), privateCleanBytes: privateClean, privateDirtyBytes: privateDirty };
}

/** A bundle in `dir` that runs hello with a 64 MiB limit in a network namespace of its own (the benches' container). */
export function helloBundle(dir: string): void {
  mkdirSync(join(dir, 'rootfs'));
  copyFileSync(unikernel('hello'), join(dir, 'rootfs/unikernel.hvt'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    ociVersion: '1.2.1',
    root: { path: 'rootfs' },
    process: { args: ['/unikernel.hvt'], cwd: '/' },
    linux: { namespaces: [{ type: 'network' }], resources: { memory: { limit: 64 * 1024 * 1024 } } },
  }));
}

/**
 * The footprint of runcc-hvt while `spin` runs (it announces itself, then never exits the guest), under node
 * `flags` and extra environment variables.
 */
async function runningMonitorFootprint(flags: readonly string[] = [], env: Record<string, string> = {}): Promise<Footprint> {
  const child = spawn(process.execPath, [...flags, RUNCC_HVT, unikernel('spin')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('spinning') && resolve());
      child.on('exit', (status) => reject(new Error(`runcc-hvt spin exited with ${status}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    return footprint(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

export interface TargetRow {
  target: string;
  measured: string;
  ratio: number | undefined;
  limit: number;
  unit: 'ratio' | 'MiB';
}

export async function targetRows(solo5Hvt?: string): Promise<TargetRow[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'runcc-targets-'));
  const root = `/run/runcc-targets-${process.pid}`;
  const node = process.execPath;
  try {
    const bundle = join(scratch, 'bundle');
    mkdirSync(bundle);
    helloBundle(bundle);
    timeMs([node, RUNCC, '--root', root, 'create', '--bundle', bundle, 'target']);
    const state = JSON.parse(spawnSync(node, [RUNCC, '--root', root, 'state', 'target'], { encoding: 'utf8' }).stdout) as { pid: number; status: string };
    if (state.status !== 'created') throw new Error(`the benchmark container is ${state.status}, not created`);
    const gate = footprint(state.pid);
    const commands: Record<string, string[]> = {
      node: [node, '-e', '0'],
      state: [node, RUNCC, '--root', root, 'state', 'target'],
      hvt: [node, RUNCC_HVT, unikernel('hello')],
    };
    if (solo5Hvt) commands.solo5 = [solo5Hvt, unikernel('hello')];
    const ms = sideBySide(commands);
    timeMs([node, RUNCC, '--root', root, 'delete', '--force', 'target']);
    const running = await runningMonitorFootprint();
    const hvtBase = ms.node + (ms.solo5 ?? 0);
    const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
    return [
      { target: '`runcc state` of a created container / `node -e 0`', measured: `${ms.state.toFixed(1)} ms / ${ms.node.toFixed(1)} ms`, ratio: ms.state / ms.node, limit: 1.3, unit: 'ratio' },
      {
        target: solo5Hvt ? '`runcc-hvt hello` / (`node -e 0` + C `solo5-hvt hello`)' : '`runcc-hvt hello` / `node -e 0` (no C solo5-hvt given)',
        measured: `${ms.hvt.toFixed(1)} ms / ${hvtBase.toFixed(1)} ms${solo5Hvt ? ` (solo5-hvt ${ms.solo5.toFixed(1)} ms)` : ''}`,
        ratio: ms.hvt / hvtBase,
        limit: 1.3,
        unit: 'ratio',
      },
      {
        target: 'container monitor USS, hello prepared at the start gate',
        measured: `${mib(gate.ussBytes)} (private clean ${mib(gate.privateCleanBytes)}, dirty ${mib(gate.privateDirtyBytes)}; PSS ${mib(gate.pssBytes)})`,
        ratio: gate.ussBytes / MiB,
        limit: 12,
        unit: 'MiB',
      },
      {
        target: '`runcc-hvt` USS while a guest runs (spin)',
        measured: `${mib(running.ussBytes)} (private clean ${mib(running.privateCleanBytes)}, dirty ${mib(running.privateDirtyBytes)}; PSS ${mib(running.pssBytes)})`,
        ratio: running.ussBytes / MiB,
        limit: 12,
        unit: 'MiB',
      },
    ];
  } finally {
    spawnSync(node, [RUNCC, '--root', root, 'delete', '--force', 'target'], { stdio: 'ignore' });
    rmSync(scratch, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
}

/** Node settings that might cut the monitor's memory; each is measured against none (RUNCC_BENCH_FLAGS=1). */
const MEMORY_SETTINGS: { name: string; flags: string[]; env: Record<string, string> }[] = [
  { name: 'none', flags: [], env: {} },
  { name: '--max-semi-space-size=1', flags: ['--max-semi-space-size=1'], env: {} },
  { name: '--v8-pool-size=0', flags: ['--v8-pool-size=0'], env: {} },
  { name: 'UV_THREADPOOL_SIZE=1', flags: [], env: { UV_THREADPOOL_SIZE: '1' } },
  { name: '--max-old-space-size=16', flags: ['--max-old-space-size=16'], env: {} },
  { name: '--lite-mode', flags: ['--lite-mode'], env: {} },
];

/** USS of runcc-hvt running spin under each setting (median of 3), as a Markdown table. */
export async function memorySettingsTable(): Promise<string> {
  const rows: string[] = [];
  for (const setting of MEMORY_SETTINGS) {
    const samples: Footprint[] = [];
    for (let i = 0; i < 3; i++) samples.push(await runningMonitorFootprint(setting.flags, setting.env));
    const uss = median(samples.map((f) => f.ussBytes)) / MiB;
    const pss = median(samples.map((f) => f.pssBytes)) / MiB;
    rows.push(`| ${setting.name} | ${uss.toFixed(1)} MiB | ${pss.toFixed(1)} MiB |`);
  }
  return `| node setting (runcc-hvt, spin running) | USS | PSS |\n|---|---|---|\n${rows.join('\n')}\n`;
}

export function targetTable(rows: readonly TargetRow[]): string {
  const lines = rows.map((row) => {
    const value = row.ratio === undefined ? 'n/a' : row.unit === 'ratio' ? `${row.ratio.toFixed(2)}×` : `${row.ratio.toFixed(1)} MiB`;
    // A figure reported without a target of its own has an infinite limit.
    const targeted = Number.isFinite(row.limit);
    const limit = !targeted ? '—' : row.unit === 'ratio' ? `≤ ${row.limit}×` : `≤ ${row.limit} MiB`;
    const met = row.ratio === undefined || !targeted ? '—' : row.ratio <= row.limit ? 'met' : 'not met';
    return `| ${row.target} | ${row.measured} | ${value} | ${limit} | ${met} |`;
  });
  return `| target | measured | value | target | |\n|---|---|---|---|---|\n${lines.join('\n')}\n`;
}

if (require.main === module) {
  const solo5Hvt = process.argv[2];
  if (solo5Hvt && !existsSync(solo5Hvt)) {
    process.stderr.write(`targets-bench: ${solo5Hvt} not found (the optional argument is the path of a C solo5-hvt)\n`);
    process.exit(1);
  }
  targetRows(solo5Hvt).then(
    async (rows) => {
      process.stdout.write(targetTable(rows));
      if (process.env.RUNCC_BENCH_FLAGS === '1') process.stdout.write(`\n${await memorySettingsTable()}`);
    },
    (error: unknown) => {
      process.stderr.write(`targets-bench: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
