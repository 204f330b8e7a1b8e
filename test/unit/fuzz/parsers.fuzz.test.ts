// Property test of runcc's parsers of untrusted input: thousands of mutated inputs per run, each of which must be
// accepted or refused with the parser's typed error (ElfError, MonitorError, SpecError, ImageError) — never another
// exception escaping. Seeded: a failure prints its seed and case, and RUNCC_FUZZ_SEED=<seed> replays it. A
// hand-written PRNG rather than a library: the mutations are specific to each format (header fields, tar blocks),
// which a generic generator would have to be taught anyway.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bytesSource } from '../../../src/elf/byte-source';
import { ElfError } from '../../../src/elf/elf-error';
import { findNote } from '../../../src/elf/elf-note';
import { EM_X86_64, readElf64 } from '../../../src/elf/elf64';
import { planLoad } from '../../../src/elf/load-plan';
import { ImageError } from '../../../src/image/image-error';
import { unpackImage } from '../../../src/image/image-unpack';
import { MonitorError } from '../../../src/monitor/monitor-error';
import { locateKernel, parseOptions } from '../../../src/monitor/options';
import { SpecError } from '../../../src/oci/spec-error';
import { validateSpec } from '../../../src/oci/spec-validation';
import { unikernelSpecTemplate } from '../../../src/runtime/spec-template';
import { MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC, SOLO5_ABI1_NOTE, SOLO5_MFT1_NOTE } from '../../../src/solo5/abi';
import { Manifest, manifestProblem } from '../../../src/solo5/manifest';
import { tarOf, writeLayout } from '../image/image-fixtures';
import { TarGate, UnpackBudget } from '../../../src/image/tar-gate';

const SEED = Number(process.env.RUNCC_FUZZ_SEED ?? 0x5eed2026);
const BUILD = resolve(__dirname, '../../../bundle-examples/build');

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** A value that breaks parsers: boundaries, all-ones, huge, random. */
  hostileU32(): number {
    return this.pick([0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, this.int(0x1_0000_0000), this.int(64)]);
  }
}

/** `bytes` with 1–8 mutations: flipped bits, hostile 32-bit words at `hot` offsets or anywhere, cuts, junk. */
function mutate(rng: Rng, bytes: Uint8Array, hot: readonly number[] = []): Uint8Array {
  let out = Uint8Array.from(bytes);
  const count = 1 + rng.int(8);
  for (let i = 0; i < count; i++) {
    const kind = rng.int(6);
    if (kind === 0 && out.length > 0) out[rng.int(out.length)] ^= 1 << rng.int(8);
    else if (kind === 1 && out.length >= 4) {
      const at = hot.length > 0 && rng.int(3) > 0 ? Math.min(rng.pick(hot), out.length - 4) : rng.int(out.length - 3);
      new DataView(out.buffer).setUint32(at, rng.hostileU32(), true);
    } else if (kind === 2 && out.length > 0) out = out.subarray(0, rng.int(out.length));
    else if (kind === 3) out = Uint8Array.from([...out, ...Array.from({ length: rng.int(64) }, () => rng.int(256))]);
    else if (kind === 4 && out.length > 0) out[rng.int(out.length)] = rng.pick([0, 0xff, 0x80, 0x7f]);
    else if (out.length > 16) {
      const at = rng.int(out.length - 8);
      out.copyWithin(at, rng.int(out.length - 8), rng.int(out.length));
    }
  }
  return out;
}

