// Hostile images against the unpack's limits: oversized pax and GNU long-name records stopped before tar-stream
// buffers them, decompression bombs stopped by the byte budget before the disk fills, entry counts capped, blobs
// longer than their descriptor or never ending refused, and rootfs files runcc reads (/etc/passwd) that are FIFOs
// or links to host files. Each leaves nothing behind: no bundle, no staging directory, no spool directory.
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { unpackImage, UnpackLimits } from '../../../src/image/image-unpack';
import { ImageError } from '../../../src/image/image-error';
import { TarGate, UnpackBudget } from '../../../src/image/tar-gate';
import { unikernelSpecTemplate } from '../../../src/runtime/spec-template';
import { makeFifo } from '../../../src/ffi/fifo';
import { Entry, sha256, tarHeader, tarOf, writeLayout } from './image-fixtures';

// A private temporary directory for this file's spool directories: other test files, running at the same time,
// count theirs in the shared one.
const sharedTmp = tmpdir();
const privateTmp = mkdtempSync(join(sharedTmp, 'runcc-limits-tmp-'));
process.env.TMPDIR = privateTmp;
afterAll(() => {
  process.env.TMPDIR = sharedTmp;
  rmSync(privateTmp, { recursive: true, force: true });
});

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(privateTmp, 'work-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const unpack = (image: string, limits?: Partial<UnpackLimits>) =>
  unpackImage({ image, bundle: join(work, 'bundle'), baseSpec: unikernelSpecTemplate(), limits });
const spoolDirs = (): string[] => readdirSync(privateTmp).filter((n) => n.startsWith('runcc-unpack-'));
/** Nothing but the image is left in the work directory, and no spool directory in the temporary directory. */
function nothingLeft(...kept: string[]): void {
  expect(readdirSync(work).sort()).toEqual(kept.sort());
  expect(spoolDirs()).toEqual([]);
}

const header = tarHeader;

/** Writes an OCI layout whose single layer is `tar` exactly (with a correct diff_id and descriptor). */
async function layoutWithLayer(tar: Buffer, gzip = true): Promise<string> {
  const dir = join(work, 'layout');
  await writeLayout(dir, [[{ name: 'placeholder', content: 'p' }]]);
  const blobs = join(dir, 'blobs/sha256');
  const blob = gzip ? gzipSync(tar) : tar;
  const blobDigest = sha256(blob);
  writeFileSync(join(blobs, blobDigest.slice(7)), blob);
  const put = (doc: unknown): { digest: string; size: number } => {
    const bytes = Buffer.from(JSON.stringify(doc));
    writeFileSync(join(blobs, sha256(bytes).slice(7)), bytes);
    return { digest: sha256(bytes), size: bytes.length };
  };
  const config = put({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/k'] }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } });
  const manifest = put({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: `application/vnd.oci.image.layer.v1.tar${gzip ? '+gzip' : ''}`, digest: blobDigest, size: blob.length }],
  });
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }],
  }));
  return dir;
}

test('a pax record claiming gigabytes is refused at its header, before tar-stream buffers anything of it', async () => {
  // 3 GiB announced, a few KiB of it present: the gate must not wait for (or keep) the record's bytes.
  const bomb = Buffer.concat([header('PaxHeader/x', 'x', 3 * 1024 ** 3), Buffer.alloc(8192, 0x41)]);
  const dir = await layoutWithLayer(bomb);
  await expect(unpack(dir)).rejects.toThrow(/^layer 1 \(blobs\/sha256\/[0-9a-f]{64}\): a pax record of 3221225472 bytes at byte 0 \(1 to 65536 allowed\)$/);
  nothingLeft('layout');
});

test('a GNU long name and a pax record just over the cap are refused; at the cap they pass', async () => {
  const record = (size: number): Buffer => {
    const text = `${size} path=${'a'.repeat(size - String(size).length - 7)}\n`;
    expect(Buffer.byteLength(text)).toBe(size);
    return Buffer.from(text);
  };
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
  const longName = Buffer.concat([header('././@LongLink', 'L', 65537), pad(Buffer.alloc(65537, 0x62)), header('short', '0', 0), Buffer.alloc(1024)]);
  await expect(unpack(await layoutWithLayer(longName))).rejects.toThrow(/: a gnu-long-name record of 65537 bytes at byte 0 \(1 to 65536 allowed\)$/);
  nothingLeft('layout');
  rmSync(join(work, 'layout'), { recursive: true });
  // A pax record of exactly 64 KiB passes the gate (its path is then refused by the name check, as over 4096 bytes).
  const atCap = Buffer.concat([header('PaxHeader/f', 'x', 65536), pad(record(65536)), header('f', '0', 0), Buffer.alloc(1024)]);
  await expect(unpack(await layoutWithLayer(atCap))).rejects.toThrow(/name longer than 4096 bytes$/);
  nothingLeft('layout');
});

test('a decompression bomb is stopped by the byte budget while streaming, before its bytes reach the disk', async () => {
  // 64 MiB of zeros in one file: a gzip blob of about 64 KiB.
  const tar = await tarOf([{ name: 'zeros', content: '\0'.repeat(64 * 1024 * 1024) }]);
  const dir = await layoutWithLayer(tar);
  await expect(unpack(dir, { maxBytes: 1024 * 1024 })).rejects.toThrow(
    /^layer 1 \(blobs\/sha256\/[0-9a-f]{64}\): the image holds more than 1048576 bytes of tar data \(raise the limit with --max-bytes\)$/,
  );
  nothingLeft('layout');
});

