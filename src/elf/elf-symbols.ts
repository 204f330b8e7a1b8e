// The names in an executable's symbol tables (SHT_SYMTAB and SHT_DYNSYM), read through the section headers. Used
// to recognise what a kernel was built from; a stripped executable simply has none. Every size and offset comes
// from a file that may be hostile, so each is checked against the file and against fixed caps before it is read.
import { ByteSource } from './byte-source';
import { ElfError } from './elf-error';

const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
/** Caps that no unikernel comes near (a MirageOS 4 image has some tens of thousands of symbols). */
const MAX_SECTIONS = 65_280;
const MAX_SYMBOLS = 4_000_000;
const MAX_STRTAB_BYTES = 256 * 1024 * 1024;

interface SectionHeader {
  type: number;
  offset: bigint;
  size: bigint;
  link: number;
  entsize: bigint;
}

function readExactly(source: ByteSource, binName: string, offset: bigint, length: number, what: string): Uint8Array {
  const bytes = source.readAt(offset, length);
  if (bytes.length !== length) throw new ElfError(`${binName}: ${what} lies outside the file (${bytes.length} of ${length} bytes at ${offset})`);
  return bytes;
}

function sectionHeaders(source: ByteSource, binName: string): SectionHeader[] {
  const ehdr = readExactly(source, binName, 0n, 64, 'the ELF header');
  const view = new DataView(ehdr.buffer, ehdr.byteOffset, ehdr.byteLength);
  const shoff = view.getBigUint64(40, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  if (shoff === 0n || shnum === 0) return [];
  if (shentsize !== SHDR_SIZE) throw new ElfError(`${binName}: section header entries are ${shentsize} bytes, not ${SHDR_SIZE}`);
  if (shnum > MAX_SECTIONS) throw new ElfError(`${binName}: ${shnum} section headers is more than ${MAX_SECTIONS}`);
  const table = readExactly(source, binName, shoff, shnum * SHDR_SIZE, 'the section header table');
  const sh = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const headers: SectionHeader[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = i * SHDR_SIZE;
    headers.push({
      type: sh.getUint32(at + 4, true),
      offset: sh.getBigUint64(at + 24, true),
      size: sh.getBigUint64(at + 32, true),
      link: sh.getUint32(at + 40, true),
      entsize: sh.getBigUint64(at + 56, true),
    });
  }
  return headers;
}

/**
 * Every symbol name of `binName` (empty for a stripped executable). A malformed section or symbol table is an
 * ElfError; a name running past its string table is cut there.
 */
export function symbolNames(source: ByteSource, binName: string): Set<string> {
  const names = new Set<string>();
  const headers = sectionHeaders(source, binName);
  let symbols = 0;
  for (const [index, table] of headers.entries()) {
    if (table.type !== SHT_SYMTAB && table.type !== SHT_DYNSYM) continue;
    if (table.entsize !== BigInt(SYM_SIZE)) throw new ElfError(`${binName}: section ${index}: symbol entries are ${table.entsize} bytes, not ${SYM_SIZE}`);
    const strtab = headers[table.link];
    if (!strtab) throw new ElfError(`${binName}: section ${index}: its string table (section ${table.link}) does not exist`);
    const count = table.size / BigInt(SYM_SIZE);
    symbols += Number(count);
    if (symbols > MAX_SYMBOLS) throw new ElfError(`${binName}: more than ${MAX_SYMBOLS} symbols`);
    if (strtab.size > BigInt(MAX_STRTAB_BYTES)) throw new ElfError(`${binName}: a string table of ${strtab.size} bytes is more than ${MAX_STRTAB_BYTES}`);
    const strings = readExactly(source, binName, strtab.offset, Number(strtab.size), `section ${table.link} (strings)`);
    const entries = readExactly(source, binName, table.offset, Number(count) * SYM_SIZE, `section ${index} (symbols)`);
    const view = new DataView(entries.buffer, entries.byteOffset, entries.byteLength);
    for (let i = 0; i < count; i++) {
      const start = view.getUint32(i * SYM_SIZE, true);
      if (start === 0 || start >= strings.length) continue;
      let end = strings.indexOf(0, start);
      if (end < 0) end = strings.length;
      names.add(Buffer.from(strings.buffer, strings.byteOffset + start, end - start).toString('latin1'));
    }
  }
  return names;
}
