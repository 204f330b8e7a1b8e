// Whether a command is installed: an executable file of that name on PATH or in the sbin folders, which non-root
// PATHs on Debian lack although ip, tc and modprobe live there (and runcc, run by an engine as root, finds them).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export function commandPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter), ...SBIN_DIRS]) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function hasCommand(name: string): boolean {
  return commandPath(name) !== undefined;
}
