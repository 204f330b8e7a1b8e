// Symbol names through the section headers: real fixtures built by bundle-examples, and hostile tables.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bytesSource } from '../../../src/elf/byte-source';
import { ElfError } from '../../../src/elf/elf-error';
import { symbolNames } from '../../../src/elf/elf-symbols';
import { familyOfSymbols } from '../../../src/runtime/kernel-family';

const BUILD = resolve(__dirname, '../../../bundle-examples/build');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(resolve(BUILD, name)));

test('the symbol table of a built kernel holds its functions; a stripped one has none', () => {
  const names = symbolNames(bytesSource(fixture('families/mirage.hvt')), 'mirage.hvt');
  expect(names.has('caml_startup')).toBe(true);
  expect(names.has('mirage_solo5_net_acquire')).toBe(true);
  expect(names.has('app_main')).toBe(true);
  expect(symbolNames(bytesSource(fixture('families/mirage-stripped.hvt')), 'stripped').size).toBe(0);
});

/** The section header table of `bytes` as a DataView (e_shoff from the ELF header), for corrupting entries. */
function sectionTable(bytes: Uint8Array): { view: DataView; shoff: number; shnum: number } {
  const header = new DataView(bytes.buffer, bytes.byteOffset);
  return { view: new DataView(bytes.buffer, bytes.byteOffset), shoff: Number(header.getBigUint64(40, true)), shnum: header.getUint16(60, true) };
}

function symtabIndex(bytes: Uint8Array): number {
  const { view, shoff, shnum } = sectionTable(bytes);
  for (let i = 0; i < shnum; i++) if (view.getUint32(shoff + i * 64 + 4, true) === 2) return i;
  throw new Error('fixture has no symbol table');
}

test.each([
  ['a string table link past the section headers', (v: DataView, at: number) => v.setUint32(at + 40, 999, true), /string table \(section 999\) does not exist/],
  ['a symbol entry size other than 24', (v: DataView, at: number) => v.setBigUint64(at + 56, 16n, true), /symbol entries are 16 bytes, not 24/],
  ['symbols beyond the end of the file', (v: DataView, at: number) => v.setBigUint64(at + 24, 1n << 40n, true), /lies outside the file/],
  ['a huge symbol count', (v: DataView, at: number) => v.setBigUint64(at + 32, 24n * 5_000_000n, true), /more than 4000000 symbols/],
])('%s is an ElfError', (_what, corrupt, message) => {
  const bytes = fixture('families/mirage.hvt').slice();
  const { view, shoff } = sectionTable(bytes);
  corrupt(view, shoff + symtabIndex(bytes) * 64);
  expect(() => symbolNames(bytesSource(bytes), 'k')).toThrow(ElfError);
  expect(() => symbolNames(bytesSource(bytes), 'k')).toThrow(message);
});

test('a section header table outside the file, or with odd entries, is an ElfError', () => {
  const bytes = fixture('families/mirage.hvt').slice();
  const header = new DataView(bytes.buffer);
  header.setBigUint64(40, BigInt(bytes.length), true);
  expect(() => symbolNames(bytesSource(bytes), 'k')).toThrow('k: the section header table lies outside the file');
  header.setUint16(58, 40, true);
  expect(() => symbolNames(bytesSource(bytes), 'k')).toThrow('k: section header entries are 40 bytes, not 64');
});

test('a family needs all of its evidence', () => {
  expect(familyOfSymbols(new Set(['caml_startup', 'mirage_solo5_block_acquire']))?.format).toBe('mirage');
  expect(familyOfSymbols(new Set(['caml_startup']))).toBeUndefined();
  expect(familyOfSymbols(new Set(['mirage_solo5_net_acquire']))).toBeUndefined();
  expect(familyOfSymbols(new Set(['ukplat_entry']))).toBeUndefined();
  expect(familyOfSymbols(new Set(['rump_init', 'rumprun_config']))?.format).toBe('rumprun');
  expect(familyOfSymbols(new Set())).toBeUndefined();
});
