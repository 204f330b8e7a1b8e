import { HVT_BOOT_INFO } from '../../../src/solo5/abi';
import { Manifest } from '../../../src/solo5/manifest';
import { encodeCmdline, writeBootInfo } from '../../../src/monitor/boot-info';
import { gpa } from '../../../src/monitor/guest-address';
import { guestMemorySize } from '../../../src/monitor/memory-size';
import { writeNanoseconds } from '../../../src/monitor/hypercalls/core-hypercalls';

const MiB = 1024 * 1024;
const TWO_MIB = 2 * MiB;
const FOUR_GIB = 4096 * MiB;

describe('guest memory size', () => {
  test.each([
    [512, 512 * MiB, false],
    [3, 2 * MiB, true],
    [1, 2 * MiB, true],
    [4096, FOUR_GIB, false],
    [4097, FOUR_GIB, true],
  ])('%i MiB → %i bytes (adjusted: %s)', (mib, bytes, adjusted) => {
    expect(guestMemorySize(mib, TWO_MIB, FOUR_GIB)).toEqual({ bytes, adjusted });
  });

  test('more than 4 GiB is refused', () => {
    expect(() => guestMemorySize(4098, TWO_MIB, FOUR_GIB)).toThrow('guest memory size 4297064448 bytes exceeds the max size 4294967296 bytes');
  });
});

describe('boot info and command line', () => {
  test('the command line is the guest args joined by spaces, NUL-terminated, at most 8191 characters', () => {
    expect(Buffer.from(encodeCmdline(['a', 'b c'])).toString()).toBe('a b c\0');
    expect(encodeCmdline([])).toEqual(Uint8Array.from([0]));
    expect(encodeCmdline(['x'.repeat(8191)]).length).toBe(8192);
    expect(() => encodeCmdline(['x'.repeat(8192)])).toThrow('Guest command line too long (max=8191 characters)');
  });

  test('boot info at 0x10000, manifest copy right after it, command line after the manifest', () => {
    const mem = new DataView(new ArrayBuffer(0x20000));
    const mft = new Uint8Array(8 + 104);
    new DataView(mft.buffer).setUint32(0, 1, true);
    new DataView(mft.buffer).setUint32(4, 1, true);
    writeBootInfo(mem, gpa(0x10000), {
      guestSizeBytes: 512 * MiB,
      kernelEnd: 0x108000,
      cpuCycleHz: 2_600_000_000,
      manifest: new Manifest(mft),
      cmdline: encodeCmdline(['hi']),
    });
    const u64 = (off: number): bigint => mem.getBigUint64(0x10000 + off, true);
    expect(u64(HVT_BOOT_INFO.memSize)).toBe(BigInt(512 * MiB));
    expect(u64(HVT_BOOT_INFO.kernelEnd)).toBe(0x108000n);
    expect(u64(HVT_BOOT_INFO.cpuCycleFreq)).toBe(2_600_000_000n);
    expect(u64(HVT_BOOT_INFO.mft)).toBe(0x10038n);
    expect(u64(HVT_BOOT_INFO.cmdline)).toBe(0x10038n + 112n);
    expect(mem.getUint32(0x10000 + HVT_BOOT_INFO.hostFeatures, true)).toBe(0);
    expect(u64(HVT_BOOT_INFO.netRing)).toBe(0n);
    expect(mem.getUint32(0x10038 + 4, true)).toBe(1);
    expect(Buffer.from(mem.buffer, 0x10038 + 112, 3).toString()).toBe('hi\0');
  });
});

describe('WALLTIME arithmetic', () => {
  test.each([
    [0, 0],
    [1, 999_999_999],
    [1_764_230_400, 123_456_789],
    [4_294_967_295, 999_999_999],
    [65_535, 1],
    [65_536, 0],
  ])('%i s + %i ns is stored exactly as a u64', (sec, nsec) => {
    const view = new DataView(new ArrayBuffer(8));
    writeNanoseconds(view, 0, sec, nsec);
    expect(view.getBigUint64(0, true)).toBe(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
  });
});
