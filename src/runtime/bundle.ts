// An OCI bundle: config.json validated and its root filesystem located.
import { readFileSync, statSync } from 'node:fs';
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

/** Resolves a path inside the rootfs without letting `..` or an absolute path escape it. */
export function pathInRootfs(rootfs: string, inner: string): string {
  const joined = resolve(rootfs, `.${resolve('/', inner)}`);
  if (joined !== rootfs && !joined.startsWith(`${rootfs}/`)) throw new RuntimeError(`${inner} escapes the root filesystem`);
  return joined;
}
