// `npm run bench` (part): image unpack throughput and peak memory, no KVM needed. Builds images whose layer holds a
// 50 MB and a 200 MB incompressible disk, unpacks each with `runcc image unpack` in a fresh process, and prints
// MB/s of layer data and the unpacking process's peak RSS: streaming means the RSS does not grow with the layer.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');
const RUNCC = join(ROOT, 'dist/cli/main.js');
const CHILD_RSS = join(__dirname, 'child-rss.js');
const KERNEL = join(ROOT, 'bundle-examples/build/block-tester.hvt');

function writeRandomFile(path: string, megabytes: number): void {
  const chunk = Buffer.alloc(1024 * 1024);
  const fd = openSync(path, 'w');
  for (let i = 0; i < megabytes; i++) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
}

function run(args: string[]): void {
  const r = spawnSync(process.execPath, [RUNCC, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`runcc ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function measure(work: string, megabytes: number): { mbPerSecond: number; rssMiB: number; layerMB: number } {
  const disk = join(work, `disk-${megabytes}.img`);
  const image = join(work, `image-${megabytes}.tar`);
  writeRandomFile(disk, megabytes);
  run(['image', 'build', KERNEL, '--block', `storage=${disk}`, '-t', `bench:${megabytes}`, '-o', image]);
  const layerMB = statSync(image).size / 1e6;
  const bundle = join(work, `bundle-${megabytes}`);
  const started = process.hrtime.bigint();
  run(['image', 'unpack', image, '--bundle', bundle]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(bundle, { recursive: true });
  const rss = spawnSync(process.execPath, [CHILD_RSS, process.execPath, RUNCC, 'image', 'unpack', image, '--bundle', bundle], { encoding: 'utf8' });
  rmSync(bundle, { recursive: true, force: true });
  return { mbPerSecond: layerMB / seconds, rssMiB: Number(rss.stdout.trim()) / 1024, layerMB };
}

const work = mkdtempSync(join(tmpdir(), 'runcc-unpack-bench-'));
try {
  const rows = [50, 200].map((mb) => ({ mb, ...measure(work, mb) }));
  process.stdout.write(`\nImage unpack (${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs; tar archive → bundle, digests checked)\n\n`);
  process.stdout.write('| layer | wall throughput | peak RSS of `runcc image unpack` |\n|---|---|---|\n');
  for (const row of rows) process.stdout.write(`| ${row.layerMB.toFixed(0)} MB | ${row.mbPerSecond.toFixed(0)} MB/s | ${row.rssMiB.toFixed(0)} MiB |\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
