// Rewriting an engine's configuration file safely: a backup beside it first, then an atomic replace.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function readIfPresent(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** A backup name not yet taken: FILE.runcc-backup, then FILE.runcc-backup.1, … */
function backupName(path: string): string {
  let name = `${path}.runcc-backup`;
  for (let n = 1; existsSync(name); n++) name = `${path}.runcc-backup.${n}`;
  return name;
}

/** Replaces `path` with `text`; returns where the previous file was backed up (undefined if there was none). */
export function replaceWithBackup(path: string, text: string): string | undefined {
  mkdirSync(dirname(path), { recursive: true });
  let backup: string | undefined;
  if (existsSync(path)) {
    backup = backupName(path);
    copyFileSync(path, backup);
  }
  const temp = `${path}.runcc-new`;
  writeFileSync(temp, text);
  renameSync(temp, path);
  return backup;
}
