// Identity-mapped 4-level page tables of an hvt guest (ABI reference §3.3; Intel SDM Vol. 3A §4.5).
import { X86_BOOT_INFO_BASE, X86_GUEST_PAGE_BYTES, X86_MIN_LOAD_ADDR, X86_PAGE_BYTES, X86_PD_BASE, X86_PD_COUNT, X86_PDPT_BASE, X86_PML4_BASE, X86_PT0_BASE } from './layout';

const PRESENT = 0x1n;
const WRITABLE = 0x2n;
const PAGE_SIZE_2M = 0x80n;
const ENTRY_BYTES = 8;
const ENTRIES_PER_TABLE = 512;

function setEntry(mem: DataView, table: number, index: number, value: bigint): void {
  mem.setBigUint64(table + index * ENTRY_BYTES, value, true);
}

/**
 * Writes the page tables for `allocBytes` of guest memory (a multiple of 2 MiB, ≤ 4 GiB): the first 64 KiB unmapped,
 * boot info up to 1 MiB read-only, the rest read-write; 2 MiB pages above the first 2 MiB. Tables are zeroed first.
 */
export function writePageTables(mem: DataView, allocBytes: number): void {
  const bytes = new Uint8Array(mem.buffer, mem.byteOffset, mem.byteLength);
  bytes.fill(0, X86_PML4_BASE, X86_PT0_BASE + X86_PAGE_BYTES);
  setEntry(mem, X86_PML4_BASE, 0, BigInt(X86_PDPT_BASE) | PRESENT | WRITABLE);
  for (let pd = 0; pd < X86_PD_COUNT; pd++) {
    setEntry(mem, X86_PDPT_BASE, pd, BigInt(X86_PD_BASE + pd * X86_PAGE_BYTES) | PRESENT | WRITABLE);
  }
  setEntry(mem, X86_PD_BASE, 0, BigInt(X86_PT0_BASE) | PRESENT | WRITABLE);
  for (let i = 0; i < ENTRIES_PER_TABLE; i++) {
    const address = i * X86_PAGE_BYTES;
    if (address < X86_BOOT_INFO_BASE) continue;
    const flags = address < X86_MIN_LOAD_ADDR ? PRESENT : PRESENT | WRITABLE;
    setEntry(mem, X86_PT0_BASE, i, BigInt(address) | flags);
  }
  const largePages = allocBytes / X86_GUEST_PAGE_BYTES;
  for (let k = 1; k < largePages; k++) {
    // PD0..PD3 are contiguous, so the flat index k addresses all four directories.
    setEntry(mem, X86_PD_BASE, k, BigInt(k * X86_GUEST_PAGE_BYTES) | PRESENT | WRITABLE | PAGE_SIZE_2M);
  }
}
