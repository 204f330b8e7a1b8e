// Names inside a layer tar, checked before anything touches the disk: relative, no `..`, bounded size.
import { ImageError } from './image-error';

/** Longest name or link target accepted (PATH_MAX): anything longer is a hostile or broken header. */
export const MAX_NAME_BYTES = 4096;

/**
 * The path components of tar entry `name` (`./a//b/` → ['a', 'b']); [] for the root itself. Absolute names, `..`
 * components and oversized names are refused, naming the entry.
 */
export function entryComponents(name: string, what = 'entry'): string[] {
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw new ImageError(`${what} ${name.slice(0, 64)}…: name longer than ${MAX_NAME_BYTES} bytes`);
  if (name.startsWith('/')) throw new ImageError(`${what} ${name}: absolute paths are not allowed in a layer`);
  if (name.includes('\0')) throw new ImageError(`${what} ${JSON.stringify(name)}: NUL in name`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ImageError(`${what} ${name}: ".." is not allowed in a layer path`);
  return parts;
}

/**
 * The components symlink `target`, placed in directory `dirParts`, names from the root (absolute targets start at
 * the root), or undefined when its `..` would climb above the root.
 */
export function symlinkTarget(dirParts: readonly string[], target: string): string[] | undefined {
  const stack = target.startsWith('/') ? [] : [...dirParts];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (stack.length === 0) return undefined;
      stack.pop();
    } else {
      stack.push(part);
    }
  }
  return stack;
}

/** Whether symlink `target` in directory `dirParts` stays inside the root when the container resolves it. */
export function symlinkStaysInside(dirParts: readonly string[], target: string): boolean {
  return symlinkTarget(dirParts, target) !== undefined;
}
