// An image config as a runtime config.json (image-spec conversion.md): Entrypoint+Cmd → args, Env merged,
// WorkingDir → cwd, User → uid/gid, Labels and the image's properties → annotations.
import { Spec } from '../oci/runtime-spec';
import { readRootfsFile } from '../runtime/rootfs-file';
import { ImageError } from './image-error';
import { ImageConfig } from './image-spec';

function mergeEnv(base: readonly string[], image: readonly string[]): string[] {
  const names = new Set(image.map((e) => e.split('=')[0]));
  return [...base.filter((e) => !names.has(e.split('=')[0])), ...image];
}

/** Looks `name` up in the rootfs's /etc/passwd or /etc/group (field 3 is the id). */
function lookupId(rootfs: string, file: 'passwd' | 'group', name: string): { id: number; gid?: number } {
  // A missing file is treated as naming nobody.
  const text = readRootfsFile(rootfs, `/etc/${file}`, { error: (message) => new ImageError(message) })?.toString('utf8') ?? '';
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields.length >= 4) return { id: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new ImageError(`config User: ${file === 'passwd' ? 'user' : 'group'} ${name} is not in the image's /etc/${file}`);
}

function resolveUser(rootfs: string, user: string): { uid: number; gid: number } {
  const [who, group] = user.split(':');
  let uid: number;
  let gid: number;
  if (/^\d+$/.test(who)) {
    uid = Number(who);
    gid = 0;
  } else {
    const found = lookupId(rootfs, 'passwd', who);
    uid = found.id;
    gid = found.gid ?? 0;
  }
  if (group !== undefined) gid = /^\d+$/.test(group) ? Number(group) : lookupId(rootfs, 'group', group).id;
  return { uid, gid };
}

/** `base` (a runcc spec template) filled in from the image config; `rootfs` is the unpacked root (for User). */
export function imageToSpec(base: Spec, image: ImageConfig, rootfs: string): Spec {
  const config = image.config ?? {};
  const args = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (args.length === 0) throw new ImageError('the image has neither Entrypoint nor Cmd: nothing to run');
  const annotations: Record<string, string> = { ...(base.annotations ?? {}) };
  const properties: [string, string | undefined][] = [
    ['org.opencontainers.image.os', image.os],
    ['org.opencontainers.image.architecture', image.architecture],
    ['org.opencontainers.image.variant', image.variant],
    ['org.opencontainers.image.author', image.author],
    ['org.opencontainers.image.created', image.created],
    ['org.opencontainers.image.stopSignal', config.StopSignal],
    ['org.opencontainers.image.exposedPorts', config.ExposedPorts ? Object.keys(config.ExposedPorts).join(',') : undefined],
  ];
  for (const [key, value] of properties) if (value) annotations[key] = value;
  Object.assign(annotations, config.Labels ?? {});
  const process = base.process ?? { args: [], cwd: '/' };
  return {
    ...base,
    root: { ...base.root, path: 'rootfs' },
    process: {
      ...process,
      args,
      cwd: config.WorkingDir || '/',
      env: mergeEnv(process.env ?? [], config.Env ?? []),
      user: config.User ? resolveUser(rootfs, config.User) : process.user ?? { uid: 0, gid: 0 },
    },
    annotations,
  };
}