/** Runs `check` on `cases` inputs; any exception not `allowed` fails the test, naming the seed and the case. */
async function property(name: string, cases: number, check: (rng: Rng, i: number) => void | Promise<void>, allowed: readonly (new (...a: never[]) => Error)[]): Promise<Record<string, number>> {
  const rng = new Rng(SEED ^ [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
  const outcomes: Record<string, number> = { accepted: 0 };
  for (let i = 0; i < cases; i++) {
    try {
      await check(rng, i);
      outcomes.accepted++;
    } catch (error) {
      const typed = allowed.find((type) => error instanceof type);
      if (!typed) throw new Error(`${name}: case ${i} (RUNCC_FUZZ_SEED=${SEED}) escaped with ${(error as Error)?.constructor?.name}: ${(error as Error)?.stack ?? String(error)}`);
      outcomes[typed.name] = (outcomes[typed.name] ?? 0) + 1;
    }
  }
  return outcomes;
}

/** Offsets of the ELF header fields and of the first program headers (where mutations do most harm). */
const ELF_HOT = [4, 5, 16, 18, 20, 24, 32, 40, 52, 54, 56, 58, 60, 62, ...[0, 1, 2, 3, 4].flatMap((i) => [64 + i * 56, 68 + i * 56, 72 + i * 56, 80 + i * 56, 96 + i * 56, 104 + i * 56])];

test('the ELF reader, note lookup, manifest validation and load planning refuse mutated unikernels with ElfError', async () => {
  const seeds = ['hello', 'net-responder', 'block-many'].map((n) => new Uint8Array(readFileSync(join(BUILD, `${n}.hvt`))));
  const outcomes = await property('elf', 3000, (rng) => {
    const bytes = mutate(rng, rng.pick(seeds), ELF_HOT);
    const source = bytesSource(bytes);
    const elf = readElf64(source, 'fuzz.hvt', EM_X86_64, 'loading');
    findNote(source, 'fuzz.hvt', elf, SOLO5_ABI1_NOTE);
    const mft = findNote(source, 'fuzz.hvt', elf, SOLO5_MFT1_NOTE);
    if (mft && manifestProblem(mft) === undefined) {
      const manifest = new Manifest(new Uint8Array(mft));
      manifest.devicesOfType(MFT_DEV_NET_BASIC);
      manifest.devicesOfType(MFT_DEV_BLOCK_BASIC);
    }
    planLoad(elf, 'fuzz.hvt', 512 * 1024 * 1024, 0x100000, 4096);
  }, [ElfError]);
  // Both sides are reached: some mutants still load, most are refused.
  expect(outcomes.accepted).toBeGreaterThan(50);
  expect(outcomes.ElfError).toBeGreaterThan(500);
});

test('manifest validation of mutated manifests never throws, and what it accepts can be read', async () => {
  const elf = new Uint8Array(readFileSync(join(BUILD, 'block-many.hvt')));
  const source = bytesSource(elf);
  const manifestBytes = findNote(source, 'm', readElf64(source, 'm', EM_X86_64, 'loading'), SOLO5_MFT1_NOTE)!;
  const outcomes = await property('manifest', 2000, (rng) => {
    const bytes = mutate(rng, manifestBytes, [0, 4, 8, 12, 40, 44, 48, 52]);
    const problem = manifestProblem(bytes);
    if (problem !== undefined) throw new ManifestRefused(problem);
    const manifest = new Manifest(bytes);
    for (let i = 0; i < manifest.entries; i++) {
      manifest.name(i);
      manifest.type(i);
    }
  }, [ManifestRefused]);
  expect(outcomes.ManifestRefused).toBeGreaterThan(100);
});

class ManifestRefused extends Error {}

const OPTION_TOKENS = [
  '--mem=', '--mem=0', '--mem=64', '--mem=99999999999999999999', '--mem=-1', '--block:', '--block:storage=', '--block-sector-size:storage=',
  '--net:', '--net:service0=', '--net:service0=@', '--net-mac:service0=', '--', '-', '--help', '--version', 'kernel.hvt', '=', ':', '@',
  '@99999999999', 'tap0', '4096', '511', '65536', '02:00:00:00:00:01', 'zz:zz', 'a'.repeat(70), 'x'.repeat(5000), '\0', ' ', 'é',
];

test('the option grammar refuses random command lines with MonitorError', async () => {
  const outcomes = await property('options', 3000, (rng) => {
    const argv = Array.from({ length: rng.int(8) }, () => {
      const parts = 1 + rng.int(3);
      return Array.from({ length: parts }, () => rng.pick(OPTION_TOKENS)).join('');
    });
    const located = locateKernel(argv);
    if (located.kind === 'kernel') parseOptions(argv, located.index);
  }, [MonitorError]);
  expect(outcomes.accepted).toBeGreaterThan(100);
  expect(outcomes.MonitorError).toBeGreaterThan(100);
});

/** A random JSON value, deep enough to reach nested validators. */
function randomJson(rng: Rng, depth = 0): unknown {
  const kind = rng.int(depth > 3 ? 6 : 8);
  switch (kind) {
    case 0: return null;
    case 1: return rng.pick([true, false]);
    case 2: return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), NaN, 1e308, 4294967296]);
    case 3: return rng.pick(['', '/', 'relative', '1.2.0', 'KEY=VALUE', 'network', 'RLIMIT_NOFILE', '\0', 'x'.repeat(1000)]);
    case 4: return [];
    case 5: return {};
    case 6: return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
    default: return Object.fromEntries(Array.from({ length: rng.int(4) }, () => [rng.pick(['path', 'type', 'args', 'env', 'uid', 'source', 'options', 'limit', '__proto__', 'constructor']), randomJson(rng, depth + 1)]));
  }
}

