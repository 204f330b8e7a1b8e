// `npm run bench:prestart`: figures for pre-started monitors (not a test; nothing is asserted). Prints Markdown.
//   - `runcc create` of hello (new netns, 64 MiB limit) until the VM waits at the start gate, and, given
//     `--base=PATH` (another build's dist/cli/main.js), the same for that build in interleaved rounds;
//   - a warm create through a MonitorPool: configure() of a booted spare until its VM waits at the start gate, until
//     the guest runs (its first console output reaches the container's stdout, the start gate opened at once), and
//     until hello has exited and its monitor was reaped, beside a cold `runcc-hvt hello` and, given
//     `--solo5-hvt=PATH` (a C solo5-hvt built from Solo5's sources), a cold `solo5-hvt hello`: the issue's target is
//     warm create → guest running ≤ 2× that cold run, spawn to exit; the whole warm hello is compared as well;
//   - the same through a shim server of this build driven over ttrpc as containerd drives it (shim-driver.ts): Create
//     and Start of a `ctr run`-like bundle (its namespaces, a cgroup, a 64 MiB limit, stdout a FIFO) until the
//     guest's first output, and until Wait answers its exit; a round counts only when its monitor was a spare booted
//     before the Create;
//   - the footprint (USS, PSS from /proc/PID/smaps_rollup) of a booted spare waiting for its configuration, and of
//     the same process once configured, at the start gate.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MonitorPool } from '../../src/runtime/monitor-pool';
import { ContainerMonitorConfig } from '../../src/runtime/monitor-launch';
import { makeStartGate, openStartGate } from '../../src/runtime/start-gate';
import { socketPair } from '../../src/ffi/fd-passing';
import { footprint, helloBundle } from './targets-bench';
import { RunTimes, ShimDriver, shimBundle } from './shim-driver';
import { bootedSpares } from '../engines/engine-tools';
import { identify } from '../../src/runtime/process-identity';
import { median } from './bench-stats';

const ROOT = join(__dirname, '../../..');
const RUNCC = join(ROOT, 'dist/cli/main.js');
const RUNCC_HVT = join(ROOT, 'dist/cli/runcc-hvt.js');
const MONITOR = join(ROOT, 'dist/cli/container-monitor.js');
const HELLO = join(ROOT, 'bundle-examples/build/hello.hvt');
const ROUNDS = Number(process.env.RUNCC_BENCH_RUNS ?? 21);
const MiB = 1024 * 1024;

