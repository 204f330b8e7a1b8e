// Finds an owner-named note in PT_NOTE segments, with the size checks of Solo5's note reader (ABI reference §2.2).
import { ByteSource } from './byte-source';
import { ElfError, INVALID_EXECUTABLE } from './elf-error';
import { Elf64, PT_NOTE } from './elf64';

/** Elf64_Nhdr: namesz, descsz, type (u32 each). */
const NHDR_SIZE = 12;

export interface NoteQuery {
  /** Owner name without its NUL ("Solo5"). */
  owner: string;
  type: number;
  /** Alignment of the descriptor's first member inside the note (4 or 8). */
  descAlign: number;
  /** Largest descsz accepted. */
  maxDescBytes: number;
}

/**
 * Returns the descriptor of the first matching note (after its internal alignment padding), or undefined when the
 * executable has none. A malformed matching note, or a PT_NOTE too small for any note header, is an ElfError.
 */
export function findNote(source: ByteSource, binName: string, elf: Elf64, query: NoteQuery): Uint8Array | undefined {
  const ownerBytes = Buffer.from(`${query.owner}\0`);
  const paddedOwner = (ownerBytes.length + 3) & ~3;
  const headerBytes = NHDR_SIZE + paddedOwner;
  for (const ph of elf.programHeaders) {
    if (ph.type !== PT_NOTE) continue;
    if (ph.filesz < BigInt(NHDR_SIZE)) {
      throw new ElfError(
        `${binName}: ${INVALID_EXECUTABLE}: phdr[${ph.index}].p_filesz note does not fall within valid size (${ph.filesz} < ${NHDR_SIZE})`,
      );
    }
    if (ph.filesz < BigInt(headerBytes)) continue;
    const nhdrBytes = source.readAt(ph.offset, headerBytes);
    if (nhdrBytes.length !== headerBytes) {
      throw new ElfError(
        `${binName}: phdr[${ph.index}] bytes read mismatches note size (${nhdrBytes.length} != ${headerBytes})`,
      );
    }
    const nhdr = new DataView(nhdrBytes.buffer, nhdrBytes.byteOffset, nhdrBytes.byteLength);
    const namesz = nhdr.getUint32(0, true);
    const descsz = nhdr.getUint32(4, true);
    const type = nhdr.getUint32(8, true);
    if (namesz !== ownerBytes.length) continue;
    if (!Buffer.from(nhdrBytes.subarray(NHDR_SIZE, NHDR_SIZE + ownerBytes.length)).equals(ownerBytes)) continue;
    if (type !== query.type) continue;
    if (descsz < 1 || descsz > query.maxDescBytes) {
      throw new ElfError(
        `${binName}: ${INVALID_EXECUTABLE}: phdr[${ph.index}] note does not fall within valid size (${descsz} < 1 || ${descsz} > ${query.maxDescBytes})`,
      );
    }
    if (ph.filesz < BigInt(headerBytes + descsz)) {
      throw new ElfError(
        `${binName}: ${INVALID_EXECUTABLE}: phdr[${ph.index}] note does not fall within valid size (${ph.filesz} < ${headerBytes + descsz})`,
      );
    }
    const descOffset = Math.ceil(headerBytes / query.descAlign) * query.descAlign;
    const noteBytes = descsz - (descOffset - headerBytes);
    if (noteBytes <= 0) {
      throw new ElfError(
        `${binName}: ${INVALID_EXECUTABLE}: phdr[${ph.index}] note does not fall within valid size (${noteBytes} <= 0 || ${noteBytes} > ${descsz})`,
      );
    }
    const desc = source.readAt(ph.offset + BigInt(descOffset), noteBytes);
    if (desc.length !== noteBytes) {
      throw new ElfError(
        `${binName}: phdr[${ph.index}] bytes read mismatches note size (${desc.length} != ${noteBytes})`,
      );
    }
    return desc;
  }
  return undefined;
}
