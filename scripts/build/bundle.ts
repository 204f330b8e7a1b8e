// Bundles each program runcc runs into one file with esbuild, and gives each a V8 code cache, so an invocation
// reads and deserializes three files instead of resolving and compiling a tree of modules (docs/architecture.md,
// "The build"). Output: dist/cli/, relocatable (npm pack ships it with package.json; koffi stays an npm dependency).
//
//   main.js                 `runcc`: the dispatcher, which requires one front end below
//   NAME.js                 loader: reads NAME.bundle.js, compiles it with NAME.HASH.cache, runs it as a module
//   NAME.bundle.js          the program and everything it imports (koffi excluded: its native module must be
//                           loaded by node from node_modules at run time)
//   NAME.HASH.cache         V8 code cache, made by a training run of the program (or by compiling it only)
//   containerd-shim-runcc-v2  the shim's executable (src/cli/containerd-shim-runcc-v2.sh), which runs its loader
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Script } from 'node:vm';
import { wrap } from 'node:module';
import { Plugin, build } from 'esbuild';
import { Duplex } from 'node:stream';
import { ContainerMonitorConfig } from '../../src/runtime/monitor-launch';
import { FrameReader, encodeFrame } from '../../src/runtime/monitor-handoff';
import { START_FIFO } from '../../src/runtime/state-store';

const ROOT = resolve(__dirname, '../../..');
export const BUNDLE_DIR = join(ROOT, 'dist/cli');

/** The front ends `runcc` (main.ts) dispatches to: each is its own bundle, so a command loads only its own code. */
const FRONT_ENDS = ['runtime-cli', 'hvt-command', 'image-command', 'install-command', 'check-command'];

interface Program {
  name: string;
  entry: string;
  /** An executable with a shebang (what package.json's `bin` names). */
  bin: boolean;
  /** Arguments of a run whose compiled functions go into the code cache; none: compile only. */
  training?: (scratch: string) => string[];
}

const PROGRAMS: Program[] = [
  ...FRONT_ENDS.map((name) => ({ name, entry: `src/cli/${name}.ts`, bin: false })),
  { name: 'runcc-hvt', entry: 'src/cli/runcc-hvt.ts', bin: true, training: () => [join(ROOT, 'bundle-examples/build/hello.hvt')] },
  { name: 'container-monitor', entry: 'src/cli/container-monitor.ts', bin: false },
  // containerd's runtime shim v2: started once per pod or container, so its start-up counts less than the CLI's.
  { name: 'containerd-shim-runcc-v2', entry: 'src/cli/containerd-shim.ts', bin: true },
  // The network ring's worker thread, which both monitors start from their own folder (net-ring.ts).
  { name: 'ring-worker', entry: 'src/monitor/net-ring/ring-worker.ts', bin: false },
];

/** What engines call most: `runcc state` of a container; the training run reads a stopped one. */
function stateTraining(scratch: string): string[] {
  const root = join(scratch, 'root');
  mkdirSync(join(root, 'trained'), { recursive: true });
  const record = { id: 'trained', bundle: scratch, rootfs: join(scratch, 'rootfs'), created: new Date(0).toISOString(), annotations: {}, hooks: {} };
  writeFileSync(join(root, 'trained', 'runcc.json'), JSON.stringify(record));
  return ['--root', root, 'state', 'trained'];
}

/**
 * Training runs write their code cache when they exit, which a confined monitor can no longer do (an empty root, and
 * no openat under its seccomp filter): they run unconfined. The functions they compile are the same.
 */
const TRAINING_ENV = { RUNCC_CONFINE: 'off', RUNCC_SECCOMP: 'off' };

/**
 * The container monitor's training: what `runcc create` and `start` make it do, for hello, in a scratch state
 * directory: boot and say "booted" on fd 3, take its configuration there, prepare the VM, say "ready", pass the
 * start gate, run the guest, exit.
 * Where KVM does not work here it stops at the preparation, having compiled that much.
 */
