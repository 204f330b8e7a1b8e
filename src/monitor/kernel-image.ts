// The unikernel executable: opened once, its Solo5 notes read and checked, its segments loaded into guest memory.
import { closeSync, openSync, readSync } from 'node:fs';
import { strerror } from '../ffi/libc';
import { ByteSource } from '../elf/byte-source';
import { ElfError } from '../elf/elf-error';
import { Elf64, readElf64 } from '../elf/elf64';
import { findNote } from '../elf/elf-note';
import { LoadPlan, planLoad } from '../elf/load-plan';
import { HVT_ABI_TARGET, HVT_ABI_VERSION, SOLO5_ABI1_NOTE, SOLO5_MFT1_NOTE } from '../solo5/abi';
import { Manifest, manifestProblem } from '../solo5/manifest';
import { GuestArch } from './arch/guest-arch';
import { gpa } from './guest-address';
import { GuestMemory } from './guest-memory';
import { MonitorError, fatal } from './monitor-error';

/** Largest position a read may start at; beyond it every read is short (and the ELF checks reject the file). */
const MAX_POSITION = BigInt(Number.MAX_SAFE_INTEGER);

/** The C library's words for a failed fs call, as err(3) would print them. */
function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).errno;
  return code === undefined ? (error as Error).message : strerror(-code);
}

export class KernelImage implements ByteSource {
  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  static open(path: string): KernelImage {
    try {
      return new KernelImage(path, openSync(path, 'r'));
    } catch (error) {
      throw new MonitorError(`${path}: Could not open: ${reasonOf(error)}`);
    }
  }

  readAt(position: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    return out.subarray(0, this.readInto(out, position));
  }

  /** Reads into `target` (e.g. a view of guest memory) until full or end of file; returns the bytes read. */
  readInto(target: Uint8Array, position: bigint): number {
    if (position > MAX_POSITION) return 0;
    let done = 0;
    while (done < target.length) {
      let n: number;
      try {
        n = readSync(this.fd, target, done, target.length - done, Number(position) + done);
      } catch (error) {
        throw new MonitorError(`${this.path}: Could not read: ${reasonOf(error)}`);
      }
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  close(): void {
    closeSync(this.fd);
  }

  private elf(arch: GuestArch, purpose: string): Elf64 {
    return readElf64(this, this.path, arch.elfMachine, purpose);
  }

  /** Checks the ABI1 note: present, for the hvt target, ABI version 2. */
  checkAbi(arch: GuestArch): void {
    const desc = findNote(this, this.path, this.elf(arch, 'loading note'), SOLO5_ABI1_NOTE);
    if (!desc) fatal(`${this.path}: No Solo5 ABI information found in executable`);
    if (desc.length < 8) throw new ElfError(`${this.path}: invalid executable: Solo5 ABI note is only ${desc.length} bytes`);
    const abi = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
    if (abi.getUint32(0, true) !== HVT_ABI_TARGET) fatal(`${this.path}: Executable is not for the solo5-hvt target`);
    const version = abi.getUint32(4, true);
    if (version !== HVT_ABI_VERSION) fatal(`${this.path}: Executable requests unsupported ABI version ${version}`);
  }

  /** Reads and validates the MFT1 note (the application manifest). */
  manifest(arch: GuestArch): Manifest {
    const desc = findNote(this, this.path, this.elf(arch, 'loading note'), SOLO5_MFT1_NOTE);
    if (!desc) fatal(`${this.path}: No Solo5 manifest found in executable`);
    const problem = manifestProblem(desc);
    if (problem) fatal(`${this.path}: Solo5 manifest is invalid: ${problem}`);
    return new Manifest(new Uint8Array(desc));
  }

  /**
   * Loads every PT_LOAD segment into guest memory (straight from the file into the mapping, no intermediate copy)
   * and applies host protection so the guest cannot write its text or read-only data.
   */
  load(arch: GuestArch, memory: GuestMemory): LoadPlan {
    const plan = planLoad(this.elf(arch, 'loading elf'), this.path, memory.allocBytes, arch.minLoadAddr, arch.pageBytes);
    for (const segment of plan.segments) {
      const target = memory.bytes.subarray(segment.vaddr, segment.vaddr + segment.fileBytes);
      const read = this.readInto(target, segment.fileOffset);
      if (read !== segment.fileBytes) {
        throw new ElfError(
          `${this.path}: phdr[${segment.phdrIndex}] host file segment mismatched (read ${read} != ${segment.fileBytes} (p_filesz))`,
        );
      }
      memory.bytes.fill(0, segment.vaddr + segment.fileBytes, segment.vaddr + segment.memBytes);
      memory.protect(gpa(segment.protectStart), gpa(segment.protectEnd), segment.protection);
    }
    return plan;
  }
}
