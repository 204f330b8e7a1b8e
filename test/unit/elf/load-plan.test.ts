import { bytesSource } from '../../../src/elf/byte-source';
import { ElfError } from '../../../src/elf/elf-error';
import { EM_X86_64, readElf64 } from '../../../src/elf/elf64';
import { planLoad } from '../../../src/elf/load-plan';
import { CraftElf, PF_R, PF_W, PF_X, PT_NOTE, craftElf } from './craft-elf';

const MEM = 0x20_0000 * 4; // 8 MiB
const page = (n: number): Uint8Array => new Uint8Array(n).fill(0xaa);

function plan(spec: CraftElf, memBytes = MEM) {
  const elf = readElf64(bytesSource(craftElf(spec)), 'k.hvt', EM_X86_64, 'loading elf');
  return planLoad(elf, 'k.hvt', memBytes, 0x100000, 0x1000);
}

function rejection(spec: CraftElf, memBytes = MEM): string {
  try {
    plan(spec, memBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ElfError);
    return (error as Error).message;
  }
  throw new Error('the executable was accepted');
}

const TEXT = { vaddr: 0x100000, flags: PF_R | PF_X, data: page(0x800) };

describe('planLoad', () => {
  test('plans text, rodata and data with their protections and the aligned kernel end', () => {
    const result = plan({
      entry: 0x100020,
      segments: [
        TEXT,
        { vaddr: 0x101000, flags: PF_R, data: page(0x100) },
        { vaddr: 0x102000, flags: PF_R | PF_W, data: page(0x10), memsz: 0x2000 },
        { vaddr: 0x105000, flags: PF_R | PF_W, filesz: 0, memsz: 0x1000 }, // BSS-only: ignored, as in Solo5
        { type: PT_NOTE, vaddr: 0x101050, data: page(0x20) },
      ],
    });
    expect(result.entry).toBe(0x100020);
    expect(result.kernelEnd).toBe(0x104000);
    expect(result.segments.map((s) => [s.vaddr, s.fileBytes, s.memBytes, s.protectStart, s.protectEnd])).toEqual([
      [0x100000, 0x800, 0x800, 0x100000, 0x101000],
      [0x101000, 0x100, 0x100, 0x101000, 0x102000],
      [0x102000, 0x10, 0x2000, 0x102000, 0x104000],
    ]);
    expect(result.segments.map((s) => s.protection)).toEqual([
      { read: true, write: false, execute: true },
      { read: true, write: false, execute: false },
      { read: true, write: true, execute: false },
    ]);
  });

  test.each<[string, CraftElf, string]>([
    ['entry below 1 MiB', { entry: 0xfffff, segments: [TEXT] }, 'e_entry does not fall within the memory allocation range'],
    ['entry past memory', { entry: MEM, segments: [TEXT] }, 'e_entry does not fall within the memory allocation range'],
    ['segment below 1 MiB', { segments: [{ ...TEXT, vaddr: 0x80000 }] }, 'phdr[0].p_vaddr outside of valid memory range'],
    [
      'segments out of order',
      { segments: [{ ...TEXT, vaddr: 0x200000 }, TEXT] },
      'phdr[1].p_vaddr is not in ascending order',
    ],
    ['alignment not a power of two', { segments: [{ ...TEXT, align: 0x1800 }] }, 'phdr[0].p_align 6144 is not a non-zero power of two'],
    ['zero alignment', { segments: [{ ...TEXT, align: 0 }] }, 'is not a non-zero power of two'],
    [
      'aligned start below 1 MiB',
      { segments: [{ ...TEXT, vaddr: 0x100000, align: 0x200000 }] },
      'phdr[0].p_vaddr_start is outside of memory range (0 < 1048576 (p_min_loadaddr))',
    ],
    [
      'overlapping segments',
      { segments: [{ ...TEXT, memsz: 0x2000 }, { vaddr: 0x101000, data: page(0x10) }] },
      'phdr[1].p_vaddr_start is outside of memory range (1052672 < 1056768 (e_end))',
    ],
    ['segment starts past memory', { segments: [{ ...TEXT, vaddr: MEM }] }, 'phdr[0] program file segment falls outside of valid range'],
    [
      'file bytes run past memory',
      { segments: [{ ...TEXT, vaddr: MEM - 0x1000, filesz: 0x2000 }] },
      'phdr[0] program file segment falls outside of valid range (8392704 (p_vaddr + p_filesz) > 8388608 (mem_size))',
    ],
    ['p_filesz overflows', { segments: [{ ...TEXT, filesz: (1n << 64n) - 1n, memsz: (1n << 64n) - 1n }] }, '(p_vaddr + p_filesz overflow)'],
    ['p_memsz < p_filesz', { segments: [{ ...TEXT, memsz: 0x10 }] }, 'phdr[0] program memory segment falls outside of valid range (16 (p_memsz) < 2048 (p_filesz))'],
    ['memory run past memory', { segments: [{ ...TEXT, memsz: MEM }] }, 'program memory segment falls outside of valid range'],
    ['misaligned to the page size', { segments: [{ ...TEXT, vaddr: 0x100010, align: 0x10 }] }, 'phdr[0] p_vaddr_start not aligned with architectural page size'],
    ['write and execute together', { segments: [{ ...TEXT, flags: PF_R | PF_W | PF_X }] }, 'phdr[0] requests WRITE and EXEC permissions'],
  ])('rejects %s', (_what, spec, message) => {
    const text = rejection(spec);
    expect(text.startsWith('k.hvt: invalid executable: ')).toBe(true);
    expect(text).toContain(message);
  });
});
