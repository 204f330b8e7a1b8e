// Running a piece of synchronous work inside another network namespace, from a multi-threaded process (the shim):
// setns(2) with CLONE_NEWNET moves only the calling thread, so the main thread enters the namespace, does the work
// (TAPs it creates, sockets it opens and processes it spawns all belong to that namespace) and comes back before
// any other JavaScript runs; node's other threads never leave the process's own namespace.
import { O_CLOEXEC, O_NONBLOCK, O_RDONLY, libc } from './libc';
import { SysError } from './sys-error';

const CLONE_NEWNET = 0x40000000;

export function inNetworkNamespace<T>(path: string, work: () => T): T {
  const own = libc.open('/proc/thread-self/ns/net', O_RDONLY | O_CLOEXEC, 0);
  if (own < 0) throw SysError.last('open /proc/thread-self/ns/net');
  try {
    // Non-blocking: a FIFO at the path must fail setns, not hang the shim's one thread.
    const target = libc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
    if (target < 0) throw SysError.last(`open ${path}`);
    try {
      if (libc.setns(target, CLONE_NEWNET) < 0) throw SysError.last(`setns ${path}`);
    } finally {
      libc.close(target);
    }
    try {
      return work();
    } finally {
      // A thread left in the pod's namespace would wire the next container there: the process must not go on.
      if (libc.setns(own, CLONE_NEWNET) < 0) {
        process.stderr.write(`${SysError.last('setns back to the process network namespace').message}\n`);
        process.abort();
      }
    }
  } finally {
    libc.close(own);
  }
}
