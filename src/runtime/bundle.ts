// An OCI bundle: config.json validated and its root filesystem located.
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Spec } from '../oci/runtime-spec';
import { SpecError } from '../oci/spec-error';
import { validateSpec } from '../oci/spec-validation';
import { RuntimeError } from './runtime-error';

export interface Bundle {
  /** Absolute bundle directory. */
  path: string;
  spec: Spec;
  /** Absolute root filesystem directory. */
  rootfs: string;
}

export function loadBundle(bundleDir: string): Bundle {
  const path = resolve(bundleDir);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(path, 'config.json'), 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RuntimeError(`bundle ${path}: config.json not found`);
    throw new RuntimeError(`bundle ${path}: config.json: ${(error as Error).message}`);
  }
  let spec: Spec;
  try {
    spec = validateSpec(json);
  } catch (error) {
    if (error instanceof SpecError) throw new RuntimeError(`config.json: ${error.message}`);
    throw error;
  }
  const rootfs = isAbsolute(spec.root.path) ? spec.root.path : join(path, spec.root.path);
  let isDir = false;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new RuntimeError(`config.json: root.path: ${rootfs} is not a directory`);
  return { path, spec, rootfs };
}

/** Symbolic links followed in one resolution before giving up (the kernel's own limit). */
const MAX_SYMLINKS = 40;

/**
 * Resolves `inner` as the container would see it, with `rootfs` as its root: `..` stops at the root, and symbolic
 * links are followed inside the rootfs (an absolute target starts again at the rootfs, never at the host's `/`).
 * So a hostile image cannot make runcc read or attach a host file through a link. Components that do not exist
 * are kept as they are (the caller checks existence).
 */
export function pathInRootfs(rootfs: string, inner: string): string {
  const resolved: string[] = [];
  const pending = inner.split('/');
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(rootfs, ...resolved, part);
    let target: string | undefined;
    try {
      if (lstatSync(candidate).isSymbolicLink()) target = readlinkSync(candidate);
    } catch {
      // missing: kept as it is
    }
    if (target === undefined) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new RuntimeError(`${inner}: too many levels of symbolic links in the root filesystem`);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/'));
  }
  return join(rootfs, ...resolved);
}
