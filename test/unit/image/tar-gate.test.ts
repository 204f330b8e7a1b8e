// The tar gate on hand-made headers: an entry whose size field tar-stream cannot read (it would then wait for the
// body forever) is refused at once, as are negative sizes; the unpack ends with an ImageError, nothing left.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageError } from '../../../src/image/image-error';
import { TarGate, UnpackBudget, paxSize, tarNumber } from '../../../src/image/tar-gate';
import { unpackImage } from '../../../src/image/image-unpack';
import { unikernelSpecTemplate } from '../../../src/runtime/spec-template';
import { tarHeader, writeLayout } from './image-fixtures';

const header = tarHeader;

const gateOver = (tar: Buffer) =>
  pipeline(Readable.from([tar]), new TarGate({ maxMetaBytes: 65536, budget: new UnpackBudget(100, 1 << 30), what: 'layer 1' }), new Writable({ write: (_c, _e, done) => done() }));

test('size fields: octal with spaces and NULs, base-256, and what tar-stream cannot read', () => {
  expect(tarNumber(Buffer.from(' 0000000017\0 '), 0, 12)).toBe(15);
  expect(tarNumber(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), 0, 12)).toBe(256);
  expect(tarNumber(Buffer.from([0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), 0, 12)).toBeNaN();
  expect(tarNumber(Buffer.alloc(12), 0, 12)).toBe(0);
  expect(paxSize(Buffer.from('13 size=1234\n19 path=/some/file\n'))).toBe('1234');
  expect(paxSize(Buffer.from('0 size=1\n'))).toBeUndefined();
});

test('an entry with an unreadable or negative size is refused, not waited on', async () => {
  const bad256 = Buffer.from([0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
  await expect(gateOver(Buffer.concat([header('f', '0', bad256), Buffer.alloc(1024)]))).rejects.toThrow(new ImageError('layer 1: not a tar: the entry at byte 0 has an invalid size'));
  const negative = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
  await expect(gateOver(Buffer.concat([header('f', '0', negative), Buffer.alloc(1024)]))).rejects.toThrow('has an invalid size');
  const paxBadSize = Buffer.from('12 size=-5\n');
  const pax = Buffer.concat([header('PaxHeader/f', 'x', Buffer.from(`${paxBadSize.length.toString(8).padStart(11, '0')}\0`)), paxBadSize, Buffer.alloc(512 - paxBadSize.length)]);
  await expect(gateOver(Buffer.concat([pax, header('f', '0', Buffer.from('00000000000\0')), Buffer.alloc(1024)]))).rejects.toThrow('has an invalid size');
});

test('a directory entry with a size is refused (tar-stream would never end its entry)', async () => {
  const dir = Buffer.concat([header('d/', '5', Buffer.from('00000000003\0')), Buffer.alloc(1024)]);
  await expect(gateOver(dir)).rejects.toThrow(new ImageError('layer 1: not a tar: the directory entry at byte 0 has a size (3)'));
  const oldStyle = Buffer.concat([header('d/', '\0', Buffer.from('00000000003\0')), Buffer.alloc(1024)]);
  await expect(gateOver(oldStyle)).rejects.toThrow('the directory entry at byte 0 has a size (3)');
  const empty = Buffer.concat([header('d/', '5', Buffer.from('00000000000\0')), Buffer.alloc(1024)]);
  await expect(gateOver(empty)).resolves.toBeUndefined();
});

test('through the unpack: the hostile layer ends in an ImageError and nothing is left', async () => {
  const work = mkdtempSync(join(tmpdir(), 'runcc-gate-test-'));
  try {
    const [blob] = await writeLayout(join(work, 'layout'), [[{ name: 'f', content: 'x' }]]);
    const tar = Buffer.concat([header('f', '0', Buffer.from([0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0])), Buffer.alloc(1536)]);
    // The same length as the original one-file layer (header, body block, end blocks), so that the stream passes
    // the descriptor's size check and reaches the tar parser.
    expect(tar.length).toBe(2048);
    writeFileSync(blob, tar);
    await expect(unpackImage({ image: join(work, 'layout'), bundle: join(work, 'bundle'), baseSpec: unikernelSpecTemplate() })).rejects.toThrow(/^layer 1 \(blobs\/sha256\/[0-9a-f]{64}\): not a tar: the entry at byte 0 has an invalid size$/);
    expect(readdirSync(work)).toEqual(['layout']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
