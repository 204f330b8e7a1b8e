// Undoing a container's network wiring (container-network.ts), from its record: what `runcc delete` and a monitor
// that exits run. Kept apart from the wiring itself, which needs TAPs (koffi): `delete`, on the path of every
// `docker stop`, then loads no native module.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLOSED_PREF, REDIRECT_PREF } from './netns-interfaces';

/** A container interface and the TAP of this container wired to it. */
export interface WiredInterface {
  ifname: string;
  tap: string;
}

/** The record of a container's wiring, in its state directory. */
export const NETWORK_RECORD = 'network.json';

/** tc's match-all: a u32 filter matching every frame. */
export const MATCH_ALL = ['protocol', 'all', 'u32', 'match', 'u32', '0', '0'];

/** Best effort: used on paths that clean up, where the thing may already be gone. */
export function tryRun(argv: readonly string[]): void {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/**
 * Closes the container interfaces in `wired` and removes their TAPs, for a guest that is gone; idempotent. The
 * drop-all goes in before the redirect goes out, so no frame reaches the namespace's kernel in between. `prefix`
 * runs the commands elsewhere (`nsenter --net=PATH --` from `runcc delete`); without it, in the current netns.
 */
export function unwire(wired: readonly WiredInterface[], prefix: readonly string[] = []): void {
  for (const w of wired) {
    closeInterface(w.ifname, prefix);
    tryRun([...prefix, 'ip', 'link', 'del', 'dev', w.tap]);
  }
}

/** A drop-all in place of the guest's redirect: the drop goes in first, so no frame reaches the kernel meanwhile. */
export function closeInterface(ifname: string, prefix: readonly string[] = []): void {
  tryRun([...prefix, 'tc', 'filter', 'add', 'dev', ifname, 'parent', 'ffff:', 'pref', String(CLOSED_PREF), ...MATCH_ALL, 'action', 'drop']);
  tryRun([...prefix, 'tc', 'filter', 'del', 'dev', ifname, 'parent', 'ffff:', 'pref', String(REDIRECT_PREF), 'protocol', 'all']);
}

/** The wiring recorded in `stateDir`, or none. */
export function recordedWiring(stateDir: string): WiredInterface[] {
  try {
    return JSON.parse(readFileSync(join(stateDir, NETWORK_RECORD), 'utf8')) as WiredInterface[];
  } catch {
    return [];
  }
}
