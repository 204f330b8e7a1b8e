// Decodes a vCPU exit into a hypercall on x86_64: a 32-bit OUT of the argument's GPA to port 0x500 + nr (§5.1).
import { KVM_EXIT_IO, KVM_EXIT_IO_OUT, KVM_RUN_OFFSET } from '../../../ffi/kvm-api';
import { HVT_HYPERCALL_MAX, HVT_HYPERCALL_PIO_BASE } from '../../../solo5/abi';
import { fatal } from '../../monitor-error';

/** Sentinel: the exit is not a hypercall exit on this architecture. */
export const NOT_A_HYPERCALL = -1;

/**
 * For a KVM_EXIT_IO, returns `gpa * 16 + nr` (one number, so nothing is allocated per exit); for other exit reasons
 * NOT_A_HYPERCALL. An I/O exit that is not a valid hypercall ends the monitor.
 */
export function decodeHypercall(run: DataView, exitReason: number): number {
  if (exitReason !== KVM_EXIT_IO) return NOT_A_HYPERCALL;
  const port = run.getUint16(KVM_RUN_OFFSET.io_port, true);
  if (
    run.getUint8(KVM_RUN_OFFSET.io_direction) !== KVM_EXIT_IO_OUT ||
    run.getUint8(KVM_RUN_OFFSET.io_size) !== 4 ||
    port < HVT_HYPERCALL_PIO_BASE ||
    port >= HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_MAX
  ) {
    fatal(`Invalid guest port access: port=0x${port.toString(16)}`);
  }
  const dataOffset = run.getUint32(KVM_RUN_OFFSET.io_data_offset, true);
  return run.getUint32(dataOffset, true) * 16 + (port - HVT_HYPERCALL_PIO_BASE);
}
