// Guest RAM: one shared anonymous mapping, accessed through views created once, with Solo5's checked access. The
// host maps the guest's text and rodata read-only and segments without permissions inaccessible (W^X towards the
// guest), so the checks also refuse a hypercall argument there: the monitor's own access would fault otherwise.
import { mapAnonymous, NativeRegion } from '../ffi/native-memory';
import { PROT_EXEC, PROT_READ, PROT_WRITE, libc } from '../ffi/libc';
import { SysError } from '../ffi/sys-error';
import { excludeFromCoreDumps } from '../ffi/privileges';
import { Gpa } from './guest-address';
import { fatal } from './monitor-error';

export class GuestMemory {
  readonly region: NativeRegion;
  /** Host address of guest-physical 0. */
  readonly hostBase: number;
  readonly bytes: Uint8Array;
  readonly data: DataView;
  /** Bytes the guest may use and hypercalls may name (≤ the allocation). */
  guestSizeBytes: number;
  /** [start, end) GPA pairs, flat: ranges the host maps without write access, and without any access. */
  private readonly unwritable: number[] = [];
  private readonly inaccessible: number[] = [];

  get unwritableRanges(): readonly number[] {
    return this.unwritable;
  }

  get inaccessibleRanges(): readonly number[] {
    return this.inaccessible;
  }

  constructor(readonly allocBytes: number) {
    this.region = mapAnonymous(allocBytes, true);
    excludeFromCoreDumps(this.region.address, allocBytes);
    this.hostBase = this.region.address;
    this.bytes = this.region.bytes;
    this.data = this.region.data;
    this.guestSizeBytes = allocBytes;
  }

  /** Unmaps the memory (a reservation of the wrong size, before any slot names it); the views die with it. */
  release(): void {
    if (libc.munmap(this.hostBase, this.allocBytes) !== 0) throw SysError.last('munmap(guest memory)');
  }

  /**
   * Ends the monitor unless [address, address + sizeBytes) lies inside guest memory. As in Solo5, an object ending
   * exactly at the top of memory is refused too. `where` names the hypercall for the message. When the range came
   * from a guest (data u64, len u64) pair, `pairAt` is that pair's GPA, so the message can quote the guest's exact
   * values (numbers above 2^53 are rounded).
   */
  check(address: number, sizeBytes: number, where: string, pairAt = -1): void {
    const limit = this.guestSizeBytes;
    if (address >= limit || sizeBytes >= limit || address + sizeBytes >= limit || overlaps(this.inaccessible, address, sizeBytes)) {
      this.refuse(address, sizeBytes, where, pairAt);
    }
  }

  /** As check, for a range the monitor writes: it must also be writable on the host (not the guest's text or rodata). */
  checkWritable(address: number, sizeBytes: number, where: string, pairAt = -1): void {
    this.check(address, sizeBytes, where, pairAt);
    if (overlaps(this.unwritable, address, sizeBytes)) this.refuse(address, sizeBytes, where, pairAt);
  }

  private refuse(address: number, sizeBytes: number, where: string, pairAt: number): never {
    const exactAddress = pairAt < 0 ? BigInt(address) : this.data.getBigUint64(pairAt, true);
    const exactSize = pairAt < 0 ? BigInt(sizeBytes) : this.data.getBigUint64(pairAt + 8, true);
    fatal(`${where}: Invalid guest access: gpa=0x${exactAddress.toString(16)}, sz=${exactSize}`);
  }

  /** Host protection for a guest range: guest-executable pages become host read-only, never host-executable. */
  protect(start: Gpa, endExclusive: Gpa, prot: { read: boolean; write: boolean; execute: boolean }): void {
    let hostProt = (prot.read ? PROT_READ : 0) | (prot.write ? PROT_WRITE : 0);
    if (prot.execute) hostProt = (hostProt | PROT_READ) & ~PROT_EXEC;
    if (libc.mprotect(this.hostBase + start, endExclusive - start, hostProt) !== 0) {
      throw SysError.last('mprotect(guest memory)');
    }
    if (!(hostProt & PROT_WRITE)) this.unwritable.push(start, endExclusive);
    if (!(hostProt & PROT_READ)) this.inaccessible.push(start, endExclusive);
  }
}

/** True when [address, address + sizeBytes) meets one of the flat [start, end) pairs (a handful: one per segment). */
function overlaps(ranges: readonly number[], address: number, sizeBytes: number): boolean {
  const end = address + sizeBytes;
  for (let i = 0; i < ranges.length; i += 2) if (address < ranges[i + 1] && end > ranges[i]) return true;
  return false;
}
