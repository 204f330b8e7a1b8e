// Guest-physical addresses: a branded number so they are never confused with host addresses or sizes.

export type Gpa = number & { readonly __brand: 'GuestPhysicalAddress' };

export function gpa(value: number): Gpa {
  return value as Gpa;
}

/**
 * Reads a little-endian u64 from guest memory as a JS number without allocating. Values above 2^53 lose precision
 * but stay far above any guest memory size (≤ 4 GiB), so bounds checks still reject them.
 */
export function readU64(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true) * 0x1_0000_0000 + view.getUint32(offset, true);
}

/** Writes a u64 given as a JS number ≤ 2^53. */
export function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true);
}
