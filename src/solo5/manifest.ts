// The application manifest (MFT1): validation and device lookup over its bytes (ABI reference §2.2.2–2.2.4).
import {
  MFT_DEV_BLOCK_BASIC,
  MFT_DEV_NET_BASIC,
  MFT_ENTRY_BYTES,
  MFT_ENTRY_OFFSET,
  MFT_HEADER_BYTES,
  MFT_MAX_ENTRIES,
  MFT_NAME_BYTES,
  MFT_RESERVED_FIRST,
  MFT_VERSION,
} from './abi';

export type ManifestDeviceType = typeof MFT_DEV_BLOCK_BASIC | typeof MFT_DEV_NET_BASIC;

export class Manifest {
  readonly entries: number;
  private readonly data: DataView;

  /** Wraps validated manifest bytes (see `validateManifest`); the bytes are modified in place by attachments. */
  constructor(readonly bytes: Uint8Array) {
    this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.data.getUint32(4, true);
  }

  private base(index: number): number {
    return MFT_HEADER_BYTES + index * MFT_ENTRY_BYTES;
  }

  name(index: number): string {
    const at = this.base(index);
    const raw = this.bytes.subarray(at, at + MFT_NAME_BYTES);
    const nul = raw.indexOf(0);
    return Buffer.from(raw.subarray(0, nul < 0 ? raw.length : nul)).toString('latin1');
  }

  type(index: number): number {
    return this.data.getUint32(this.base(index) + MFT_ENTRY_OFFSET.type, true);
  }

  attached(index: number): boolean {
    return this.bytes[this.base(index) + MFT_ENTRY_OFFSET.attached] !== 0;
  }

  /** Index of the first entry with this name and type, or -1 (Solo5 compares at most 68 name bytes). */
  find(name: string, type: ManifestDeviceType): number {
    for (let i = 0; i < this.entries; i++) {
      if (this.type(i) === type && this.name(i) === name) return i;
    }
    return -1;
  }

  /** True when `handle` names an entry of `type`; the guest's u64 handle is truncated to 32 bits as Solo5 does. */
  isHandleOfType(handle: bigint, type: ManifestDeviceType): boolean {
    const index = Number(handle & 0xffffffffn);
    return index < this.entries && this.type(index) === type;
  }

  markAttached(index: number, hostFd: number): void {
    const at = this.base(index);
    this.data.setInt32(at + MFT_ENTRY_OFFSET.hostFd, hostFd, true);
    this.bytes[at + MFT_ENTRY_OFFSET.attached] = 1;
  }

  setBlockProperties(index: number, capacityBytes: bigint, blockSizeBytes: number): void {
    const at = this.base(index);
    this.data.setBigUint64(at + MFT_ENTRY_OFFSET.blockCapacity, capacityBytes, true);
    this.data.setUint16(at + MFT_ENTRY_OFFSET.blockSize, blockSizeBytes, true);
  }

  blockSize(index: number): number {
    return this.data.getUint16(this.base(index) + MFT_ENTRY_OFFSET.blockSize, true);
  }

  setNetProperties(index: number, mac: Uint8Array, mtu: number): void {
    const at = this.base(index);
    this.bytes.set(mac.subarray(0, 6), at + MFT_ENTRY_OFFSET.netMac);
    this.data.setUint16(at + MFT_ENTRY_OFFSET.netMtu, mtu, true);
  }

  /** Names of the declared devices of `type`, in manifest order. */
  devicesOfType(type: ManifestDeviceType): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.entries; i++) if (this.type(i) === type) names.push(this.name(i));
    return names;
  }

  /** Entries the guest declared but nobody attached, excluding reserved types. */
  unattachedDevices(): { name: string; type: number }[] {
    const missing: { name: string; type: number }[] = [];
    for (let i = 0; i < this.entries; i++) {
      if (this.type(i) < MFT_RESERVED_FIRST && !this.attached(i)) missing.push({ name: this.name(i), type: this.type(i) });
    }
    return missing;
  }
}

/** Solo5's name for a device type in "declared but not attached" messages. */
export function deviceTypeName(type: number): string {
  if (type === MFT_DEV_BLOCK_BASIC) return 'BLOCK_BASIC';
  if (type === MFT_DEV_NET_BASIC) return 'NET_BASIC';
  return '<undefined type>';
}

/** Why `bytes` is not a valid manifest, or undefined when it is (every rule of Solo5's mft_validate). */
export function manifestProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length < MFT_HEADER_BYTES) return `manifest is ${bytes.length} bytes, shorter than its ${MFT_HEADER_BYTES}-byte header`;
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = data.getUint32(0, true);
  const entries = data.getUint32(4, true);
  if (version !== MFT_VERSION) return `manifest version is ${version}, expected ${MFT_VERSION}`;
  if (entries > MFT_MAX_ENTRIES) return `manifest has ${entries} entries, more than ${MFT_MAX_ENTRIES}`;
  if (bytes.length !== MFT_HEADER_BYTES + entries * MFT_ENTRY_BYTES) {
    return `manifest size ${bytes.length} does not match its ${entries} entries`;
  }
  if (entries < 1) return 'manifest has no entries';
  if (data.getUint32(MFT_HEADER_BYTES + MFT_ENTRY_OFFSET.type, true) !== MFT_RESERVED_FIRST) {
    return 'manifest entry 0 is not the reserved entry';
  }
  if (bytes[MFT_HEADER_BYTES] !== 0) return 'manifest entry 0 has a name';
  for (let i = 0; i < entries; i++) {
    const at = MFT_HEADER_BYTES + i * MFT_ENTRY_BYTES;
    if (bytes[at + MFT_NAME_BYTES - 1] !== 0) return `manifest entry ${i} name is not NUL-terminated`;
    if (bytes[at + MFT_ENTRY_OFFSET.attached] !== 0) return `manifest entry ${i} is marked attached`;
  }
  return undefined;
}
