// Named pipes (node has no mkfifo): the start gate between `runcc create` and `runcc start`.
import { libc } from './libc';
import { SysError } from './sys-error';

export function makeFifo(path: string, mode = 0o600): void {
  if (libc.mkfifo(path, mode) !== 0) throw SysError.last(`mkfifo ${path}`);
}