/** Replaces one random node of `doc` (a valid spec) with a random JSON value. */
function mutateJson(rng: Rng, doc: unknown): unknown {
  if (doc === null || typeof doc !== 'object' || rng.int(4) === 0) return randomJson(rng);
  const copy: any = Array.isArray(doc) ? [...doc] : { ...(doc as object) };
  const keys = Object.keys(copy);
  const extra = ['process', 'linux', 'mounts', 'hooks', 'annotations', 'root', 'ociVersion', 'user', 'rlimits', 'capabilities', 'namespaces', 'resources', 'memory', 'cpu', 'pids', 'seccomp', 'uidMappings', 'sysctl', 'prestart'];
  const key = keys.length > 0 && rng.int(3) > 0 ? rng.pick(keys) : Array.isArray(copy) ? String(copy.length) : rng.pick(extra);
  copy[key] = mutateJson(rng, copy[key]);
  return copy;
}

test('config.json validation refuses mutated specs with SpecError', async () => {
  const base = JSON.parse(JSON.stringify({
    ...unikernelSpecTemplate(),
    mounts: [{ destination: '/storage', type: 'bind', source: '/tmp/x', options: ['rbind'] }],
    hooks: { prestart: [{ path: '/bin/true', args: ['true'], env: ['A=1'], timeout: 5 }] },
    linux: { ...unikernelSpecTemplate().linux, cgroupsPath: '/runcc/x', resources: { memory: { limit: 1 }, cpu: { shares: 2 }, pids: { limit: 3 } } },
  }));
  const outcomes = await property('spec', 3000, (rng) => {
    let doc: unknown = base;
    for (let i = 0, n = 1 + rng.int(3); i < n; i++) doc = mutateJson(rng, doc);
    // Through JSON, as config.json arrives (NaN becomes null, __proto__ an own key).
    validateSpec(JSON.parse(JSON.stringify(doc)));
  }, [SpecError]);
  expect(outcomes.accepted).toBeGreaterThan(100);
  expect(outcomes.SpecError).toBeGreaterThan(500);
});

