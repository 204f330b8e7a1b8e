// How a monitor process ends once its guest has. Node's own exit joins its threads (V8's platform workers, libuv's
// pool) and frees its heap before the kernel reaps the process, a few milliseconds between the guest's HALT and the
// container's exit that its engine waits for. The monitor writes everything synchronously (the guest's console, its
// messages), so nothing is left to flush: it ends with _exit(2). Where something asked to run at exit (an `exit`
// listener: a training run writing its code cache, an unconfined monitor undoing its network redirects), it exits
// as node does.

/** Ends the process with `status`. */
export function exitMonitor(status: number): never {
  if (process.listenerCount('exit') === 0) {
    // Loaded here, not at the top: `runcc-hvt --help` and option errors end through this without koffi loaded.
    const { libc } = require('../ffi/libc') as typeof import('../ffi/libc');
    libc._exit(status);
  }
  process.exit(status);
}
