// Terminals for `process.terminal` containers: a pseudo-terminal pair, and handing its master to the caller over
// the --console-socket unix socket (one message: the pty's name as data, the master fd as one SCM_RIGHTS
// control message; ffi/fd-passing.ts).
import { ENAMETOOLONG, O_CLOEXEC, O_RDWR, libc } from './libc';
import { AF_UNIX, SOCK_CLOEXEC, SOCK_STREAM, sendWithFds } from './fd-passing';
import { scratch } from './native-memory';
import { SysError } from './sys-error';

const O_NOCTTY = 0o400;
const TIOCSCTTY = 0x540e;
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
/** struct winsize: ws_row, ws_col, ws_xpixel, ws_ypixel (unsigned short each). */
const WINSIZE_BYTES = 8;
/** struct sockaddr_un: sa_family_t, then sun_path[108]. */
const SUN_PATH_AT = 2;
const SUN_PATH_BYTES = 108;
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
    const address = scratch(SUN_PATH_AT + SUN_PATH_BYTES);
    address.data.setUint16(0, AF_UNIX, true);
    address.bytes.set(path, SUN_PATH_AT);
    if (libc.connect(sock, address.address, SUN_PATH_AT + path.length + 1) !== 0) throw SysError.last(`connect ${socketPath}`);
    try {
      sendWithFds(sock, Buffer.from(name), [fd]);
    } catch (error) {
      if (error instanceof SysError) throw new SysError(`sendmsg ${socketPath}`, error.errno);
      throw error;
    }
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

export interface WindowSize {
  columns: number;
  rows: number;
}

/** Sets the terminal's window size (TIOCSWINSZ): the kernel sends SIGWINCH to the terminal's foreground group. */
export function setWindowSize(fd: number, size: WindowSize): void {
  const winsize = scratch(WINSIZE_BYTES);
  winsize.data.setUint16(0, size.rows, true);
  winsize.data.setUint16(2, size.columns, true);
  if (libc.ioctl(fd, TIOCSWINSZ, winsize.address) !== 0) throw SysError.last('ioctl(TIOCSWINSZ)');
}

/** The terminal's window size as the kernel has it (TIOCGWINSZ). */
export function windowSize(fd: number): WindowSize {
  const winsize = scratch(WINSIZE_BYTES);
  if (libc.ioctl(fd, TIOCGWINSZ, winsize.address) !== 0) throw SysError.last('ioctl(TIOCGWINSZ)');
  return { rows: winsize.data.getUint16(0, true), columns: winsize.data.getUint16(2, true) };
}

/** Closes an fd this module handed out. */
export function closeFd(fd: number): void {
  libc.close(fd);
}
