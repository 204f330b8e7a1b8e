// The BPF assembler against encodings known from the kernel headers and seccomp(2)'s example: the arch check, the
// syscall-number load and an allowlist compare, as `struct sock_filter` records and as bytes.
import { BpfError, BpfProgram, encodeFilters } from '../../../src/seccomp/bpf-builder';
import { AUDIT_ARCH_X86_64, SECCOMP_DATA, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS } from '../../../src/seccomp/seccomp-abi';

test('the standard prologue and one allowed call assemble to the kernel’s encodings', () => {
  const filters = new BpfProgram()
    .loadWord(SECCOMP_DATA.arch)
    .jumpIfEqual(AUDIT_ARCH_X86_64, 'next', 'kill')
    .loadWord(SECCOMP_DATA.nr)
    .jumpIfEqual(0 /* read */, 'allow')
    .place('kill')
    .ret(SECCOMP_RET_KILL_PROCESS)
    .place('allow')
    .ret(SECCOMP_RET_ALLOW)
    .assemble();
  // BPF_STMT(BPF_LD|BPF_W|BPF_ABS, 4); BPF_JUMP(BPF_JMP|BPF_JEQ|BPF_K, AUDIT_ARCH_X86_64, 0, 2); ...
  expect(filters).toEqual([
    { code: 0x20, jt: 0, jf: 0, k: 4 },
    { code: 0x15, jt: 0, jf: 2, k: 0xc000003e },
    { code: 0x20, jt: 0, jf: 0, k: 0 },
    { code: 0x15, jt: 1, jf: 0, k: 0 },
    { code: 0x06, jt: 0, jf: 0, k: 0x80000000 },
    { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
  ]);
  expect(Buffer.from(encodeFilters(filters)).toString('hex')).toBe(
    '2000000004000000' + '150000023e0000c0' + '2000000000000000' + '1500010000000000' + '0600000000000080' + '060000000000ff7f',
  );
});

test('argument words, masks, JSET, JGE and unconditional jumps', () => {
  const filters = new BpfProgram()
    .loadWord(SECCOMP_DATA.argLow(1))
    .loadWord(SECCOMP_DATA.argHigh(1))
    .and(0xff)
    .jumpIfAnySet(0x10000, 'a', 'b')
    .jumpIfAtLeast(0x40000000, 'b')
    .place('a')
    .jumpTo('b')
    .place('b')
    .ret(5)
    .assemble();
  expect(filters).toEqual([
    { code: 0x20, jt: 0, jf: 0, k: 24 },
    { code: 0x20, jt: 0, jf: 0, k: 28 },
    { code: 0x54, jt: 0, jf: 0, k: 0xff },
    { code: 0x45, jt: 1, jf: 2, k: 0x10000 },
    { code: 0x35, jt: 1, jf: 0, k: 0x40000000 },
    { code: 0x05, jt: 0, jf: 0, k: 0 },
    { code: 0x06, jt: 0, jf: 0, k: 5 },
  ]);
});

test('mistakes are refused when assembling: unknown, backward and far labels, no final return, bad constants', () => {
  expect(() => new BpfProgram().jumpIfEqual(1, 'nowhere').ret(0).assemble()).toThrow(new BpfError('jump at 0 to unknown label nowhere'));
  expect(() => new BpfProgram().place('top').ret(0).jumpIfEqual(1, 'top').ret(0).assemble()).toThrow('jump at 1 to top goes backwards (BPF jumps only forward)');
  const far = new BpfProgram().jumpIfEqual(1, 'end');
  for (let i = 0; i < 256; i++) far.ret(0);
  expect(() => far.place('end').ret(1).assemble()).toThrow('jump at 0 to end is 256 instructions away (at most 255)');
  expect(() => new BpfProgram().loadWord(0).assemble()).toThrow('a seccomp program must end with a return');
  expect(() => new BpfProgram().loadWord(2)).toThrow('load at 2: seccomp loads are 32-bit aligned');
  expect(() => new BpfProgram().ret(-1)).toThrow('return value: -1 is not a 32-bit unsigned value');
  expect(() => new BpfProgram().place('x').place('x')).toThrow('label x placed twice');
  expect(() => new BpfProgram().assemble()).toThrow('a program has 1 to 4096 instructions, not 0');
});
