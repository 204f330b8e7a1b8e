// Validates PT_LOAD segments against guest memory and plans their loading (ABI reference §2.3). Pure: no I/O.
import { ElfError, INVALID_EXECUTABLE } from './elf-error';
import { Elf64, PF_R, PF_W, PF_X, PT_LOAD } from './elf64';

export interface SegmentProtection {
  read: boolean;
  write: boolean;
  execute: boolean;
}

export interface PlannedSegment {
  phdrIndex: number;
  /** Guest-physical address of the segment's first file byte (identity-mapped). */
  vaddr: number;
  fileOffset: bigint;
  fileBytes: number;
  memBytes: number;
  /** Page-aligned range [protectStart, protectEnd) that gets the segment's protection. */
  protectStart: number;
  protectEnd: number;
  protection: SegmentProtection;
}

export interface LoadPlan {
  entry: number;
  /** Highest aligned end over all loaded segments: where the guest's heap may begin. */
  kernelEnd: number;
  segments: PlannedSegment[];
}

const U64_MAX = (1n << 64n) - 1n;

function isPowerOfTwo(value: bigint): boolean {
  return value > 0n && (value & (value - 1n)) === 0n;
}

/**
 * Plans loading `elf` into `memBytes` of guest memory. Segments below `minLoadAddr`, overlapping, out of order,
 * out of range, misaligned to `pageBytes`, or asking for WRITE and EXEC together are rejected with ElfError.
 * PT_LOAD segments with no file bytes are skipped, as Solo5 does (their memory is fresh zero pages anyway).
 */
export function planLoad(elf: Elf64, binName: string, memBytes: number, minLoadAddr: number, pageBytes: number): LoadPlan {
  const mem = BigInt(memBytes);
  const min = BigInt(minLoadAddr);
  const page = BigInt(pageBytes);
  const bad = (what: string): never => {
    throw new ElfError(`${binName}: ${INVALID_EXECUTABLE}: ${what}`);
  };
  const { entry } = elf.header;
  if (entry < min || entry >= mem) {
    bad(`e_entry does not fall within the memory allocation range (${entry} < ${min} || ${entry} >= ${mem})`);
  }
  let eEnd = 0n;
  let lastVaddr = 0n;
  const segments: PlannedSegment[] = [];
  for (const ph of elf.programHeaders) {
    if (ph.type !== PT_LOAD || ph.filesz === 0n) continue;
    const at = `phdr[${ph.index}]`;
    const { vaddr, filesz, memsz, align } = ph;
    if (vaddr < min) bad(`${at}.p_vaddr outside of valid memory range (${vaddr} < ${min})`);
    if (vaddr < lastVaddr) bad(`${at}.p_vaddr is not in ascending order (${vaddr} < ${lastVaddr})`);
    lastVaddr = vaddr;
    if (!isPowerOfTwo(align)) bad(`${at}.p_align ${align} is not a non-zero power of two`);
    const start = vaddr & ~(align - 1n);
    if (start < min) bad(`${at}.p_vaddr_start is outside of memory range (${start} < ${min} (p_min_loadaddr))`);
    if (start < eEnd) bad(`${at}.p_vaddr_start is outside of memory range (${start} < ${eEnd} (e_end))`);
    if (vaddr >= mem) bad(`${at} program file segment falls outside of valid range (${vaddr} >= ${mem} (mem_size))`);
    if (vaddr + filesz > U64_MAX) bad(`${at} program file segment falls outside of valid range (p_vaddr + p_filesz overflow)`);
    if (vaddr + filesz > mem) {
      bad(`${at} program file segment falls outside of valid range (${vaddr + filesz} (p_vaddr + p_filesz) > ${mem} (mem_size))`);
    }
    if (memsz < filesz) bad(`${at} program memory segment falls outside of valid range (${memsz} (p_memsz) < ${filesz} (p_filesz))`);
    if (vaddr + memsz > U64_MAX) bad(`${at} program memory segment falls outside of valid range (p_vaddr + p_memsz overflow)`);
    const end = (vaddr + memsz + align - 1n) & ~(align - 1n);
    if (end > U64_MAX) bad(`${at} program memory segment falls outside of valid range (align_up overflow)`);
    if (end > mem) bad(`${at} program memory segment falls outside of valid range (${end} (p_vaddr + p_memsz) > ${mem} (mem_size))`);
    if (end > eEnd) eEnd = end;
    if (start % page !== 0n) bad(`${at} p_vaddr_start not aligned with architectural page size (${start} & (${page} - 1))`);
    if (end % page !== 0n) bad(`${at} p_vaddr_end not aligned with architectural page size (${end} & (${page} - 1))`);
    const protection: SegmentProtection = {
      read: (ph.flags & PF_R) !== 0,
      write: (ph.flags & PF_W) !== 0,
      execute: (ph.flags & PF_X) !== 0,
    };
    if (protection.write && protection.execute) bad(`${at} requests WRITE and EXEC permissions`);
    segments.push({
      phdrIndex: ph.index,
      vaddr: Number(vaddr),
      fileOffset: ph.offset,
      fileBytes: Number(filesz),
      memBytes: Number(memsz),
      protectStart: Number(start),
      protectEnd: Number(end),
      protection,
    });
  }
  return { entry: Number(entry), kernelEnd: Number(eEnd), segments };
}
