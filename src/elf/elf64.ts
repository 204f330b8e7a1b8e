// ELF64 header and program header reading with the validity rules of the Solo5 hvt loader (ABI reference §2.1).
import { ByteSource } from './byte-source';
import { ElfError, INVALID_EXECUTABLE } from './elf-error';

export const ELF64_EHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;
export const ET_EXEC = 2;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export interface Elf64Header {
  type: number;
  machine: number;
  entry: bigint;
  phoff: bigint;
  phnum: number;
}

export interface ProgramHeader {
  index: number;
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

export interface Elf64 {
  header: Elf64Header;
  programHeaders: ProgramHeader[];
}

/** True when the header is one the loader accepts: ELF64, little endian, ET_EXEC for `machine`, sane sizes. */
export function isSupportedHeader(ehdr: DataView, machine: number): boolean {
  return (
    ehdr.getUint32(0, false) === 0x7f454c46 &&
    ehdr.getUint8(4) === 2 && // ELFCLASS64
    ehdr.getUint8(5) === 1 && // ELFDATA2LSB
    ehdr.getUint32(20, true) === 1 && // EV_CURRENT
    ehdr.getUint16(52, true) === ELF64_EHDR_SIZE &&
    ehdr.getUint16(56, true) >= 1 &&
    ehdr.getUint16(54, true) === ELF64_PHDR_SIZE &&
    ehdr.getUint16(16, true) === ET_EXEC &&
    ehdr.getUint16(18, true) === machine
  );
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads and validates the ELF header and program headers of `binName`.
 * `purpose` ("loading elf", "loading note") only flavours the messages, as Solo5's do.
 */
export function readElf64(source: ByteSource, binName: string, machine: number, purpose: string): Elf64 {
  const ehdrBytes = source.readAt(0n, ELF64_EHDR_SIZE);
  if (ehdrBytes.length !== ELF64_EHDR_SIZE) {
    throw new ElfError(
      `${binName}: ${INVALID_EXECUTABLE}: elf header does not match the expected size (${ehdrBytes.length} != ${ELF64_EHDR_SIZE})`,
    );
  }
  const ehdr = view(ehdrBytes);
  if (!isSupportedHeader(ehdr, machine)) {
    throw new ElfError(
      `${binName}: ${INVALID_EXECUTABLE}: invalid or unsupported executable (elf header invalid while ${purpose})`,
    );
  }
  const header: Elf64Header = {
    type: ehdr.getUint16(16, true),
    machine: ehdr.getUint16(18, true),
    entry: ehdr.getBigUint64(24, true),
    phoff: ehdr.getBigUint64(32, true),
    phnum: ehdr.getUint16(56, true),
  };
  const phSize = header.phnum * ELF64_PHDR_SIZE;
  const phBytes = source.readAt(header.phoff, phSize);
  if (phBytes.length !== phSize) {
    throw new ElfError(
      `${binName}: ${INVALID_EXECUTABLE}: program header does not match the expected size (${phBytes.length} != ${phSize} while ${purpose})`,
    );
  }
  const ph = view(phBytes);
  const programHeaders: ProgramHeader[] = [];
  for (let index = 0; index < header.phnum; index++) {
    const at = index * ELF64_PHDR_SIZE;
    programHeaders.push({
      index,
      type: ph.getUint32(at, true),
      flags: ph.getUint32(at + 4, true),
      offset: ph.getBigUint64(at + 8, true),
      vaddr: ph.getBigUint64(at + 16, true),
      filesz: ph.getBigUint64(at + 32, true),
      memsz: ph.getBigUint64(at + 40, true),
      align: ph.getBigUint64(at + 48, true),
    });
  }
  return { header, programHeaders };
}
