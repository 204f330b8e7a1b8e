// The boot GDT an hvt guest starts with (ABI reference §3.4).
import { X86_GDT_BASE } from './layout';

/** 64-bit code segment: present, DPL 0, execute-only/accessed, L=1, G=1, limit 0xFFFFF. */
export const X86_GDT_CODE = 0x00af99000000ffffn;
/** Data segment: present, DPL 0, read-write/accessed, D/B=1, G=1, limit 0xFFFFF. */
export const X86_GDT_DATA = 0x00cf93000000ffffn;

/** Writes [null, code, data] at X86_GDT_BASE in guest memory. */
export function writeGdt(mem: DataView): void {
  mem.setBigUint64(X86_GDT_BASE, 0n, true);
  mem.setBigUint64(X86_GDT_BASE + 8, X86_GDT_CODE, true);
  mem.setBigUint64(X86_GDT_BASE + 16, X86_GDT_DATA, true);
}
