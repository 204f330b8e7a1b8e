// Per-container state under --root: <root>/<id>/runcc.json, written atomically (a temporary file, then rename).
// The file name differs from runc's state.json, so a directory of a container delegated to runc is recognisable.
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Hooks } from '../oci/runtime-spec';
import { ProcessIdentity } from './process-identity';
import { RUNC_ERRORS, RuntimeError } from './runtime-error';

export const STATE_FILE = 'runcc.json';
export const START_FIFO = 'exec.fifo';

/** What runcc remembers about one container between invocations. */
export interface ContainerRecord {
  id: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339 creation time. */
  created: string;
  annotations: Record<string, string>;
  monitor?: ProcessIdentity;
  /** Set while `create` runs (the placeholder written when the ID is claimed): the creating runcc process. */
  creator?: ProcessIdentity;
  /** The cgroup runcc created for the container (removed at delete). */
  cgroupDir?: string;
  /** The network namespace the container joined by path (its wiring is undone there at delete). */
  netnsPath?: string;
  /** The spec's hooks as they were at create: later edits of config.json must not affect the container. */
  hooks: Hooks;
}

/**
 * Writes `data` to `path` so that readers see either the old or the new content, never a part. No fsync: what is
 * written here (a container's state, its pid file) describes live processes, which a crash of the host takes with
 * it, and the rename alone is what readers need; runc writes its state.json the same way. (On a disk rather than
 * /run's tmpfs, the two fsyncs of a create cost a journal commit each.)
 */
export function writeFileAtomic(path: string, data: string, mode = 0o644): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const temp = join(dir, `.${path.slice(dir.length + 1)}.${process.pid}`);
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

export class StateStore {
  readonly root: string;

  constructor(root: string) {
    const absolute = resolve(root);
    if (absolute === '/') throw new RuntimeError('--root must not be /');
    this.root = absolute;
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  /**
   * Creates the container's directory and a placeholder state naming the creating process, so that `state`,
   * `kill` and `delete` arriving during create see runcc's container (status creating), never a directory they would
   * take for runc's; fails with runc's message when the ID is taken.
   */
  claim(placeholder: ContainerRecord): string {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      mkdirSync(this.dir(placeholder.id), { mode: 0o711 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new RuntimeError(RUNC_ERRORS.exists);
      throw error;
    }
    try {
      this.save(placeholder);
    } catch (error) {
      this.remove(placeholder.id);
      throw error;
    }
    return this.dir(placeholder.id);
  }

  /** True when <root>/<id> exists but holds no runcc state: a container runc created for us. */
  isDelegated(id: string): boolean {
    return existsSync(this.dir(id)) && !existsSync(join(this.dir(id), STATE_FILE));
  }

  save(record: ContainerRecord): void {
    writeFileAtomic(join(this.dir(record.id), STATE_FILE), `${JSON.stringify(record, null, 2)}\n`);
  }

  load(id: string): ContainerRecord {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), STATE_FILE), 'utf8')) as ContainerRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RuntimeError(RUNC_ERRORS.notExist);
      throw new RuntimeError(`container state of ${id} is unreadable: ${(error as Error).message}`);
    }
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  /** IDs of the containers runcc holds state for. */
  ids(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root).filter((name) => existsSync(join(this.root, name, STATE_FILE)));
  }
}
