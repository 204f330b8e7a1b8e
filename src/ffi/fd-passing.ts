// File descriptors across a unix socket (SCM_RIGHTS), which node's own socket API can neither send nor receive:
// the console socket's pty master, and a pre-started monitor's configuration (its stdio, TAPs) from its launcher.
import { EAGAIN, EINTR, libc } from './libc';
import { scratch } from './native-memory';
import { SysError } from './sys-error';

export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CTRUNC = 0x8;
const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;
const POLLIN = 0x001;
/** x86_64 / aarch64 layouts of struct msghdr, struct iovec and struct cmsghdr (LP64). */
const MSGHDR = { iov: 16, iovlen: 24, control: 32, controllen: 40, flags: 48, bytes: 56 };
const IOVEC_BYTES = 16;
const CMSG_HEADER_BYTES = 16;
/** The kernel's own limit on descriptors in one SCM_RIGHTS message (SCM_MAX_FD). */
export const MAX_FDS_PER_MESSAGE = 253;

function cmsgSpace(fdCount: number): number {
  return CMSG_HEADER_BYTES + Math.ceil((fdCount * 4) / 8) * 8;
}

/** A connected pair of unix stream sockets, both close-on-exec (a child gets one as an explicit stdio entry). */
export function socketPair(): [number, number] {
  const pair = scratch(8);
  if (libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.address) !== 0) throw SysError.last('socketpair');
  return [pair.data.getInt32(0, true), pair.data.getInt32(4, true)];
}

/**
 * Sends `data` on the connected socket `sock`, with `fds` attached to its first byte (one sendmsg; the rest, if the
 * socket takes less at once, follows without them). The fds stay open here: the receiver gets its own copies.
 */
export function sendWithFds(sock: number, data: Uint8Array, fds: readonly number[]): void {
  if (data.length === 0) throw new SysError('sendmsg (nothing to send)', 22);
  if (fds.length > MAX_FDS_PER_MESSAGE) throw new SysError(`sendmsg (${fds.length} fds)`, 22);
  const controlBytes = fds.length > 0 ? cmsgSpace(fds.length) : 0;
  const msgAt = 0;
  const iovAt = msgAt + MSGHDR.bytes;
  const cmsgAt = iovAt + IOVEC_BYTES;
  const dataAt = cmsgAt + controlBytes;
  const area = scratch(dataAt + data.length);
  const view = area.data;
  area.bytes.set(data, dataAt);
  let sent = 0;
  while (sent < data.length) {
    view.setBigUint64(iovAt, BigInt(area.address + dataAt + sent), true);
    view.setBigUint64(iovAt + 8, BigInt(data.length - sent), true);
    view.setBigUint64(msgAt + MSGHDR.iov, BigInt(area.address + iovAt), true);
    view.setBigUint64(msgAt + MSGHDR.iovlen, 1n, true);
    const withFds = sent === 0 && fds.length > 0;
    if (withFds) {
      view.setBigUint64(cmsgAt, BigInt(CMSG_HEADER_BYTES + 4 * fds.length), true);
      view.setInt32(cmsgAt + 8, SOL_SOCKET, true);
      view.setInt32(cmsgAt + 12, SCM_RIGHTS, true);
      fds.forEach((fd, i) => view.setInt32(cmsgAt + CMSG_HEADER_BYTES + 4 * i, fd, true));
    }
    view.setBigUint64(msgAt + MSGHDR.control, withFds ? BigInt(area.address + cmsgAt) : 0n, true);
    view.setBigUint64(msgAt + MSGHDR.controllen, withFds ? BigInt(controlBytes) : 0n, true);
    const n = libc.sendmsg(sock, area.address + msgAt, MSG_NOSIGNAL);
    if (n < 0) {
      const error = SysError.last('sendmsg');
      if (error.errno === EINTR) continue;
      if (error.errno === EAGAIN) {
        waitFor(sock, 0x004);
        continue;
      }
      throw error;
    }
    sent += n;
  }
}

function waitFor(fd: number, events: number): void {
  const pollfd = scratch(8);
  pollfd.data.setInt32(0, fd, true);
  pollfd.data.setInt16(4, events, true);
  for (;;) {
    if (libc.poll(pollfd.address, 1, -1) >= 0) return;
    const error = SysError.last('poll');
    if (error.errno !== EINTR) throw error;
  }
}

export interface Received {
  /** The bytes read: empty at end of file (the peer closed its end). */
  data: Uint8Array;
  /** Descriptors that came with them, close-on-exec, now this process's to close. */
  fds: number[];
}

/**
 * Waits for and reads up to `maxBytes` from the socket `sock`, with up to `maxFds` descriptors. More descriptors
 * than that (the kernel truncates the control message) is an error, and those that did arrive are closed.
 */
export function receiveWithFds(sock: number, maxBytes: number, maxFds: number): Received {
  const controlBytes = cmsgSpace(maxFds);
  const msgAt = 0;
  const iovAt = msgAt + MSGHDR.bytes;
  const cmsgAt = iovAt + IOVEC_BYTES;
  const dataAt = cmsgAt + controlBytes;
  const area = scratch(dataAt + maxBytes);
  const view = area.data;
  for (;;) {
    waitFor(sock, POLLIN);
    view.setBigUint64(iovAt, BigInt(area.address + dataAt), true);
    view.setBigUint64(iovAt + 8, BigInt(maxBytes), true);
    view.setBigUint64(msgAt + MSGHDR.iov, BigInt(area.address + iovAt), true);
    view.setBigUint64(msgAt + MSGHDR.iovlen, 1n, true);
    view.setBigUint64(msgAt + MSGHDR.control, BigInt(area.address + cmsgAt), true);
    view.setBigUint64(msgAt + MSGHDR.controllen, BigInt(controlBytes), true);
    const n = libc.recvmsg(sock, area.address + msgAt, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      const error = SysError.last('recvmsg');
      if (error.errno === EINTR || error.errno === EAGAIN) continue;
      throw error;
    }
    const fds: number[] = [];
    const controlLength = Number(view.getBigUint64(msgAt + MSGHDR.controllen, true));
    for (let at = 0; at + CMSG_HEADER_BYTES <= controlLength; ) {
      const length = Number(view.getBigUint64(cmsgAt + at, true));
      if (length < CMSG_HEADER_BYTES) break;
      if (view.getInt32(cmsgAt + at + 8, true) === SOL_SOCKET && view.getInt32(cmsgAt + at + 12, true) === SCM_RIGHTS) {
        for (let i = CMSG_HEADER_BYTES; i + 4 <= length; i += 4) fds.push(view.getInt32(cmsgAt + at + i, true));
      }
      at += Math.ceil(length / 8) * 8;
    }
    if (view.getInt32(msgAt + MSGHDR.flags, true) & MSG_CTRUNC) {
      for (const fd of fds) libc.close(fd);
      throw new SysError(`recvmsg: more than ${maxFds} descriptors`, 7 /* E2BIG */);
    }
    return { data: area.bytes.slice(dataAt, dataAt + n), fds };
  }
}

/** Makes `target` (0, 1 or 2: the monitor's stdio) a copy of `fd`; `fd` stays open. */
export function duplicateOnto(fd: number, target: number): void {
  if (libc.dup2(fd, target) < 0) throw SysError.last(`dup2(${fd}, ${target})`);
}

/** Closes an fd this module handed out. */
export function closeDescriptor(fd: number): void {
  libc.close(fd);
}
