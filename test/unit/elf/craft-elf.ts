// Builds ELF64 executables in memory for loader and note tests: every field can be set wrong on purpose.

export interface CraftSegment {
  type?: number;
  flags?: number;
  vaddr: bigint | number;
  /** File bytes of the segment (placed at `offset`, or appended to the file). */
  data?: Uint8Array;
  filesz?: bigint | number;
  memsz?: bigint | number;
  align?: bigint | number;
  offset?: bigint | number;
}

export interface CraftElf {
  ident?: Partial<{ class: number; data: number }>;
  type?: number;
  machine?: number;
  version?: number;
  ehsize?: number;
  phentsize?: number;
  entry?: bigint | number;
  segments: CraftSegment[];
  /** Cut the file to this many bytes. */
  truncateTo?: number;
}

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export function craftElf(spec: CraftElf): Uint8Array {
  const phoff = 64;
  const phBytes = spec.segments.length * 56;
  let cursor = phoff + phBytes;
  const placed = spec.segments.map((seg) => {
    const data = seg.data ?? new Uint8Array(0);
    const offset = seg.offset !== undefined ? BigInt(seg.offset) : BigInt(cursor);
    if (seg.offset === undefined) cursor += data.length;
    return { seg, data, offset };
  });
  const size = Math.max(cursor, ...placed.map((p) => Number(p.offset <= 1_000_000n ? p.offset : 0n) + p.data.length));
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46], 0);
  out[4] = spec.ident?.class ?? 2;
  out[5] = spec.ident?.data ?? 1;
  out[6] = 1;
  view.setUint16(16, spec.type ?? 2, true);
  view.setUint16(18, spec.machine ?? 62, true);
  view.setUint32(20, spec.version ?? 1, true);
  view.setBigUint64(24, BigInt(spec.entry ?? 0x100000), true);
  view.setBigUint64(32, BigInt(phoff), true);
  view.setUint16(52, spec.ehsize ?? 64, true);
  view.setUint16(54, spec.phentsize ?? 56, true);
  view.setUint16(56, spec.segments.length, true);
  placed.forEach(({ seg, data, offset }, i) => {
    const at = phoff + i * 56;
    view.setUint32(at, seg.type ?? PT_LOAD, true);
    view.setUint32(at + 4, seg.flags ?? PF_R, true);
    view.setBigUint64(at + 8, offset, true);
    view.setBigUint64(at + 16, BigInt(seg.vaddr), true);
    view.setBigUint64(at + 24, BigInt(seg.vaddr), true);
    view.setBigUint64(at + 32, BigInt(seg.filesz ?? data.length), true);
    view.setBigUint64(at + 40, BigInt(seg.memsz ?? seg.filesz ?? data.length), true);
    view.setBigUint64(at + 48, BigInt(seg.align ?? 0x1000), true);
    if (offset < BigInt(out.length)) out.set(data, Number(offset));
  });
  return spec.truncateTo !== undefined ? out.subarray(0, spec.truncateTo) : out;
}

/** A note: header (namesz, descsz, type), name padded to 4, then `desc` at the given alignment. */
export function craftNote(opts: { name?: string; type: number; desc: Uint8Array; descAlign?: number; descsz?: number }): Uint8Array {
  const name = Buffer.from(`${opts.name ?? 'Solo5'}\0`);
  const nameEnd = 12 + ((name.length + 3) & ~3);
  const descAt = Math.ceil(nameEnd / (opts.descAlign ?? 4)) * (opts.descAlign ?? 4);
  const out = new Uint8Array(descAt + opts.desc.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, name.length, true);
  view.setUint32(4, opts.descsz ?? descAt - nameEnd + opts.desc.length, true);
  view.setUint32(8, opts.type, true);
  out.set(name, 12);
  out.set(opts.desc, descAt);
  return out;
}

export function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  values.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v, true));
  return out;
}
