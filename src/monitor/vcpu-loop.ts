// The vCPU run loop (ABI reference §5, §7.1). Synchronous on the main thread: KVM_RUN, decode, dispatch, repeat.
// It allocates nothing and awaits nothing per exit; it returns to the event loop only when KVM_RUN or a blocking
// hypercall is interrupted by a signal (EINTR), so that SIGINT/SIGTERM handlers run (see signals.ts).
import {
  KVM_EXIT_FAIL_ENTRY,
  KVM_EXIT_INTERNAL_ERROR,
  KVM_EXIT_MMIO,
  KVM_RUN,
  KVM_RUN_OFFSET,
} from '../ffi/kvm-api';
import { EFAULT, EINTR, errno, libc, strerror } from '../ffi/libc';
import { HVT_HALT, HVT_HALT_COOKIE_MAX, HVT_HYPERCALL_HALT } from '../solo5/abi';
import { GuestArch } from './arch/guest-arch';
import { readU64 } from './guest-address';
import { GuestMemory } from './guest-memory';
import { HypercallHandler, HypercallTable } from './hypercalls/hypercall-table';
import { KvmVm } from './kvm/kvm-vm';
import { fatal } from './monitor-error';

/** runUntilYield's answer when the loop must give the event loop a turn before going on. */
const YIELD = -1;

export class VcpuLoop {
  private interrupted: HypercallHandler | undefined;
  private readonly run: DataView;
  private readonly handlers: (HypercallHandler | undefined)[];

  constructor(
    private readonly vm: KvmVm,
    private readonly memory: GuestMemory,
    private readonly arch: GuestArch,
    table: HypercallTable,
    /** Runs before each return to the guest after an event-loop turn; throws to end the monitor (the ring's faults). */
    private readonly beforeResume: () => void = () => undefined,
  ) {
    this.run = vm.run.data;
    this.handlers = table.handlers;
  }

  /** Runs the guest until it halts; resolves to its exit status (0..255). Fatal guest errors reject. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const step = (): void => {
        try {
          this.beforeResume();
          const status = this.runUntilYield();
          if (status === YIELD) setImmediate(step);
          else resolve(status);
        } catch (error) {
          reject(error);
        }
      };
      step();
    });
  }

  private runUntilYield(): number {
    const pending = this.interrupted;
    if (pending) {
      if (!pending.resume!()) return YIELD;
      this.interrupted = undefined;
    }
    const vcpuFd = this.vm.vcpuFd;
    const run = this.run;
    for (;;) {
      if (libc.ioctl(vcpuFd, KVM_RUN, 0) < 0) {
        const error = errno();
        if (error === EINTR) return YIELD;
        if (error === EFAULT) this.translationFault();
        fatal(`KVM: ioctl (RUN) failed: ${strerror(error)}`);
      }
      const exitReason = run.getUint32(KVM_RUN_OFFSET.exit_reason, true);
      const call = this.arch.decodeHypercall(run, exitReason);
      if (call < 0) this.unhandledExit(exitReason);
      const nr = call % 16;
      const arg = (call - nr) / 16;
      if (nr === HVT_HYPERCALL_HALT) return this.halt(arg);
      const handler = this.handlers[nr];
      if (handler === undefined) fatal(`Invalid guest hypercall: num=${nr}`);
      if (!handler(arg)) {
        this.interrupted = handler;
        return YIELD;
      }
    }
  }

  private halt(arg: number): number {
    const memory = this.memory;
    memory.check(arg, HVT_HALT.bytes, 'HALT');
    const cookie = readU64(memory.data, arg + HVT_HALT.cookie);
    if (cookie !== 0) memory.check(cookie, HVT_HALT_COOKIE_MAX, 'HALT');
    return memory.data.getInt32(arg + HVT_HALT.exitStatus, true) & 0xff;
  }

  /**
   * A guest write to memory the host maps read-only (its text and rodata). Kernels report it as EFAULT from KVM_RUN
   * or, when they emulate the faulting write, as an MMIO exit at an address inside guest RAM.
   */
  private translationFault(): never {
    fatal(`KVM: host/guest translation fault: rip=0x${this.vm.instructionPointer().toString(16)}`);
  }

  private writesGuestRam(run: DataView): boolean {
    return run.getUint8(KVM_RUN_OFFSET.mmio_is_write) !== 0 && run.getBigUint64(KVM_RUN_OFFSET.mmio_phys_addr, true) < BigInt(this.memory.allocBytes);
  }

  private unhandledExit(exitReason: number): never {
    const run = this.run;
    if (exitReason === KVM_EXIT_FAIL_ENTRY) {
      const reason = run.getBigUint64(KVM_RUN_OFFSET.fail_entry_reason, true);
      fatal(`KVM: entry failure: hw_entry_failure_reason=0x${reason.toString(16)}`);
    }
    if (exitReason === KVM_EXIT_INTERNAL_ERROR) {
      fatal(`KVM: internal error exit: suberror=0x${run.getUint32(KVM_RUN_OFFSET.internal_suberror, true).toString(16)}`);
    }
    if (exitReason === KVM_EXIT_MMIO && this.writesGuestRam(run)) this.translationFault();
    fatal(`KVM: unhandled exit: exit_reason=0x${exitReason.toString(16)}, rip=0x${this.vm.instructionPointer().toString(16)}`);
  }
}
