// Anonymous native mappings: guest RAM and small scratch areas passed to the kernel by address.
import { MAP_ANONYMOUS, MAP_NORESERVE, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE, libc, nativeView } from './libc';
import { SysError } from './sys-error';

export interface NativeRegion {
  /** Host virtual address of the first byte. */
  readonly address: number;
  readonly lengthBytes: number;
  /** A view over the region, created once; no copies. */
  readonly buffer: ArrayBuffer;
  readonly bytes: Uint8Array;
  readonly data: DataView;
}

function regionAt(address: number, lengthBytes: number): NativeRegion {
  const buffer = nativeView(address, lengthBytes);
  return { address, lengthBytes, buffer, bytes: new Uint8Array(buffer), data: new DataView(buffer) };
}

/** Maps zero-filled anonymous memory (shared, as KVM memslots want, or private for scratch use). */
export function mapAnonymous(lengthBytes: number, shared: boolean): NativeRegion {
  const flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE;
  const address = libc.mmap(0, lengthBytes, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (address === -1) throw SysError.last(`mmap(${lengthBytes} bytes)`);
  return regionAt(address, lengthBytes);
}

/** Maps `lengthBytes` of a file descriptor (e.g. a vCPU's kvm_run area), shared, read-write. */
export function mapFd(fd: number, lengthBytes: number): NativeRegion {
  const address = libc.mmap(0, lengthBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (address === -1) throw SysError.last('mmap(vcpu fd)');
  return regionAt(address, lengthBytes);
}

/** A small private scratch area for structs the kernel reads or fills (ioctl and syscall arguments). */
export function scratch(lengthBytes: number): NativeRegion {
  return mapAnonymous(lengthBytes, false);
}
