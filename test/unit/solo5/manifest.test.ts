import { MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC, MFT_ENTRY_BYTES, MFT_RESERVED_FIRST } from '../../../src/solo5/abi';
import { Manifest, deviceTypeName, manifestProblem } from '../../../src/solo5/manifest';

function manifestBytes(entries: { name: string; type: number }[], version = 1): Uint8Array {
  const out = new Uint8Array(8 + entries.length * MFT_ENTRY_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, version, true);
  view.setUint32(4, entries.length, true);
  entries.forEach((e, i) => {
    out.set(Buffer.from(e.name), 8 + i * MFT_ENTRY_BYTES);
    view.setUint32(8 + i * MFT_ENTRY_BYTES + 68, e.type, true);
  });
  return out;
}

const RESERVED = { name: '', type: MFT_RESERVED_FIRST };

describe('manifestProblem (Solo5 mft_validate)', () => {
  test('accepts the reserved entry alone and with devices', () => {
    expect(manifestProblem(manifestBytes([RESERVED]))).toBeUndefined();
    expect(manifestProblem(manifestBytes([RESERVED, { name: 'storage', type: MFT_DEV_BLOCK_BASIC }]))).toBeUndefined();
  });

  test.each<[string, Uint8Array, string]>([
    ['too short', new Uint8Array(4), 'manifest is 4 bytes, shorter than its 8-byte header'],
    ['wrong version', manifestBytes([RESERVED], 2), 'manifest version is 2, expected 1'],
    ['more than 64 entries', (() => { const b = manifestBytes([RESERVED]); new DataView(b.buffer).setUint32(4, 65, true); return b; })(), 'manifest has 65 entries, more than 64'],
    ['size not matching entries', manifestBytes([RESERVED]).subarray(0, 100), 'manifest size 100 does not match its 1 entries'],
    ['no entries', manifestBytes([]), 'manifest has no entries'],
    ['entry 0 not reserved', manifestBytes([{ name: '', type: MFT_DEV_NET_BASIC }]), 'manifest entry 0 is not the reserved entry'],
    ['entry 0 named', manifestBytes([{ name: 'x', type: MFT_RESERVED_FIRST }]), 'manifest entry 0 has a name'],
    ['name without NUL', manifestBytes([RESERVED, { name: 'n'.repeat(68), type: MFT_DEV_NET_BASIC }]), 'manifest entry 1 name is not NUL-terminated'],
    ['entry marked attached', (() => { const b = manifestBytes([RESERVED]); b[8 + 96] = 1; return b; })(), 'manifest entry 0 is marked attached'],
  ])('rejects %s', (_what, bytes, problem) => {
    expect(manifestProblem(bytes)).toBe(problem);
  });
});

describe('Manifest', () => {
  const manifest = (): Manifest =>
    new Manifest(
      manifestBytes([
        RESERVED,
        { name: 'storage', type: MFT_DEV_BLOCK_BASIC },
        { name: 'service0', type: MFT_DEV_NET_BASIC },
        { name: 'odd', type: 7 },
      ]),
    );

  test('finds devices by name and type', () => {
    const m = manifest();
    expect(m.find('storage', MFT_DEV_BLOCK_BASIC)).toBe(1);
    expect(m.find('storage', MFT_DEV_NET_BASIC)).toBe(-1);
    expect(m.find('service0', MFT_DEV_NET_BASIC)).toBe(2);
    expect(m.find('nothing', MFT_DEV_NET_BASIC)).toBe(-1);
  });

  test('judges guest handles by index and type, truncating them to 32 bits', () => {
    const m = manifest();
    expect(m.isHandleOfType(2n, MFT_DEV_NET_BASIC)).toBe(true);
    expect(m.isHandleOfType(1n, MFT_DEV_NET_BASIC)).toBe(false);
    expect(m.isHandleOfType((1n << 32n) + 2n, MFT_DEV_NET_BASIC)).toBe(true);
    expect(m.isHandleOfType(4n, MFT_DEV_NET_BASIC)).toBe(false);
  });

  test('lists declared devices until they are attached', () => {
    const m = manifest();
    expect(m.unattachedDevices()).toEqual([
      { name: 'storage', type: MFT_DEV_BLOCK_BASIC },
      { name: 'service0', type: MFT_DEV_NET_BASIC },
      { name: 'odd', type: 7 },
    ]);
    m.markAttached(1, 9);
    m.setBlockProperties(1, 4096n, 512);
    expect(m.blockSize(1)).toBe(512);
    expect(m.unattachedDevices().map((d) => d.name)).toEqual(['service0', 'odd']);
    expect(['BLOCK_BASIC', 'NET_BASIC', '<undefined type>']).toEqual([1, 2, 7].map(deviceTypeName));
  });
});