test('layer unpacking refuses mutated tars with ImageError and leaves nothing behind', async () => {
  const work = mkdtempSync(join(tmpdir(), 'runcc-fuzz-'));
  try {
    const layer = [
      { name: 'unikernel.hvt', content: 'ELF'.repeat(200), mode: 0o755 },
      { name: 'a/', type: 'directory' as const },
      { name: `a/${'long'.repeat(40)}`, content: 'pax path' },
      { name: 'a/link', type: 'symlink' as const, linkname: '../unikernel.hvt' },
      { name: 'a/hard', type: 'link' as const, linkname: 'unikernel.hvt' },
      { name: 'a/.wh.gone', content: '' },
      { name: 'b', content: 'b'.repeat(1500) },
    ];
    const [blob] = await writeLayout(join(work, 'layout'), [layer]);
    const tar = await tarOf(layer);
    // Headers are at 512-byte block starts: most mutations go into the header fields.
    const hot = [0, 100, 124, 136, 148, 156, 157, 257, 345].flatMap((f) => [0, 1, 2, 3, 4, 5, 6, 7, 8].map((b) => b * 512 + f));
    const outcomes = await property('tar', 600, async (rng) => {
      let mutated = mutate(rng, tar, hot);
      // Same length mostly, so the blob-size check does not stop the stream before the tar parser sees it.
      if (rng.int(4) > 0) mutated = Uint8Array.from({ length: tar.length }, (_, i) => mutated[i] ?? 0);
      writeFileSync(blob, mutated);
      const bundle = join(work, 'bundle');
      try {
        await unpackImage({ image: join(work, 'layout'), bundle, baseSpec: unikernelSpecTemplate(), limits: { maxEntries: 50, maxBytes: 1 << 20 } });
      } finally {
        rmSync(bundle, { recursive: true, force: true });
      }
    }, [ImageError]);
    expect(outcomes.ImageError).toBeGreaterThan(300);
    expect(readdirSync(work)).toEqual(['layout']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 20_000);

test('the tar gate walks the blocks as tar-stream does: what it passes tar-stream reads without hanging, and they count the same entries', async () => {
  const tar = await tarOf([
    { name: 'f', content: 'x'.repeat(700) },
    { name: `d/${'p'.repeat(150)}`, content: 'long name via pax' },
    { name: 'd/', type: 'directory' },
    { name: 's', type: 'symlink', linkname: 'f' },
    { name: 'g', content: '' },
  ]);
  const hot = [0, 124, 148, 156].flatMap((f) => [0, 1, 2, 3, 4, 5, 6, 7].map((b) => b * 512 + f));
  let compared = 0;
  // Header blocks of the original: after mutating, their checksums are made right again (most of the time), so
  // the mutated sizes, types and pax records reach both parsers instead of a checksum error.
  const headers = [...Array(tar.length / 512).keys()].map((b) => b * 512).filter((at) => tar.subarray(at + 257, at + 262).toString() === 'ustar');
  const fixChecksums = (bytes: Buffer): void => {
    for (const at of headers) {
      if (at + 512 > bytes.length) continue;
      bytes.fill(0x20, at + 148, at + 156);
      let sum = 0;
      for (let i = at; i < at + 512; i++) sum += bytes[i];
      bytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
    }
  };
  await property('tar-gate', 1000, async (rng) => {
    const mutated = Buffer.from(mutate(rng, tar, hot));
    if (rng.int(5) > 0) fixChecksums(mutated);
    // A parser that never settles is a failure too (tar-stream waits forever on an unreadable size field).
    const withDeadline = <T,>(what: string, p: Promise<T>): Promise<T> =>
      Promise.race([p, new Promise<T>((_, no) => setTimeout(() => no(new Error(`${what} hangs`)), 2000).unref())]);
    const budget = new UnpackBudget(1e9, 1e12);
    const gateOk = await withDeadline('gate', pipeline(Readable.from([mutated]), new TarGate({ maxMetaBytes: 1 << 20, budget, what: 'x' }), async function* (source) {
      for await (const _ of source) yield* [];
    }).then(() => true, (e) => {
      if (!(e instanceof ImageError)) throw e;
      return false;
    }));
    // What the gate refuses never reaches tar-stream in an unpack; what it passes, tar-stream must get through.
    if (!gateOk) return;
    let parsed = 0;
    let parseOk = true;
    const ex = extract();
    ex.on('entry', (_h, stream, next) => {
      parsed++;
      stream.on('end', () => next()).on('error', () => next()).resume();
    });
    await withDeadline('tar-stream', pipeline(Readable.from([mutated]), ex)).catch((e) => {
      if (/hangs/.test(e.message)) throw e;
      parseOk = false;
    });
    if (parseOk) {
      compared++;
      expect({ gate: budget.entries }).toEqual({ gate: parsed });
    }
  }, []);
  expect(compared).toBeGreaterThan(50);
}, 20_000);
