// The monitor's seccomp program, run by a classic-BPF interpreter written here against the kernel's semantics:
// what it allows, refuses with an errno and kills. And the allowlist as data: numbers as the system headers give
// them, a reason for every entry.
import { existsSync, readFileSync } from 'node:fs';
import { BPF, SockFilter } from '../../../src/seccomp/bpf-builder';
import {
  AUDIT_ARCH_X86_64,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_LOG,
} from '../../../src/seccomp/seccomp-abi';
import { monitorFilter, seccompMode } from '../../../src/seccomp/seccomp-filter';
import { ALLOWED_CALLS, ALLOWED_IOCTLS, REFUSED_CALLS } from '../../../src/seccomp/syscall-allowlist';
import { KVM_GET_REGS, KVM_RUN } from '../../../src/ffi/kvm-api';

/** Runs `program` on a struct seccomp_data (nr, arch, args) the way the kernel's BPF interpreter does. */
function run(program: readonly SockFilter[], nr: number, args: bigint[] = [], arch = AUDIT_ARCH_X86_64): number {
  const data = new DataView(new ArrayBuffer(64));
  data.setInt32(0, nr, true);
  data.setUint32(4, arch, true);
  args.forEach((a, i) => data.setBigUint64(16 + 8 * i, a, true));
  let acc = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc];
    if (code === (BPF.LD | BPF.W | BPF.ABS)) acc = data.getUint32(k, true);
    else if (code === (BPF.ALU | BPF.AND | BPF.K)) acc = (acc & k) >>> 0;
    else if (code === (BPF.RET | BPF.K)) return k >>> 0;
    else if (code === (BPF.JMP | BPF.JA)) pc += k;
    else if (code === (BPF.JMP | BPF.JEQ | BPF.K)) pc += acc === k ? jt : jf;
    else if (code === (BPF.JMP | BPF.JGE | BPF.K)) pc += acc >= k ? jt : jf;
    else if (code === (BPF.JMP | BPF.JSET | BPF.K)) pc += (acc & k) !== 0 ? jt : jf;
    else throw new Error(`unknown instruction ${code.toString(16)} at ${pc}`);
  }
  throw new Error('fell off the end');
}

const on = monitorFilter('on');
const NR = { read: 0, ioctl: 16, clone: 56, fork: 57, execve: 59, kill: 62, socket: 41, ptrace: 101, clone3: 435, openat: 257, mount: 165 };
const CLONE_THREAD_FLAGS = 0x3d0f00n; // glibc pthread_create: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
const FORK_FLAGS = 0x1200011n; // glibc fork: CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD

test('every allowed call is allowed; calls outside the list kill the process', () => {
  for (const call of ALLOWED_CALLS.filter((c) => c.name !== 'ioctl' && c.name !== 'clone')) expect({ call: call.name, action: run(on, call.nr) }).toEqual({ call: call.name, action: SECCOMP_RET_ALLOW });
  for (const nr of [NR.execve, NR.socket, NR.ptrace, NR.kill, NR.mount, 999]) expect(run(on, nr)).toBe(SECCOMP_RET_KILL_PROCESS);
});

test('ioctl: only the listed requests (by their low 32 bits, as the kernel reads them)', () => {
  for (const request of [KVM_RUN, KVM_GET_REGS, ...ALLOWED_IOCTLS.map((i) => i.request)]) expect(run(on, NR.ioctl, [3n, BigInt(request)])).toBe(SECCOMP_RET_ALLOW);
  // A request passed as a sign-extended int is the same request for the kernel.
  expect(run(on, NR.ioctl, [3n, 0xffffffff00000000n | BigInt(KVM_GET_REGS)])).toBe(SECCOMP_RET_ALLOW);
  const TIOCSTI = 0x5412n; // pushes input into a terminal
  const KVM_SET_USER_MEMORY_REGION = 0x4020ae46n;
  const KVM_CREATE_VM = 0xae01n;
  for (const request of [TIOCSTI, KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VM, 0n]) expect(run(on, NR.ioctl, [3n, request])).toBe(SECCOMP_RET_KILL_PROCESS);
});