test('the gate passes on at most the budget: what would follow is never handed to tar-stream', async () => {
  const budget = new UnpackBudget(10, 1024 * 1024);
  let passed = 0;
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => { passed += chunk.length; done(); } });
  const zeros = Readable.from((function* () { for (let i = 0; i < 1024; i++) yield Buffer.alloc(64 * 1024); })());
  await expect(pipeline(zeros, new TarGate({ maxMetaBytes: 65536, budget, what: 'test' }), sink)).rejects.toThrow(ImageError);
  expect(passed).toBeLessThanOrEqual(1024 * 1024);
  // All-zero blocks are end-of-archive padding, not entries.
  expect(budget.entries).toBe(0);
});

test('entries beyond --max-entries are refused, counted over all layers', async () => {
  const many: Entry[] = Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
  await writeLayout(join(work, 'layout'), [many.slice(0, 15), many.slice(15)], { compression: 'gzip' });
  await expect(unpack(join(work, 'layout'), { maxEntries: 20 })).rejects.toThrow(
    /^layer 2 \(blobs\/sha256\/[0-9a-f]{64}\): the image holds more than 20 entries \(raise the limit with --max-entries\)$/,
  );
  nothingLeft('layout');
  await unpack(join(work, 'layout'), { maxEntries: 30 });
  expect(readdirSync(join(work, 'bundle/rootfs'))).toHaveLength(30);
});

test('an image archive (tar) with too many entries is refused while it is spooled', async () => {
  const many: Entry[] = Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
  writeFileSync(join(work, 'image.tar'), await tarOf(many));
  await expect(unpack(join(work, 'image.tar'), { maxEntries: 20 })).rejects.toThrow(
    `${join(work, 'image.tar')}: the image holds more than 20 entries (raise the limit with --max-entries)`,
  );
  nothingLeft('image.tar');
});

test('a blob longer than its descriptor is refused while streaming; one that never ends (a FIFO, /dev/zero) too', async () => {
  const [blob] = await writeLayout(join(work, 'layout'), [[{ name: 'a', content: 'a' }]]);
  appendFileSync(blob, Buffer.alloc(4096));
  await expect(unpack(join(work, 'layout'))).rejects.toThrow(/^layer 1 \(blobs\/sha256\/[0-9a-f]{64}\): the blob is larger than the \d+ bytes its descriptor says$/);
  nothingLeft('layout');
  rmSync(blob);
  symlinkSync('/dev/zero', blob);
  await expect(unpack(join(work, 'layout'))).rejects.toThrow(/^image: blobs\/sha256\/[0-9a-f]{64} is not a regular file$/);
  rmSync(blob);
  makeFifo(blob, 0o600);
  await expect(unpack(join(work, 'layout'))).rejects.toThrow(/^image: blobs\/sha256\/[0-9a-f]{64} is not a regular file$/);
  nothingLeft('layout');
});

describe('/etc/passwd and /etc/group of the image, read for config User', () => {
  const withUser = (layer: Entry[]) => writeLayout(join(work, 'layout'), [layer], { config: { config: { Entrypoint: ['/k'], User: 'daemon' } } });

  test('a regular file is read', async () => {
    await withUser([{ name: 'etc/', type: 'directory' }, { name: 'etc/passwd', content: 'root:x:0:0::/:/bin/sh\ndaemon:x:1:2::/:/bin/sh\n' }]);
    await unpack(join(work, 'layout'));
    expect(JSON.parse(readFileSync(join(work, 'bundle/config.json'), 'utf8')).process.user).toEqual({ uid: 1, gid: 2 });
  });

  test('a FIFO is refused at once (not waited on)', async () => {
    await withUser([{ name: 'etc/', type: 'directory' }, { name: 'etc/passwd', type: 'fifo' }]);
    await expect(unpack(join(work, 'layout'))).rejects.toThrow(new ImageError('/etc/passwd in the root filesystem: must be a regular file, not a FIFO'));
    nothingLeft('layout');
  });

  test('an absolute link to the host file is read inside the rootfs (here: a loop), never the host’s', async () => {
    await withUser([{ name: 'etc/', type: 'directory' }, { name: 'etc/passwd', type: 'symlink', linkname: '/etc/passwd' }]);
    await expect(unpack(join(work, 'layout'))).rejects.toThrow(new ImageError('/etc/passwd in the root filesystem: too many levels of symbolic links'));
    nothingLeft('layout');
  });

  test('an absolute link is followed inside the rootfs', async () => {
    await withUser([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', type: 'symlink', linkname: '/real/passwd' },
      { name: 'real/', type: 'directory' },
      { name: 'real/passwd', content: 'daemon:x:7:8::/:/bin/sh\n' },
    ]);
    await unpack(join(work, 'layout'));
    expect(JSON.parse(readFileSync(join(work, 'bundle/config.json'), 'utf8')).process.user).toEqual({ uid: 7, gid: 8 });
  });
});