function timeMs(command: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const since = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e6;

function helloConfig(id: string): ContainerMonitorConfig {
  return { kernelPath: HELLO, memMiB: 32, guestArgs: [], blocks: [], nets: [], containerId: id, netDevices: [], netFormat: 'none', terminal: false, confinement: { env: {} } };
}

async function main(): Promise<void> {
  const base = process.argv.find((a) => a.startsWith('--base='))?.slice('--base='.length);
  const solo5Hvt = process.argv.find((a) => a.startsWith('--solo5-hvt='))?.slice('--solo5-hvt='.length);
  const work = mkdtempSync(join(tmpdir(), 'runcc-bench-prestart-'));
  const run = mkdtempSync('/run/runcc-bench-prestart-');
  const bundle = join(work, 'bundle');
  mkdirSync(bundle);
  helloBundle(bundle);
  const builds = [{ name: 'this build', main: RUNCC }, ...(base ? [{ name: `base (${base})`, main: base }] : [])];
  const creates = builds.map(() => [] as number[]);
  const colds: number[] = [];
  const solo5Colds: number[] = [];
  const warmReady: number[] = [];
  const warmRunning: number[] = [];
  const warmExit: number[] = [];
  const shimCreate: number[] = [];
  const shimRunning: number[] = [];
  const shimExit: number[] = [];
  let shimCold = 0;
  const spareUss: number[] = [];
  const sparePss: number[] = [];
  const gateUss: number[] = [];
  const gatePss: number[] = [];
  // The spares reserve what helloBundle's guest gets (64 MiB limit less the monitor's 32 MiB headroom).
  const pool = new MonitorPool({ size: 1, memMiB: 32, program: MONITOR });
  let shim: ShimDriver | undefined;
  try {
    shim = await ShimDriver.start({ monitorPoolSize: 1, monitorPoolMemMiB: 32, podSpare: 0, sharedShim: 0, sharedShimIdleS: 300 });
    for (let round = 0; round <= ROUNDS; round++) {
      builds.forEach((build, i) => {
        const root = join(run, `root${i}`);
        const ms = timeMs(process.execPath, [build.main, '--root', root, 'create', '--bundle', bundle, `b${round}`]);
        spawnSync(process.execPath, [build.main, '--root', root, 'delete', '--force', `b${round}`], { stdio: 'ignore' });
        if (round > 0) creates[i].push(ms); // round 0 warms the page cache
      });
      const cold = timeMs(process.execPath, [RUNCC_HVT, '--mem=32', HELLO]);
      const solo5Cold = solo5Hvt ? timeMs(solo5Hvt, ['--mem=32', HELLO]) : 0;
      const spare = await pool.take();
      const before = footprint(spare.pid);
      const stateDir = join(run, `w${round}`);
      mkdirSync(stateDir);
      makeStartGate(stateDir);
      // The container's stdout: a socket whose first byte is the guest's first console output.
      const [ours, theirs] = socketPair();
      const stdout = new Socket({ fd: ours, readable: true, writable: false });
      let running = 0;
      const started = process.hrtime.bigint();
      stdout.once('data', () => (running = since(started)));
      const launched = await spare.configure({ stateDir, config: helloConfig(`w${round}`), stdio: { stdout: theirs } });
      const ready = since(started);
      closeSync(theirs);
      const atGate = footprint(spare.pid);
      const exited = new Promise<number | null>((done) => launched.child.once('exit', (code) => done(code)));
      await openStartGate(stateDir, () => launched.child.exitCode === null);
      const status = await exited;
      const exitedMs = since(started);
      stdout.destroy();
      if (status !== 0) throw new Error(`hello from a spare exited with ${status}`);
      const viaShim = await shimRound(shim, join(work, `s${round}`), `s${round}`);
      if (round === 0) continue;
      if (viaShim) {
        shimCreate.push(viaShim.createMs);
        shimRunning.push(viaShim.runningMs);
        shimExit.push(viaShim.exitedMs);
      } else {
        shimCold++;
      }
      colds.push(cold);
      solo5Colds.push(solo5Cold);
      warmReady.push(ready);
      warmRunning.push(running);
      warmExit.push(exitedMs);
      spareUss.push(before.ussBytes);
      sparePss.push(before.pssBytes);
      gateUss.push(atGate.ussBytes);
      gatePss.push(atGate.pssBytes);
      // Let the pool refill before the next round's timings (a booting spare would compete for the CPUs).
      while (pool.ready < 1) await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await pool.close();
    await shim?.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(run, { recursive: true, force: true });
  }
  const ms = (v: number[]): string => `${median(v).toFixed(1)} ms`;
  const mib = (v: number[]): string => `${(median(v) / MiB).toFixed(1)} MiB`;
  console.log(`\nPre-started monitors: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Linux ${release()}, node ${process.version}, medians of ${ROUNDS} interleaved rounds\n`);
  console.log('| what | figure |\n|---|---|');
  builds.forEach((build, i) => console.log(`| \`runcc create\` of hello until the VM waits at the start gate, ${build.name} | ${ms(creates[i])} |`));
  console.log(`| warm create: a pool spare's configure() until its VM waits at the start gate | ${ms(warmReady)} |`);
  console.log(`| warm create until the guest runs (its first console output; the gate opened at once) | ${ms(warmRunning)} |`);
  console.log(`| warm create until hello has run and exited (its monitor reaped) | ${ms(warmExit)} |`);
  console.log(`| through the shim (ttrpc, a \`ctr run\`-like bundle): Create until it answers | ${ms(shimCreate)} |`);
  console.log(`| through the shim: Create, then Start, until the guest runs (its first output on the stdout FIFO) | ${ms(shimRunning)} |`);
  console.log(`| through the shim: Create, Start, until Wait answers the exit | ${ms(shimExit)} |`);
  console.log(`| cold \`runcc-hvt --mem=32 hello\`, spawn to exit | ${ms(colds)} |`);
  if (solo5Hvt) {
    const ratio = median(warmRunning) / median(solo5Colds);
    const whole = median(warmExit) / median(solo5Colds);
    console.log(`| cold C \`solo5-hvt --mem=32 hello\`, spawn to exit | ${ms(solo5Colds)} |`);
    console.log(`| target: warm create → guest running / cold C solo5-hvt hello ≤ 2× | ${ratio.toFixed(2)}× (${ratio <= 2 ? 'met' : 'not met'}) |`);
    console.log(`| the whole warm hello (until reaped) / cold C solo5-hvt hello | ${whole.toFixed(2)}× |`);
    const viaShim = median(shimRunning) / median(solo5Colds);
    console.log(`| through the shim: Create → guest running / cold C solo5-hvt hello ≤ 2× | ${viaShim.toFixed(2)}× (${viaShim <= 2 ? 'met' : 'not met'}) |`);
    console.log(`| through the shim: Create until Wait answers the exit / cold C solo5-hvt hello | ${(median(shimExit) / median(solo5Colds)).toFixed(2)}× |`);
  }
  console.log(`| a booted spare waiting for its configuration (32 MiB reserved): USS / PSS | ${mib(spareUss)} / ${mib(sparePss)} |`);
  console.log(`| the same process configured with hello, at the start gate: USS / PSS | ${mib(gateUss)} / ${mib(gatePss)} |`);
  if (shimCold > 0) console.log(`\n${shimCold} of the shim's rounds found their monitor not pre-started and were left out.`);
}

/** One container through the shim once its pool has a spare booted; undefined when a spawned monitor served it. */
async function shimRound(driver: ShimDriver, bundle: string, id: string): Promise<RunTimes | undefined> {
  const deadline = Date.now() + 120_000;
  while (bootedSpares(driver.pid).length < 1) {
    if (Date.now() > deadline) throw new Error('the shim has no spare booted after 120 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const spares = bootedSpares(driver.pid).map(identify);
  shimBundle(bundle, HELLO, id, 64);
  const times = await driver.run(id, bundle);
  const { monitor } = times;
  return spares.some((s) => s && monitor && s.pid === monitor.pid && s.startTime === monitor.startTime) ? times : undefined;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
