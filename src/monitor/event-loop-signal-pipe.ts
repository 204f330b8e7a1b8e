// Finds the pipe through which libuv hands a caught signal to node's event loop. libuv's C handler writes a record
// into it on whichever thread the signal lands; node's JavaScript handler runs only when the event loop reads it. In
// POLL's wait set, that pipe turns "a signal was caught while the vCPU loop was not in a system call" (the race the
// stop tick exists for) into a ready fd, so a guest idle in POLL needs no tick at all (signals.ts).
//
// It is found by experiment, not by guessing at libuv's fd numbers: among this process's non-blocking pipes, the
// one that holds data right after the process sends itself a signal it handles, before the event loop runs.
import { readdirSync, readlinkSync } from 'node:fs';
import { F_GETFL, O_RDONLY, libc } from '../ffi/libc';
import { scratch } from '../ffi/native-memory';

const FIONREAD = 0x541b;
const O_ACCMODE = 3;
/** Ignored by the monitor already (cli/no-debugger-door.ts): probing it changes nothing. */
const PROBE_SIGNAL = 'SIGUSR1';

/** The read end of the event loop's signal pipe, or undefined when no single pipe answered the probe. */
export function findEventLoopSignalPipe(): number | undefined {
  const pipes: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`).startsWith('pipe:')) pipes.push(Number(name));
    } catch {
      // the fd readdir itself used, closed by now
    }
  }
  const count = scratch(8);
  const pending = (fd: number): number => (libc.ioctl(fd, FIONREAD, count.address) === 0 ? count.data.getInt32(0, true) : 0);
  const before = new Map(pipes.map((fd) => [fd, pending(fd)]));
  // A listener of our own as well, so the probe is handled even where no-debugger-door did not run; it stays.
  process.on(PROBE_SIGNAL, () => undefined);
  process.kill(process.pid, PROBE_SIGNAL); // handled by libuv's C handler before kill() returns to us
  // FIONREAD answers for both ends of a pipe: keep the read end.
  const answered = pipes.filter((fd) => pending(fd) > (before.get(fd) ?? 0) && (libc.fcntl(fd, F_GETFL, 0) & O_ACCMODE) === O_RDONLY);
  return answered.length === 1 ? answered[0] : undefined;
}
