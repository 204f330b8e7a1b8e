import { bytesSource } from '../../../src/elf/byte-source';
import { EM_X86_64, readElf64 } from '../../../src/elf/elf64';
import { findNote } from '../../../src/elf/elf-note';
import { PT_NOTE, craftElf, craftNote, u32s } from './craft-elf';

const ABI1 = 0x31494241;
const MFT1 = 0x3154464d;
const abiQuery = { owner: 'Solo5', type: ABI1, descAlign: 4, maxDescBytes: 32 };
const mftQuery = { owner: 'Solo5', type: MFT1, descAlign: 8, maxDescBytes: 6668 };

function find(notes: Uint8Array[], query = abiQuery, fileszOverride?: number) {
  const bytes = craftElf({
    segments: notes.map((data) => ({ type: PT_NOTE, vaddr: 0x101000, data, filesz: fileszOverride ?? data.length })),
  });
  return findNote(bytesSource(bytes), 'k', readElf64(bytesSource(bytes), 'k', EM_X86_64, 'loading note'), query);
}

describe('findNote', () => {
  test('finds the ABI1 descriptor among other notes', () => {
    const other = craftNote({ name: 'OpenBSD', type: 1, desc: u32s(0) });
    const abi = craftNote({ type: ABI1, desc: u32s(1, 2, 0, 0) });
    expect(Array.from(find([other, abi])!)).toEqual(Array.from(u32s(1, 2, 0, 0)));
  });

  test('skips the 4 alignment bytes before an MFT1 descriptor', () => {
    const mft = craftNote({ type: MFT1, desc: u32s(1, 1), descAlign: 8 });
    expect(new DataView(mft.buffer).getUint32(4, true)).toBe(12);
    expect(Array.from(find([mft], mftQuery)!)).toEqual(Array.from(u32s(1, 1)));
  });

  test('returns undefined when no note matches owner and type', () => {
    expect(find([craftNote({ name: 'Solo6', type: ABI1, desc: u32s(1, 2) })])).toBeUndefined();
    expect(find([craftNote({ type: MFT1, desc: u32s(1, 2) })])).toBeUndefined();
  });

  test('a PT_NOTE smaller than any note header rejects the executable; one too small for Solo5 is skipped', () => {
    expect(() => find([new Uint8Array(8)])).toThrow('k: invalid executable: phdr[0].p_filesz note does not fall within valid size (8 < 12)');
    expect(find([new Uint8Array(16)])).toBeUndefined();
  });

  test.each([
    ['descsz 0', craftNote({ type: ABI1, desc: u32s(1, 2), descsz: 0 }), '(0 < 1 || 0 > 32)'],
    ['descsz over the maximum', craftNote({ type: ABI1, desc: u32s(1, 2), descsz: 33 }), '(33 < 1 || 33 > 32)'],
    ['descsz past p_filesz', craftNote({ type: ABI1, desc: u32s(1, 2), descsz: 16 }), '(28 < 36)'],
  ])('rejects %s', (_what, note, detail) => {
    expect(() => find([note])).toThrow(`k: invalid executable: phdr[0] note does not fall within valid size ${detail}`);
  });

  test('rejects an MFT1 note whose descsz does not even cover its alignment padding', () => {
    const note = craftNote({ type: MFT1, desc: u32s(0), descAlign: 8, descsz: 1 });
    expect(() => find([note], mftQuery)).toThrow('note does not fall within valid size');
  });
});
