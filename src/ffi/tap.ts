// TAP devices for guest networking: attach to an existing interface by name, adopt an inherited TAP fd, or create
// a TAP that lives as long as its fd (the OCI runtime's per-container TAPs).
// Everything goes through ioctls on sockets of the current network namespace (never /sys, which may show another).
import { ior, iow } from './ioctl-request';
import {
  EINVAL,
  ENAMETOOLONG,
  ENETDOWN,
  ENODEV,
  ENOENT,
  F_GETFL,
  F_SETFL,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  errno,
  libc,
} from './libc';
import { NativeRegion, scratch } from './native-memory';
import { SysError } from './sys-error';

const TUN_DEVICE = '/dev/net/tun';
const TUNSETIFF = iow(0x54, 202, 4);
const TUNGETIFF = ior(0x54, 210, 4);
const SIOCGIFFLAGS = 0x8913;
const SIOCGIFMTU = 0x8921;
const SIOCETHTOOL = 0x8946;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const IFF_TUN_EXCL = 0x8000;
const IFNAMSIZ = 16;
const IFREQ_BYTES = 40;
const ETHTOOL_VALUE_AT = 64;
const ETHTOOL_SGSO = 0x24;
const ETHTOOL_SGRO = 0x2c;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
/** Used when the interface's MTU cannot be read (an adopted fd whose interface is gone from this namespace). */
export const DEFAULT_MTU = 1500;

export interface Tap {
  fd: number;
  ifname: string;
  mtu: number;
}

/** An attach failure, with the errno Solo5 would report for it. */
export class TapError extends SysError {}

function fail(call: string, errnum: number): never {
  throw new TapError(call, errnum);
}

function withControlSocket<T>(work: (sock: number, ifreq: NativeRegion) => T): T {
  const sock = libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) throw SysError.last('socket');
  try {
    return work(sock, scratch(ETHTOOL_VALUE_AT + 8));
  } finally {
    libc.close(sock);
  }
}

function setName(ifreq: NativeRegion, ifname: string): void {
  ifreq.bytes.fill(0, 0, IFREQ_BYTES);
  ifreq.bytes.set(Buffer.from(ifname, 'latin1'), 0);
}

function readName(ifreq: NativeRegion): string {
  const raw = ifreq.bytes.subarray(0, IFNAMSIZ);
  const nul = raw.indexOf(0);
  return Buffer.from(raw.subarray(0, nul < 0 ? IFNAMSIZ : nul)).toString('latin1');
}

function interfaceMtu(sock: number, ifreq: NativeRegion, ifname: string): number {
  setName(ifreq, ifname);
  if (libc.ioctl(sock, SIOCGIFMTU, ifreq.address) < 0) return DEFAULT_MTU;
  return ifreq.data.getInt32(16, true);
}

/** Turns off GRO and GSO so the kernel never hands the guest frames larger than the MTU (best effort). */
function disableOffloads(sock: number, ifreq: NativeRegion, ifname: string): void {
  for (const cmd of [ETHTOOL_SGRO, ETHTOOL_SGSO]) {
    setName(ifreq, ifname);
    ifreq.data.setUint32(ETHTOOL_VALUE_AT, cmd, true);
    ifreq.data.setUint32(ETHTOOL_VALUE_AT + 4, 0, true);
    ifreq.data.setBigUint64(16, BigInt(ifreq.address + ETHTOOL_VALUE_AT), true);
    libc.ioctl(sock, SIOCETHTOOL, ifreq.address);
  }
}

/**
 * Opens the existing TAP interface `ifname`, which must be up (a TAP is never created here: opening a missing name
 * would create one). Non-blocking, no packet-info header. Throws TapError.
 */
export function openTap(ifname: string): Tap {
  if (Buffer.byteLength(ifname, 'latin1') >= IFNAMSIZ) fail(ifname, ENAMETOOLONG);
  return withControlSocket((sock, ifreq) => {
    setName(ifreq, ifname);
    if (libc.ioctl(sock, SIOCGIFFLAGS, ifreq.address) < 0) fail(ifname, errno() === ENODEV ? ENOENT : errno());
    if ((ifreq.data.getUint16(16, true) & (IFF_UP | IFF_RUNNING)) === 0) fail(ifname, ENETDOWN);
    const fd = libc.open(TUN_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
    if (fd < 0) fail(TUN_DEVICE, errno());
    setName(ifreq, ifname);
    ifreq.data.setUint16(16, IFF_TAP | IFF_NO_PI, true);
    if (libc.ioctl(fd, TUNSETIFF, ifreq.address) < 0 || readName(ifreq) !== ifname) {
      const error = errno();
      libc.close(fd);
      fail(ifname, readName(ifreq) !== ifname ? EINVAL : error);
    }
    const mtu = interfaceMtu(sock, ifreq, ifname);
    disableOffloads(sock, ifreq, ifname);
    return { fd, ifname, mtu };
  });
}

/**
 * Creates the TAP interface `ifname` and returns its fd: not persistent, so the interface disappears when the fd is
 * closed (the process exiting included). Fails with EBUSY if the name exists. The interface starts down.
 */
export function createTap(ifname: string): number {
  if (Buffer.byteLength(ifname, 'latin1') >= IFNAMSIZ) fail(ifname, ENAMETOOLONG);
  const fd = libc.open(TUN_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) fail(TUN_DEVICE, errno());
  const ifreq = scratch(IFREQ_BYTES);
  setName(ifreq, ifname);
  ifreq.data.setUint16(16, IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL, true);
  if (libc.ioctl(fd, TUNSETIFF, ifreq.address) < 0) {
    const error = errno();
    libc.close(fd);
    fail(ifname, error);
  }
  return fd;
}

/**
 * Adopts an inherited, already-attached TAP fd (how a runtime hands over a TAP it created): it must be a TAP
 * without packet-info headers; it is made non-blocking and its interface's MTU is read and its offloads turned off,
 * by name, in this process's network namespace — unless `knownMtu` is given by whoever opened it in its own
 * namespace and did both (openTap), for a process that is not in the TAP's namespace. Throws TapError.
 */
export function adoptTap(fd: number, knownMtu?: number): Tap {
  const flags = libc.fcntl(fd, F_GETFL, 0);
  if (flags < 0) fail(`@${fd}`, errno());
  return withControlSocket((sock, ifreq) => {
    ifreq.bytes.fill(0, 0, IFREQ_BYTES);
    if (libc.ioctl(fd, TUNGETIFF, ifreq.address) < 0) fail(`@${fd}`, EINVAL);
    const tunFlags = ifreq.data.getUint16(16, true);
    if ((tunFlags & IFF_TAP) === 0 || (tunFlags & IFF_NO_PI) === 0) fail(`@${fd}`, EINVAL);
    const ifname = readName(ifreq);
    if (libc.fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) fail(`@${fd}`, errno());
    if (knownMtu !== undefined) return { fd, ifname, mtu: knownMtu };
    const mtu = interfaceMtu(sock, ifreq, ifname);
    disableOffloads(sock, ifreq, ifname);
    return { fd, ifname, mtu };
  });
}
