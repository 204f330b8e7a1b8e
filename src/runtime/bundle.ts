// An OCI bundle: config.json validated, root filesystem located, and the unikernel (if any) identified.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { bytesSource } from '../elf/byte-source';
import { EM_X86_64, readElf64 } from '../elf/elf64';
import { findNote } from '../elf/elf-note';
import { Spec } from '../oci/runtime-spec';
import { SpecError } from '../oci/spec-error';
import { validateSpec } from '../oci/spec-validation';
import { HVT_ABI_TARGET, SOLO5_ABI1_NOTE } from '../solo5/abi';
import { RuntimeError } from './runtime-error';

export interface Bundle {
  /** Absolute bundle directory. */
  path: string;
  spec: Spec;
  /** Absolute root filesystem directory. */
  rootfs: string;
}

/** Annotation naming the unikernel inside the rootfs, when it is not process.args[0]. */
export const KERNEL_ANNOTATION = 'org.runcc.kernel';

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

/**
 * The unikernel this bundle runs, or undefined when it runs an ordinary program: the file named by the
 * org.runcc.kernel annotation or by process.args[0], inside the rootfs, carrying a Solo5 hvt ABI note.
 */
export function findUnikernel(bundle: Bundle): string | undefined {
  const inner = bundle.spec.annotations?.[KERNEL_ANNOTATION] ?? bundle.spec.process?.args[0];
  if (!inner) return undefined;
  const candidate = pathInRootfs(bundle.rootfs, inner);
  let bytes: Buffer;
  try {
    if (!statSync(candidate).isFile()) return undefined;
    bytes = readFileSync(candidate);
  } catch {
    return undefined;
  }
  try {
    const source = bytesSource(bytes);
    const note = findNote(source, candidate, readElf64(source, candidate, EM_X86_64, 'loading note'), SOLO5_ABI1_NOTE);
    return note && note.length >= 8 && new DataView(note.buffer, note.byteOffset).getUint32(0, true) === HVT_ABI_TARGET
      ? candidate
      : undefined;
  } catch {
    return undefined;
  }
}
