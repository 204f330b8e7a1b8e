import { KVM_REGS_OFFSET, KVM_SEGMENT_OFFSET, KVM_SREGS_OFFSET } from '../../../../src/ffi/kvm-api';
import { X86_GDT_CODE, X86_GDT_DATA, writeGdt } from '../../../../src/monitor/arch/x86_64/gdt';
import { writePageTables } from '../../../../src/monitor/arch/x86_64/page-tables';
import { buildRegs, buildSregs } from '../../../../src/monitor/arch/x86_64/vcpu-registers';

const MiB = 1024 * 1024;

function entry(mem: DataView, table: number, index: number): bigint {
  return mem.getBigUint64(table + index * 8, true);
}

describe('x86_64 page tables', () => {
  const mem = new DataView(new ArrayBuffer(0x10000));
  new Uint8Array(mem.buffer).fill(0xff); // stale bytes must be cleared
  writePageTables(mem, 8 * MiB);

  test('PML4 and PDPT: one PDPT, always four page directories', () => {
    expect(entry(mem, 0x2000, 0)).toBe(0x3003n);
    expect(entry(mem, 0x2000, 1)).toBe(0n);
    expect([0, 1, 2, 3, 4].map((i) => entry(mem, 0x3000, i))).toEqual([0x4003n, 0x5003n, 0x6003n, 0x7003n, 0n]);
  });

  test('the first 2 MiB: low 64 KiB unmapped, boot info read-only, the rest read-write', () => {
    expect(entry(mem, 0x4000, 0)).toBe(0x8003n);
    expect(entry(mem, 0x8000, 0)).toBe(0n);
    expect(entry(mem, 0x8000, 15)).toBe(0n);
    expect(entry(mem, 0x8000, 16)).toBe(0x10001n);
    expect(entry(mem, 0x8000, 255)).toBe(0xff001n);
    expect(entry(mem, 0x8000, 256)).toBe(0x100003n);
    expect(entry(mem, 0x8000, 511)).toBe(0x1ff003n);
  });

  test('2 MiB pages up to the end of memory and nothing beyond', () => {
    expect(entry(mem, 0x4000, 1)).toBe(0x200083n);
    expect(entry(mem, 0x4000, 2)).toBe(0x400083n);
    expect(entry(mem, 0x4000, 3)).toBe(0x600083n);
    expect(entry(mem, 0x4000, 4)).toBe(0n);
    expect(entry(mem, 0x5000, 0)).toBe(0n);
  });

  test('4 GiB fills all four page directories', () => {
    const big = new DataView(new ArrayBuffer(0x10000));
    writePageTables(big, 4096 * MiB);
    expect(entry(big, 0x4000, 2047)).toBe(0xffe00083n);
    expect(entry(big, 0x5000, 0)).toBe(0x40000083n);
  });
});

describe('x86_64 boot GDT and registers', () => {
  test('GDT: null, 64-bit code, data', () => {
    const mem = new DataView(new ArrayBuffer(0x2000));
    writeGdt(mem);
    expect([0, 1, 2].map((i) => mem.getBigUint64(0x1000 + i * 8, true))).toEqual([0n, 0x00af99000000ffffn, 0x00cf93000000ffffn]);
    expect(X86_GDT_CODE).toBe(0x00af99000000ffffn);
    expect(X86_GDT_DATA).toBe(0x00cf93000000ffffn);
  });

  test('sregs: long mode with paging, flat segments, busy TSS, unusable LDT', () => {
    const sregs = new DataView(new ArrayBuffer(312));
    new Uint8Array(sregs.buffer).fill(0xee);
    buildSregs(sregs);
    const u64 = (at: number): bigint => sregs.getBigUint64(at, true);
    expect([u64(KVM_SREGS_OFFSET.cr0), u64(KVM_SREGS_OFFSET.cr3), u64(KVM_SREGS_OFFSET.cr4), u64(KVM_SREGS_OFFSET.efer)]).toEqual([
      0x80010021n, 0x2000n, 0x620n, 0x500n,
    ]);
    expect([u64(KVM_SREGS_OFFSET.cr2), u64(KVM_SREGS_OFFSET.cr8), u64(KVM_SREGS_OFFSET.apic_base)]).toEqual([0n, 0n, 0n]);
    expect(u64(KVM_SREGS_OFFSET.gdt)).toBe(0x1000n);
    expect(sregs.getUint16(KVM_SREGS_OFFSET.gdt + 8, true)).toBe(23);
    expect(u64(KVM_SREGS_OFFSET.idt)).toBe(0n);
    const seg = (at: number) => ({
      selector: sregs.getUint16(at + KVM_SEGMENT_OFFSET.selector, true),
      limit: sregs.getUint32(at + KVM_SEGMENT_OFFSET.limit, true),
      bytes: Array.from(new Uint8Array(sregs.buffer, at + KVM_SEGMENT_OFFSET.type, 9)),
    });
    // type, present, dpl, db, s, l, g, avl, unusable
    expect(seg(KVM_SREGS_OFFSET.cs)).toEqual({ selector: 8, limit: 0xffffffff, bytes: [9, 1, 0, 0, 1, 1, 1, 0, 0] });
    for (const at of [KVM_SREGS_OFFSET.ds, KVM_SREGS_OFFSET.es, KVM_SREGS_OFFSET.fs, KVM_SREGS_OFFSET.gs, KVM_SREGS_OFFSET.ss]) {
      expect(seg(at)).toEqual({ selector: 0x10, limit: 0xffffffff, bytes: [3, 1, 0, 1, 1, 0, 1, 0, 0] });
    }
    expect(seg(KVM_SREGS_OFFSET.tr)).toEqual({ selector: 0, limit: 0, bytes: [11, 1, 0, 0, 0, 0, 0, 0, 0] });
    expect(seg(KVM_SREGS_OFFSET.ldt)).toEqual({ selector: 0, limit: 0, bytes: [0, 0, 0, 0, 0, 0, 0, 0, 1] });
  });

  test('regs: entry, stack below the top of memory, boot info in RDI, RFLAGS 2', () => {
    const regs = new DataView(new ArrayBuffer(144));
    new Uint8Array(regs.buffer).fill(0xee);
    buildRegs(regs, 0x100020, 512 * MiB, 0x10000);
    expect(regs.getBigUint64(KVM_REGS_OFFSET.rip, true)).toBe(0x100020n);
    expect(regs.getBigUint64(KVM_REGS_OFFSET.rsp, true)).toBe(BigInt(512 * MiB - 8));
    expect(regs.getBigUint64(KVM_REGS_OFFSET.rdi, true)).toBe(0x10000n);
    expect(regs.getBigUint64(KVM_REGS_OFFSET.rflags, true)).toBe(2n);
    expect(regs.getBigUint64(KVM_REGS_OFFSET.rax, true)).toBe(0n);
  });
});
