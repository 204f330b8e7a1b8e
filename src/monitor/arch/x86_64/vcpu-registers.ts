// Initial special and general registers of an hvt vCPU on x86_64 (ABI reference §3.4–3.5). Pure builders.
import { KVM_REGS_OFFSET, KVM_SEGMENT_OFFSET, KVM_SREGS_OFFSET, KVM_STRUCT_SIZE } from '../../../ffi/kvm-api';
import { X86_GDT_BASE, X86_GDT_LIMIT, X86_PML4_BASE, X86_SEL_CODE, X86_SEL_DATA } from './layout';

/** CR0: PE | NE | WP | PG. */
export const X86_CR0_INIT = 0x80010021n;
/** CR4: PAE | OSFXSR | OSXMMEXCPT. */
export const X86_CR4_INIT = 0x620n;
/** EFER: LME | LMA. */
export const X86_EFER_INIT = 0x500n;
/** RFLAGS: only the always-one bit 1; interrupts off. */
export const X86_RFLAGS_INIT = 0x2n;

interface Segment {
  selector: number;
  limit: number;
  type: number;
  present: number;
  db: number;
  s: number;
  l: number;
  g: number;
  unusable: number;
}

const CODE: Segment = { selector: X86_SEL_CODE, limit: 0xffffffff, type: 9, present: 1, db: 0, s: 1, l: 1, g: 1, unusable: 0 };
const DATA: Segment = { selector: X86_SEL_DATA, limit: 0xffffffff, type: 3, present: 1, db: 1, s: 1, l: 0, g: 1, unusable: 0 };
const TSS: Segment = { selector: 0, limit: 0, type: 11, present: 1, db: 0, s: 0, l: 0, g: 0, unusable: 0 };
const LDT: Segment = { selector: 0, limit: 0, type: 0, present: 0, db: 0, s: 0, l: 0, g: 0, unusable: 1 };

function writeSegment(sregs: DataView, at: number, seg: Segment): void {
  sregs.setBigUint64(at + KVM_SEGMENT_OFFSET.base, 0n, true);
  sregs.setUint32(at + KVM_SEGMENT_OFFSET.limit, seg.limit, true);
  sregs.setUint16(at + KVM_SEGMENT_OFFSET.selector, seg.selector, true);
  sregs.setUint8(at + KVM_SEGMENT_OFFSET.type, seg.type);
  sregs.setUint8(at + KVM_SEGMENT_OFFSET.present, seg.present);
  sregs.setUint8(at + KVM_SEGMENT_OFFSET.dpl, 0);
  sregs.setUint8(at + KVM_SEGMENT_OFFSET.db, seg.db);
  sregs.setUint8(at + KVM_SEGMENT_OFFSET.s, seg.s);
  sregs.setUint8(at + KVM_SEGMENT_OFFSET.l, seg.l);
  sregs.setUint8(at + KVM_SEGMENT_OFFSET.g, seg.g);
  sregs.setUint8(at + KVM_SEGMENT_OFFSET.avl, 0);
  sregs.setUint8(at + KVM_SEGMENT_OFFSET.unusable, seg.unusable);
}

/** Fills a kvm_sregs (312 bytes) from scratch: long mode, paging on, flat segments, the boot GDT, no IDT. */
export function buildSregs(sregs: DataView): void {
  new Uint8Array(sregs.buffer, sregs.byteOffset, KVM_STRUCT_SIZE.kvm_sregs).fill(0);
  writeSegment(sregs, KVM_SREGS_OFFSET.cs, CODE);
  for (const at of [KVM_SREGS_OFFSET.ds, KVM_SREGS_OFFSET.es, KVM_SREGS_OFFSET.fs, KVM_SREGS_OFFSET.gs, KVM_SREGS_OFFSET.ss]) {
    writeSegment(sregs, at, DATA);
  }
  writeSegment(sregs, KVM_SREGS_OFFSET.tr, TSS);
  writeSegment(sregs, KVM_SREGS_OFFSET.ldt, LDT);
  sregs.setBigUint64(KVM_SREGS_OFFSET.gdt, BigInt(X86_GDT_BASE), true);
  sregs.setUint16(KVM_SREGS_OFFSET.gdt + 8, X86_GDT_LIMIT, true);
  sregs.setBigUint64(KVM_SREGS_OFFSET.cr0, X86_CR0_INIT, true);
  sregs.setBigUint64(KVM_SREGS_OFFSET.cr3, BigInt(X86_PML4_BASE), true);
  sregs.setBigUint64(KVM_SREGS_OFFSET.cr4, X86_CR4_INIT, true);
  sregs.setBigUint64(KVM_SREGS_OFFSET.efer, X86_EFER_INIT, true);
}

/** Fills a kvm_regs (144 bytes): RIP = entry, RSP = top of guest memory − 8, RDI = boot info, RFLAGS = 2. */
export function buildRegs(regs: DataView, entry: number, guestSizeBytes: number, bootInfo: number): void {
  new Uint8Array(regs.buffer, regs.byteOffset, KVM_STRUCT_SIZE.kvm_regs).fill(0);
  regs.setBigUint64(KVM_REGS_OFFSET.rip, BigInt(entry), true);
  regs.setBigUint64(KVM_REGS_OFFSET.rsp, BigInt(guestSizeBytes - 8), true);
  regs.setBigUint64(KVM_REGS_OFFSET.rdi, BigInt(bootInfo), true);
  regs.setBigUint64(KVM_REGS_OFFSET.rflags, X86_RFLAGS_INIT, true);
}