test('clone makes threads only; fork and vfork fail with EPERM, clone3 with ENOSYS (glibc then uses clone)', () => {
  expect(run(on, NR.clone, [CLONE_THREAD_FLAGS])).toBe(SECCOMP_RET_ALLOW);
  expect(run(on, NR.clone, [FORK_FLAGS])).toBe(SECCOMP_RET_ERRNO | 1);
  expect(run(on, NR.fork)).toBe(SECCOMP_RET_ERRNO | 1);
  expect(run(on, NR.clone3)).toBe(SECCOMP_RET_ERRNO | 38);
});

test('another architecture or the x32 ABI is refused whatever the number', () => {
  const AUDIT_ARCH_I386 = 0x40000003;
  expect(run(on, NR.read, [], AUDIT_ARCH_I386)).toBe(SECCOMP_RET_KILL_PROCESS);
  expect(run(on, 0x40000000 | NR.read)).toBe(SECCOMP_RET_KILL_PROCESS);
});

test('log mode logs instead of killing, and allows and refuses exactly as on mode does', () => {
  const log = monitorFilter('log');
  expect(run(log, NR.execve)).toBe(SECCOMP_RET_LOG);
  expect(run(log, NR.ioctl, [3n, 0x5412n])).toBe(SECCOMP_RET_LOG);
  expect(run(log, NR.read)).toBe(SECCOMP_RET_ALLOW);
  expect(run(log, NR.fork)).toBe(SECCOMP_RET_ERRNO | 1);
});

test('the mode switch: unset means on; off and log; anything else is no mode', () => {
  expect([undefined, '', 'on', 'off', 'log', 'no'].map(seccompMode)).toEqual(['on', 'on', 'on', 'off', 'log', undefined]);
});

const HEADER = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
(existsSync(HEADER) ? test : test.skip)('allowlist numbers are the system header’s, each entry once, each with a reason', () => {
  const numbers = new Map([...readFileSync(HEADER, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  const entries = [...ALLOWED_CALLS, ...REFUSED_CALLS];
  for (const call of entries) expect({ name: call.name, nr: call.nr }).toEqual({ name: call.name, nr: numbers.get(call.name) });
  expect(new Set(entries.map((c) => c.nr)).size).toBe(entries.length);
  for (const entry of [...entries, ...ALLOWED_IOCTLS]) expect(entry.why.length).toBeGreaterThan(5);
});

test('the listed KVM requests are the ones the monitor issues', () => {
  expect(ALLOWED_IOCTLS.find((i) => i.name === 'KVM_RUN')?.request).toBe(KVM_RUN);
  expect(ALLOWED_IOCTLS.find((i) => i.name === 'KVM_GET_REGS')?.request).toBe(KVM_GET_REGS);
});

test('docs/security.md lists exactly this allowlist', () => {
  const doc = readFileSync(require('node:path').resolve(__dirname, '../../../docs/security.md'), 'utf8');
  const section = doc.slice(doc.indexOf('<!-- allowlist:begin -->'), doc.indexOf('<!-- allowlist:end -->'));
  const rows = section.split('\n').filter((l) => /^\| (\d+|0x[0-9a-f]+) \|/.test(l));
  expect(rows).toEqual([
    ...ALLOWED_CALLS.map((c) => `| ${c.nr} | \`${c.name}\` | ${c.why} |`),
    ...REFUSED_CALLS.map((c) => `| ${c.nr} | \`${c.name}\` | ${c.errno} | ${c.why} |`),
    ...ALLOWED_IOCTLS.map((c) => `| 0x${c.request.toString(16)} | \`${c.name}\` | ${c.why} |`),
  ]);
});
