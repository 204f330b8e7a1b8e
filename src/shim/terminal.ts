// A terminal task's console (Create with `terminal`): the shim makes the pty, the monitor gets its slave as stdio
// and controlling terminal, and the shim copies between the master and containerd's FIFOs (stdin → master,
// master → stdout), as runc's shim does with the master runc hands it. containerd's client waits for the stdout
// FIFO's EOF before it finishes a task, so the copy ends, and closes that FIFO, once the master reads EIO: every
// slave is closed, the monitor is gone.
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { ReadStream } from 'node:tty';
import type { WindowSize } from '../ffi/console';
import { FifoReaders, openOutput } from './stdio';
import { Code, TtrpcError } from './ttrpc/status';

export interface ShimTerminal {
  /** The pty's slave, for the monitor; the shim closes its own copy once the monitor holds it (closeSlave). */
  readonly slave: number;
  closeSlave(): void;
  resize(size: WindowSize): void;
  /** Whether the master is still open: its copy ends, and it is closed, once the monitor is gone. */
  readonly open: boolean;
  /** The size the kernel has for the pty (TIOCGWINSZ on the master). */
  size(): WindowSize;
  /** Resolves once the output copy has ended (the master read EIO) and stdout is closed. */
  readonly drained: Promise<void>;
  /** CloseIO: no more input; the FIFO is closed and the copy into the master stops. */
  closeStdin(): void;
  /** Stops both copies and closes every descriptor (the task is deleted). */
  close(): void;
}

export function openTerminal(stdinPath: string, stdoutPath: string): ShimTerminal {
  const console = require('../ffi/console') as typeof import('../ffi/console');
  const pty = console.openPty();
  let slaveOpen = true;
  let masterOpen = true;
  const readers = new FifoReaders();
  let input: Socket | undefined;
  let masterStream: ReadStream | undefined;
  let drained = Promise.resolve();
  try {
    const opened = new Map<string, number>();
    const outFd = openOutput(stdoutPath, opened, readers);
    const output = outFd === undefined ? undefined : createWriteStream('', { fd: outFd });
    output?.on('error', () => masterStream?.pause());
    if (output) drained = new Promise((resolve) => output.once('close', () => resolve()));
    masterStream = new ReadStream(pty.master);
    // Back-pressure: a client that reads slowly, or not at all, leaves output in the pty, not in the shim's memory.
    masterStream.on('data', (chunk: Buffer) => {
      if (output && !output.write(chunk)) masterStream?.pause();
    });
    output?.on('drain', () => masterStream?.resume());
    // EIO: the last slave is closed (the monitor has exited) and what it wrote has been read.
    const finish = (): void => {
      masterOpen = false;
      output?.end();
      masterStream?.destroy();
    };
    masterStream.on('end', finish);
    masterStream.on('error', finish);
    if (stdinPath !== '') {
      // Read-write: the open never waits for containerd's writer, and its going away is no EOF (CloseIO says when).
      input = new Socket({ fd: openSync(stdinPath, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
      input.on('data', (chunk: Buffer) => masterStream?.write(chunk));
      input.on('error', () => input?.destroy());
    }
  } catch (error) {
    input?.destroy();
    readers.release();
    if (masterStream) masterStream.destroy();
    else console.closeFd(pty.master);
    console.closeFd(pty.slave);
    if (error instanceof TtrpcError) throw error;
    throw new TtrpcError(Code.INVALID_ARGUMENT, `cannot set up the container's terminal: ${(error as Error).message}`);
  }
  const master = pty.master;
  const closeSlave = (): void => {
    if (!slaveOpen) return;
    slaveOpen = false;
    closeSync(pty.slave);
  };
  return {
    slave: pty.slave,
    closeSlave,
    drained,
    get open() {
      return masterOpen;
    },
    // Never on a closed master: its number may already be another file's.
    resize: (size) => {
      if (masterOpen) console.setWindowSize(master, size);
    },
    size: () => console.windowSize(master),
    closeStdin: () => input?.destroy(),
    close: () => {
      masterOpen = false;
      input?.destroy();
      closeSlave();
      masterStream?.destroy();
      readers.release();
    },
  };
}
