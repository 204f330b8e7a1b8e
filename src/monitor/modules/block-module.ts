// The block module: files or block devices as BLOCK_BASIC devices, BLOCK_WRITE / BLOCK_READ (ABI reference §6.2).
// Data moves between the backing fd and guest memory directly (pread/pwrite on guest addresses): no JS buffers.
import { openSync } from 'node:fs';
import { SEEK_END, errno, libc, strerror } from '../../ffi/libc';
import { SysError } from '../../ffi/sys-error';
import {
  HVT_BLOCK,
  HVT_HYPERCALL_BLOCK_READ,
  HVT_HYPERCALL_BLOCK_WRITE,
  MFT_DEV_BLOCK_BASIC,
  MFT_MAX_ENTRIES,
  SOLO5_R_EINVAL,
  SOLO5_R_OK,
} from '../../solo5/abi';
import { Manifest } from '../../solo5/manifest';
import { readU64 } from '../guest-address';
import { GuestMemory } from '../guest-memory';
import { HypercallTable } from '../hypercalls/hypercall-table';
import { BlockAttachment } from '../monitor-config';
import { MonitorError, fatal } from '../monitor-error';
import { declaredIndex } from './device-attachments';

export const DEFAULT_SECTOR_BYTES = 512;
const SSIZE_MAX = 2 ** 63 - 1;

interface BlockOp {
  name: string;
  io: (fd: number, address: number, length: number, offset: number) => number;
  doing: string;
  did: string;
  /** True when the transfer writes guest memory (BLOCK_READ). */
  writesGuest: boolean;
}

const BLOCK_WRITE_OP: BlockOp = { name: 'BLOCK_WRITE', io: libc.pwrite, doing: 'writing to', did: 'wrote', writesGuest: false };
const BLOCK_READ_OP: BlockOp = { name: 'BLOCK_READ', io: libc.pread, doing: 'reading from', did: 'read', writesGuest: true };

interface BlockDevice {
  name: string;
  index: number;
  fd: number;
  capacityBytes: number;
  sectorBytes: number;
}

export class BlockModule {
  private readonly devices: BlockDevice[] = [];
  /** Devices by guest handle (manifest index), so a hypercall finds its device without searching. */
  private readonly byHandle: (BlockDevice | undefined)[] = new Array(MFT_MAX_ENTRIES).fill(undefined);
  private memory!: GuestMemory;

  /** Opens each --block backing store and marks its manifest entry attached. */
  attach(blocks: readonly BlockAttachment[], manifest: Manifest): void {
    for (const block of blocks) {
      const index = declaredIndex(manifest, block.name, MFT_DEV_BLOCK_BASIC);
      if (!block.path) continue;
      let fd: number;
      try {
        fd = openSync(block.path, 'r+');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).errno;
        throw new MonitorError(`Could not open block device: ${block.path}: ${code ? strerror(-code) : (error as Error).message}`);
      }
      const capacityBytes = libc.lseek(fd, 0, SEEK_END);
      if (capacityBytes < 0) throw SysError.last(`lseek(${block.path})`);
      const device = { name: block.name, index, fd, capacityBytes, sectorBytes: block.sectorBytes ?? DEFAULT_SECTOR_BYTES };
      this.devices.push(device);
      this.byHandle[index] = device;
      manifest.markAttached(index, fd);
    }
  }

  /** Checks capacities against sector sizes, fills the manifest entries and registers the hypercalls. */
  setup(manifest: Manifest, memory: GuestMemory, table: HypercallTable): void {
    this.memory = memory;
    for (const device of this.devices) {
      const { name, sectorBytes, capacityBytes } = device;
      if (capacityBytes % sectorBytes !== 0) fatal(`${name}: Backing storage size must be block aligned (${sectorBytes} bytes)`);
      if (capacityBytes < sectorBytes) fatal(`${name}: Backing storage must be at least 1 block (${sectorBytes} bytes) in size`);
      manifest.setBlockProperties(device.index, BigInt(capacityBytes), sectorBytes);
    }
    if (this.devices.length === 0) return;
    table.register(HVT_HYPERCALL_BLOCK_WRITE, this.write);
    table.register(HVT_HYPERCALL_BLOCK_READ, this.read);
  }

  /**
   * Common checks of BLOCK_WRITE and BLOCK_READ. Returns the device, or undefined after storing EINVAL in the
   * guest's ret (unknown handle, or a range outside the device). Bad guest pointers end the monitor.
   */
  private request(arg: number, where: string, writesBuffer: boolean): BlockDevice | undefined {
    const memory = this.memory;
    const view = memory.data;
    memory.checkWritable(arg, HVT_BLOCK.bytes, where);
    // Only the low 32 bits of the handle count, as in Solo5.
    const handle = view.getUint32(arg + HVT_BLOCK.handle, true);
    const device = handle < MFT_MAX_ENTRIES ? this.byHandle[handle] : undefined;
    const offset = readU64(view, arg + HVT_BLOCK.offset);
    const len = readU64(view, arg + HVT_BLOCK.len);
    if (device === undefined || len > SSIZE_MAX || offset >= device.capacityBytes || offset + len > device.capacityBytes) {
      view.setInt32(arg + HVT_BLOCK.ret, SOLO5_R_EINVAL, true);
      return undefined;
    }
    if (writesBuffer) memory.checkWritable(readU64(view, arg + HVT_BLOCK.data), len, where, arg + HVT_BLOCK.data);
    else memory.check(readU64(view, arg + HVT_BLOCK.data), len, where, arg + HVT_BLOCK.data);
    return device;
  }

  /** Moves `len` bytes between the device and guest memory with `io` (pread or pwrite); fatal on host failure. */
  private transfer(arg: number, op: BlockOp): boolean {
    const device = this.request(arg, op.name, op.writesGuest);
    if (device === undefined) return true;
    const view = this.memory.data;
    const len = readU64(view, arg + HVT_BLOCK.len);
    const at = this.memory.hostBase + readU64(view, arg + HVT_BLOCK.data);
    const done = op.io(device.fd, at, len, readU64(view, arg + HVT_BLOCK.offset));
    if (done < 0) fatal(`Fatal error when ${op.doing} block device ${device.name}: ${strerror(errno())}`);
    if (done !== len) fatal(`Fatal error: ${op.did} only ${done} out of ${len} bytes`);
    view.setInt32(arg + HVT_BLOCK.ret, SOLO5_R_OK, true);
    return true;
  }

  private readonly write = (arg: number): boolean => this.transfer(arg, BLOCK_WRITE_OP);
  private readonly read = (arg: number): boolean => this.transfer(arg, BLOCK_READ_OP);
}
