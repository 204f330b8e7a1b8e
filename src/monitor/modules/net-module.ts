// The net module: TAP devices as NET_BASIC devices, NET_WRITE / NET_READ, and their place in POLL's wait set
// (ABI reference §6.1). Frames move between the TAP fd and guest memory directly: no JS buffers, no allocation.
import { randomBytes } from 'node:crypto';
import { EAGAIN, EINTR, errno, libc, strerror } from '../../ffi/libc';
import { Tap, TapError, adoptTap, openTap } from '../../ffi/tap';
import {
  HVT_HYPERCALL_NET_READ,
  HVT_HYPERCALL_NET_WRITE,
  HVT_NET,
  MFT_DEV_NET_BASIC,
  MFT_MAX_ENTRIES,
  SOLO5_R_AGAIN,
  SOLO5_R_EINVAL,
  SOLO5_R_OK,
} from '../../solo5/abi';
import { Manifest } from '../../solo5/manifest';
import { readU64, writeU64 } from '../guest-address';
import { GuestMemory } from '../guest-memory';
import { HypercallTable } from '../hypercalls/hypercall-table';
import { NetAttachment } from '../monitor-config';
import { MonitorError, fatal } from '../monitor-error';
import { WaitSet } from '../wait-set';
import { declaredIndex } from './device-attachments';


interface NetDevice {
  name: string;
  index: number;
  tap: Tap;
  mac?: Uint8Array;
}

/** A random unicast, locally administered MAC address. */
export function randomMac(): Uint8Array {
  const mac = new Uint8Array(randomBytes(6));
  mac[0] = (mac[0] & 0xfe) | 0x02;
  return mac;
}

export class NetModule {
  private readonly devices: NetDevice[] = [];
  /** TAP fds by guest handle (manifest index); -1 where the handle is not an attached net device. */
  readonly fdByHandle = new Int32Array(MFT_MAX_ENTRIES).fill(-1);
  private memory!: GuestMemory;

  /** Opens or adopts each --net TAP and marks its manifest entry attached. */
  attach(nets: readonly NetAttachment[], manifest: Manifest): void {
    for (const net of nets) {
      const index = declaredIndex(manifest, net.name, MFT_DEV_NET_BASIC);
      if (!net.backend) continue;
      let tap: Tap;
      try {
        tap = net.backend.kind === 'fd' ? adoptTap(net.backend.fd, net.backend.mtu) : openTap(net.backend.ifname);
      } catch (error) {
        if (!(error instanceof TapError)) throw error;
        throw new MonitorError(`Could not attach interface: ${error.message}\nInvalid option: \`${net.option}'`, 1, true);
      }
      this.devices.push({ name: net.name, index, tap, mac: net.mac });
      this.fdByHandle[index] = tap.fd;
      manifest.markAttached(index, tap.fd);
    }
  }

  get attachedCount(): number {
    return this.devices.length;
  }

  /** Gives each device its MAC and MTU, adds its TAP to the wait set and registers the hypercalls. */
  setup(manifest: Manifest, memory: GuestMemory, table: HypercallTable, waitSet: WaitSet): void {
    this.memory = memory;
    for (const device of this.devices) {
      manifest.setNetProperties(device.index, device.mac ?? randomMac(), device.tap.mtu);
      waitSet.add(device.tap.fd, device.index);
    }
    if (this.devices.length === 0) return;
    table.register(HVT_HYPERCALL_NET_WRITE, this.write);
    table.register(HVT_HYPERCALL_NET_READ, this.read);
  }

  /**
   * Bounds-checks a NET_* request (the struct is written back; NET_READ writes the buffer too); returns the TAP fd,
   * or -1 after storing EINVAL for an unknown handle.
   */
  private request(arg: number, where: string, writesBuffer: boolean): number {
    const memory = this.memory;
    const view = memory.data;
    memory.checkWritable(arg, HVT_NET.bytes, where);
    // Only the low 32 bits of the handle count, as in Solo5.
    const handle = view.getUint32(arg + HVT_NET.handle, true);
    const fd = handle < MFT_MAX_ENTRIES ? this.fdByHandle[handle] : -1;
    if (fd < 0) {
      view.setInt32(arg + HVT_NET.ret, SOLO5_R_EINVAL, true);
      return -1;
    }
    if (writesBuffer) memory.checkWritable(readU64(view, arg + HVT_NET.data), readU64(view, arg + HVT_NET.len), where, arg + HVT_NET.data);
    else memory.check(readU64(view, arg + HVT_NET.data), readU64(view, arg + HVT_NET.len), where, arg + HVT_NET.data);
    return fd;
  }

  private readonly write = (arg: number): boolean => {
    const fd = this.request(arg, 'NET_WRITE', false);
    if (fd < 0) return true;
    const view = this.memory.data;
    const len = readU64(view, arg + HVT_NET.len);
    const at = this.memory.hostBase + readU64(view, arg + HVT_NET.data);
    let written = libc.write(fd, at, len);
    // errno is read once per failed call (each read is a call into koffi).
    let error = written < 0 ? errno() : 0;
    while (error === EINTR) {
      written = libc.write(fd, at, len);
      error = written < 0 ? errno() : 0;
    }
    if (written < 0) fatal(`Fatal error when writing to network device: ${strerror(error)}`);
    if (written !== len) fatal(`Fatal error: wrote only ${written} out of ${len} bytes`);
    view.setInt32(arg + HVT_NET.ret, SOLO5_R_OK, true);
    return true;
  };

  private readonly read = (arg: number): boolean => {
    const fd = this.request(arg, 'NET_READ', true);
    if (fd < 0) return true;
    const view = this.memory.data;
    const at = this.memory.hostBase + readU64(view, arg + HVT_NET.data);
    const size = readU64(view, arg + HVT_NET.len);
    let read = libc.read(fd, at, size);
    let error = read < 0 ? errno() : 0;
    while (error === EINTR) {
      read = libc.read(fd, at, size);
      error = read < 0 ? errno() : 0;
    }
    if (read === 0 || error === EAGAIN) {
      view.setInt32(arg + HVT_NET.ret, SOLO5_R_AGAIN, true);
      return true;
    }
    if (read < 0) fatal(`Fatal error when reading from network device: ${strerror(error)}`);
    writeU64(view, arg + HVT_NET.len, read);
    view.setInt32(arg + HVT_NET.ret, SOLO5_R_OK, true);
    return true;
  };
}
