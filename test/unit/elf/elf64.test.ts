import { bytesSource } from '../../../src/elf/byte-source';
import { ElfError } from '../../../src/elf/elf-error';
import { EM_AARCH64, EM_X86_64, readElf64 } from '../../../src/elf/elf64';
import { CraftElf, craftElf } from './craft-elf';

const VALID: CraftElf = { segments: [{ vaddr: 0x100000, data: new Uint8Array(16) }] };

function read(spec: CraftElf, machine = EM_X86_64) {
  return readElf64(bytesSource(craftElf(spec)), 'k', machine, 'loading elf');
}

describe('readElf64', () => {
  test('reads the header and program headers of a valid executable', () => {
    const elf = read({ entry: 0x100020, segments: [{ vaddr: 0x100000, flags: 5, data: new Uint8Array(16), memsz: 32, align: 0x1000 }] });
    expect(elf.header).toMatchObject({ type: 2, machine: 62, entry: 0x100020n, phnum: 1 });
    expect(elf.programHeaders[0]).toMatchObject({ index: 0, type: 1, flags: 5, vaddr: 0x100000n, filesz: 16n, memsz: 32n, align: 0x1000n });
  });

  test.each<[string, CraftElf]>([
    ['32-bit class', { ...VALID, ident: { class: 1 } }],
    ['big endian', { ...VALID, ident: { data: 2 } }],
    ['ET_DYN', { ...VALID, type: 3 }],
    ['wrong machine', { ...VALID, machine: EM_AARCH64 }],
    ['e_version 0', { ...VALID, version: 0 }],
    ['e_ehsize 52', { ...VALID, ehsize: 52 }],
    ['e_phentsize 32', { ...VALID, phentsize: 32 }],
    ['no program headers', { segments: [] }],
  ])('rejects %s as invalid or unsupported', (_what, spec) => {
    expect(() => read(spec)).toThrow(
      new ElfError('k: invalid executable: invalid or unsupported executable (elf header invalid while loading elf)'),
    );
  });

  test('rejects a file that is not ELF at all', () => {
    expect(() => readElf64(bytesSource(Buffer.from('#!/bin/sh\necho not an executable, but long enough to have 64 bytes\n')), 'k', EM_X86_64, 'loading note')).toThrow(
      'k: invalid executable: invalid or unsupported executable (elf header invalid while loading note)',
    );
  });

  test('rejects a truncated header and truncated program headers', () => {
    expect(() => read({ ...VALID, truncateTo: 40 })).toThrow('k: invalid executable: elf header does not match the expected size (40 != 64)');
    expect(() => read({ ...VALID, truncateTo: 100 })).toThrow(
      'k: invalid executable: program header does not match the expected size (36 != 56 while loading elf)',
    );
  });
});