async function trainMonitor(loader: string, scratch: string, cacheFile: string): Promise<void> {
  const stateDir = join(scratch, 'monitor');
  mkdirSync(stateDir);
  const config: ContainerMonitorConfig = {
    kernelPath: join(ROOT, 'bundle-examples/build/hello.hvt'),
    memMiB: 32,
    guestArgs: ['trained'],
    blocks: [],
    nets: [],
    containerId: 'trained',
    netDevices: [],
    netFormat: 'runcc',
    terminal: false,
  };
  const fifo = join(stateDir, START_FIFO);
  if (spawnSync('mkfifo', [fifo]).status !== 0) return;
  const child = spawn(process.execPath, [loader, `--reserve-mib=${config.memMiB}`], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...TRAINING_ENV, RUNCC_CODE_CACHE_OUT: cacheFile },
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const frames = new FrameReader();
  let reader: number | undefined;
  const channel = child.stdio[3] as Duplex;
  channel.on('error', () => undefined);
  channel.on('data', (chunk: Buffer) => {
    for (const message of frames.push(chunk) as { type: string }[]) {
      if (message.type === 'booted') channel.write(encodeFrame({ type: 'configure', stateDir, config }));
      // A reader that does not block, held until the monitor exits: its open for writing then succeeds whenever it
      // comes, as it does when `runcc start` opens the gate.
      if (message.type === 'ready' && reader === undefined) reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    }
  });
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (reader !== undefined) closeSync(reader);
}

/** main.ts requires its front ends by relative path: leave those to the loaders next to it. */
const frontEndsExternal: Plugin = {
  name: 'front-ends-external',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^\\./(${FRONT_ENDS.join('|')})$`) }, (args) => ({ path: `${args.path}.js`, external: true }));
  },
};

async function bundle(entry: string, outfile: string, plugins: Plugin[] = []): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['koffi'],
    plugins,
    write: false,
    outfile,
    logLevel: 'warning',
  });
  // Loaders compile the bundle as a function body, where a shebang is a syntax error; loaders carry their own.
  return result.outputFiles[0].text.replace(/^#!.*\n/, '');
}

function loaderSource(name: string, hash: string, bin: boolean): string {
  return `${bin ? '#!/usr/bin/env node\n' : ''}// Generated by scripts/build/bundle.ts: runs ${name}.bundle.js through its V8 code cache.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { Script } = require('node:vm');
const file = __dirname + '/${name}.bundle.js';
let cachedData;
try {
  cachedData = readFileSync(__dirname + '/${name}.${hash}.cache');
} catch {
  // no cache (or another build's): V8 compiles the source as usual
}
const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const out = process.env.RUNCC_CODE_CACHE_OUT;
if (out) process.once('exit', () => writeFileSync(out, script.createCachedData()));
script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, __dirname);
`;
}

async function writeProgram(program: Program, scratch: string): Promise<void> {
  const source = await bundle(program.entry, join(BUNDLE_DIR, `${program.name}.bundle.js`));
  // The cache's name carries the bundle's hash: V8 itself checks only the source's length.
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  writeFileSync(join(BUNDLE_DIR, `${program.name}.bundle.js`), source);
  const loader = join(BUNDLE_DIR, `${program.name}.js`);
  writeFileSync(loader, loaderSource(program.name, hash, program.bin));
  if (program.bin) chmodSync(loader, 0o755);
  const cacheFile = join(BUNDLE_DIR, `${program.name}.${hash}.cache`);
  const training = program.name === 'runtime-cli' ? stateTraining : program.training;
  if (program.name === 'container-monitor') await trainMonitor(loader, scratch, cacheFile);
  else if (training) {
    const argv = program.name === 'runtime-cli' ? [join(BUNDLE_DIR, 'main.js'), ...training(scratch)] : [loader, ...training(scratch)];
    // The training run's status does not matter (no /dev/kvm here, say): only which functions it compiled.
    spawnSync(process.execPath, argv, { stdio: 'ignore', env: { ...process.env, ...TRAINING_ENV, RUNCC_CODE_CACHE_OUT: cacheFile }, timeout: 60_000 });
  }
  if (!existsSync(cacheFile)) {
    writeFileSync(cacheFile, new Script(wrap(source), { filename: join(BUNDLE_DIR, `${program.name}.bundle.js`) }).createCachedData());
  }
}

async function main(): Promise<void> {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const dispatcher = join(BUNDLE_DIR, 'main.js');
  writeFileSync(dispatcher, `#!/usr/bin/env node\n${await bundle('src/cli/main.ts', dispatcher, [frontEndsExternal])}`);
  chmodSync(dispatcher, 0o755);
  const scratch = mkdtempSync(join(tmpdir(), 'runcc-bundle-'));
  try {
    for (const program of PROGRAMS) await writeProgram(program, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  // The shim's own executable: a shell front that answers containerd's no-op `delete` without starting node.
  const shimFront = join(BUNDLE_DIR, 'containerd-shim-runcc-v2');
  copyFileSync(join(ROOT, 'src/cli/containerd-shim-runcc-v2.sh'), shimFront);
  chmodSync(shimFront, 0o755);
  const files = readdirSync(BUNDLE_DIR);
  process.stdout.write(`bundle: ${files.filter((f) => f.endsWith('.bundle.js')).length} programs in dist/cli (${files.length} files)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bundle: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
