// Guest low memory at boot: struct hvt_boot_info, the manifest copy, the command line (ABI reference §4.1–4.3).
import { HVT_BOOT_INFO, HVT_CMDLINE_SIZE, HVT_FEATURE_RING_IO } from '../solo5/abi';
import { Manifest } from '../solo5/manifest';
import { Gpa } from './guest-address';
import { MonitorError } from './monitor-error';

export interface BootInfo {
  guestSizeBytes: number;
  kernelEnd: number;
  cpuCycleHz: number;
  manifest: Manifest;
  /** NUL-terminated command line bytes. */
  cmdline: Uint8Array;
  /** GPA of the network ring when it is offered, else 0. */
  netRingGpa?: number;
}

/** Joins guest arguments with single spaces, NUL-terminated; refuses lines that do not fit the guest's buffer. */
export function encodeCmdline(args: readonly string[]): Uint8Array {
  const text = Buffer.from(`${args.join(' ')}\0`);
  if (text.length > HVT_CMDLINE_SIZE) {
    throw new MonitorError(`Guest command line too long (max=${HVT_CMDLINE_SIZE - 1} characters)`);
  }
  return new Uint8Array(text);
}

/** Writes boot info at `base`, the manifest right after it, then the command line. */
export function writeBootInfo(mem: DataView, base: Gpa, info: BootInfo): void {
  const bytes = new Uint8Array(mem.buffer, mem.byteOffset, mem.byteLength);
  const mftAt = base + HVT_BOOT_INFO.bytes;
  const cmdlineAt = mftAt + info.manifest.bytes.length;
  bytes.set(info.manifest.bytes, mftAt);
  bytes.fill(0, cmdlineAt, cmdlineAt + HVT_CMDLINE_SIZE);
  bytes.set(info.cmdline, cmdlineAt);
  mem.setBigUint64(base + HVT_BOOT_INFO.memSize, BigInt(info.guestSizeBytes), true);
  mem.setBigUint64(base + HVT_BOOT_INFO.kernelEnd, BigInt(info.kernelEnd), true);
  mem.setBigUint64(base + HVT_BOOT_INFO.cpuCycleFreq, BigInt(info.cpuCycleHz), true);
  mem.setBigUint64(base + HVT_BOOT_INFO.cmdline, BigInt(cmdlineAt), true);
  mem.setBigUint64(base + HVT_BOOT_INFO.mft, BigInt(mftAt), true);
  const ring = info.netRingGpa ?? 0;
  mem.setUint32(base + HVT_BOOT_INFO.hostFeatures, ring !== 0 ? HVT_FEATURE_RING_IO : 0, true);
  mem.setUint32(base + HVT_BOOT_INFO.guestFeatures, 0, true);
  mem.setBigUint64(base + HVT_BOOT_INFO.netRing, BigInt(ring), true);
}
