// Terminals for `process.terminal` containers: a pseudo-terminal pair, and handing its master to the caller over
// the --console-socket unix socket (one message: the pty's name as data, the master fd as one SCM_RIGHTS
// control message), which Node's own socket API cannot send.
import { ENAMETOOLONG, O_CLOEXEC, O_RDWR, libc } from './libc';
import { scratch } from './native-memory';
import { SysError } from './sys-error';

const O_NOCTTY = 0o400;
const TIOCSCTTY = 0x540e;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
/** struct sockaddr_un: sa_family_t, then sun_path[108]. */
const SUN_PATH_AT = 2;
const SUN_PATH_BYTES = 108;
/** x86_64 / aarch64 layouts of struct msghdr, struct iovec and struct cmsghdr (LP64). */
const MSGHDR = { iov: 16, iovlen: 24, control: 32, controllen: 40, bytes: 56 };
const IOVEC_BYTES = 16;
const CMSG_HEADER_BYTES = 16;
const CMSG_SPACE_ONE_FD = 24;
const PTS_NAME_BYTES = 128;

export interface Pty {
  master: number;
  slave: number;
  /** The slave's path, e.g. /dev/pts/3. */
  name: string;
}

/** Opens a new pseudo-terminal pair (both ends close-on-exec; pass the slave on explicitly). */
export function openPty(): Pty {
  const master = libc.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) throw SysError.last('posix_openpt');
  try {
    if (libc.grantpt(master) !== 0) throw SysError.last('grantpt');
    if (libc.unlockpt(master) !== 0) throw SysError.last('unlockpt');
    const buffer = scratch(PTS_NAME_BYTES);
    const status = libc.ptsname_r(master, buffer.address, PTS_NAME_BYTES);
    if (status !== 0) throw new SysError('ptsname_r', status);
    const raw = buffer.bytes.subarray(0, buffer.bytes.indexOf(0));
    const name = Buffer.from(raw).toString('latin1');
    const slave = libc.open(name, O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
    if (slave < 0) throw SysError.last(`open ${name}`);
    return { master, slave, name };
  } catch (error) {
    libc.close(master);
    throw error;
  }
}

/** Connects to the unix socket at `socketPath` and sends `fd` with `name` as the message data. */
export function sendFdOverSocket(socketPath: string, name: string, fd: number): void {
  const path = Buffer.from(socketPath);
  if (path.length >= SUN_PATH_BYTES) throw new SysError(`console socket ${socketPath}`, ENAMETOOLONG);
  const sock = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) throw SysError.last('socket');
  try {
    const nameBytes = Buffer.from(name);
    const addrAt = 0;
    const msgAt = 128;
    const iovAt = msgAt + MSGHDR.bytes;
    const cmsgAt = iovAt + IOVEC_BYTES;
    const dataAt = cmsgAt + CMSG_SPACE_ONE_FD;
    const area = scratch(dataAt + nameBytes.length + 1);
    const view = area.data;

    view.setUint16(addrAt, AF_UNIX, true);
    area.bytes.set(path, addrAt + SUN_PATH_AT);
    if (libc.connect(sock, area.address + addrAt, SUN_PATH_AT + path.length + 1) !== 0) throw SysError.last(`connect ${socketPath}`);

    area.bytes.set(nameBytes, dataAt);
    view.setBigUint64(iovAt, BigInt(area.address + dataAt), true);
    view.setBigUint64(iovAt + 8, BigInt(nameBytes.length), true);
    view.setBigUint64(cmsgAt, BigInt(CMSG_HEADER_BYTES + 4), true);
    view.setInt32(cmsgAt + 8, SOL_SOCKET, true);
    view.setInt32(cmsgAt + 12, SCM_RIGHTS, true);
    view.setInt32(cmsgAt + CMSG_HEADER_BYTES, fd, true);
    view.setBigUint64(msgAt + MSGHDR.iov, BigInt(area.address + iovAt), true);
    view.setBigUint64(msgAt + MSGHDR.iovlen, 1n, true);
    view.setBigUint64(msgAt + MSGHDR.control, BigInt(area.address + cmsgAt), true);
    view.setBigUint64(msgAt + MSGHDR.controllen, BigInt(CMSG_SPACE_ONE_FD), true);
    if (libc.sendmsg(sock, area.address + msgAt, 0) < 0) throw SysError.last(`sendmsg ${socketPath}`);
  } finally {
    libc.close(sock);
  }
}

/**
 * Makes the terminal on `fd` the controlling terminal of this process, which must lead its session: then ^C typed
 * on the caller's side reaches it as SIGINT, as it would reach a containerised shell.
 */
export function takeControllingTerminal(fd: number): void {
  if (libc.ioctl(fd, TIOCSCTTY, 0) !== 0) throw SysError.last('ioctl(TIOCSCTTY)');
}

/** Closes an fd this module handed out. */
export function closeFd(fd: number): void {
  libc.close(fd);
}
