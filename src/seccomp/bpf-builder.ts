// A small assembler for classic BPF as seccomp runs it (linux/filter.h, linux/bpf_common.h): loads of the 32-bit
// words of `struct seccomp_data`, conditional forward jumps to named labels, and returns. Pure: it produces
// `struct sock_filter` records and their bytes; installing them is the FFI's job.

/** One `struct sock_filter`: u16 code, u8 jt, u8 jf, u32 k. */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Instruction classes and modes (bpf_common.h). */
export const BPF = {
  LD: 0x00,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  W: 0x00,
  ABS: 0x20,
  K: 0x00,
  AND: 0x50,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
} as const;

export const BPF_MAXINSNS = 4096;
export const SOCK_FILTER_BYTES = 8;

export class BpfError extends Error {
  readonly code = 'EBPF';
  constructor(message: string) {
    super(message);
    this.name = 'BpfError';
  }
}

/** A jump target: a label placed later in the program, or the instruction right after the jump. */
export type Target = string | 'next';

type Pending =
  | { kind: 'plain'; insn: SockFilter }
  | { kind: 'jump'; code: number; k: number; then: Target; else: Target }
  | { kind: 'always'; to: string };

function u32(k: number, what: string): number {
  if (!Number.isInteger(k) || k < 0 || k > 0xffff_ffff) throw new BpfError(`${what}: ${k} is not a 32-bit unsigned value`);
  return k;
}

export class BpfProgram {
  private readonly insns: Pending[] = [];
  private readonly labels = new Map<string, number>();

  /** Marks the next instruction as `name`. */
  place(name: string): this {
    if (name === 'next') throw new BpfError('"next" is not a label name');
    if (this.labels.has(name)) throw new BpfError(`label ${name} placed twice`);
    this.labels.set(name, this.insns.length);
    return this;
  }

  /** A = the 32-bit word at byte `offset` of the input (struct seccomp_data). */
  loadWord(offset: number): this {
    if (offset % 4 !== 0) throw new BpfError(`load at ${offset}: seccomp loads are 32-bit aligned`);
    return this.plain(BPF.LD | BPF.W | BPF.ABS, u32(offset, 'load offset'));
  }

  /** A &= k. */
  and(k: number): this {
    return this.plain(BPF.ALU | BPF.AND | BPF.K, u32(k, 'and'));
  }

  ret(k: number): this {
    return this.plain(BPF.RET | BPF.K, u32(k, 'return value'));
  }

  /** if (A == k) goto then; else goto else. */
  jumpIfEqual(k: number, then: Target, otherwise: Target = 'next'): this {
    return this.jump(BPF.JEQ, k, then, otherwise);
  }

  /** if (A >= k) goto then; else goto else. */
  jumpIfAtLeast(k: number, then: Target, otherwise: Target = 'next'): this {
    return this.jump(BPF.JGE, k, then, otherwise);
  }

  /** if (A & k) goto then; else goto else. */
  jumpIfAnySet(k: number, then: Target, otherwise: Target = 'next'): this {
    return this.jump(BPF.JSET, k, then, otherwise);
  }

  /** goto label (32-bit offset, for targets beyond a conditional jump's reach of 255). */
  jumpTo(label: string): this {
    this.insns.push({ kind: 'always', to: label });
    return this;
  }

  get length(): number {
    return this.insns.length;
  }

  /** The program with every label resolved; refuses backward, unknown and out-of-reach jumps. */
  assemble(): SockFilter[] {
    if (this.insns.length === 0 || this.insns.length > BPF_MAXINSNS) throw new BpfError(`a program has 1 to ${BPF_MAXINSNS} instructions, not ${this.insns.length}`);
    const offset = (at: number, target: Target, limit: number): number => {
      if (target === 'next') return 0;
      const to = this.labels.get(target);
      if (to === undefined) throw new BpfError(`jump at ${at} to unknown label ${target}`);
      const distance = to - at - 1;
      if (distance < 0) throw new BpfError(`jump at ${at} to ${target} goes backwards (BPF jumps only forward)`);
      if (distance > limit) throw new BpfError(`jump at ${at} to ${target} is ${distance} instructions away (at most ${limit})`);
      return distance;
    };
    const out = this.insns.map((insn, at): SockFilter => {
      if (insn.kind === 'plain') return { ...insn.insn };
      if (insn.kind === 'always') return { code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: offset(at, insn.to, 0xffff_ffff) };
      return { code: insn.code, jt: offset(at, insn.then, 255), jf: offset(at, insn.else, 255), k: insn.k };
    });
    const last = out[out.length - 1];
    if (last.code !== (BPF.RET | BPF.K)) throw new BpfError('a seccomp program must end with a return');
    return out;
  }

  private plain(code: number, k: number): this {
    this.insns.push({ kind: 'plain', insn: { code, jt: 0, jf: 0, k } });
    return this;
  }

  private jump(op: number, k: number, then: Target, otherwise: Target): this {
    this.insns.push({ kind: 'jump', code: BPF.JMP | op | BPF.K, k: u32(k, 'jump constant'), then, else: otherwise });
    return this;
  }
}

/** The bytes of `struct sock_filter[]` as the kernel reads them (little-endian, x86_64). */
export function encodeFilters(filters: readonly SockFilter[]): Uint8Array {
  const bytes = new Uint8Array(filters.length * SOCK_FILTER_BYTES);
  const view = new DataView(bytes.buffer);
  filters.forEach((f, i) => {
    view.setUint16(i * SOCK_FILTER_BYTES, f.code, true);
    view.setUint8(i * SOCK_FILTER_BYTES + 2, f.jt);
    view.setUint8(i * SOCK_FILTER_BYTES + 3, f.jf);
    view.setUint32(i * SOCK_FILTER_BYTES + 4, f.k >>> 0, true);
  });
  return bytes;
}
