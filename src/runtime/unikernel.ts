// Which unikernel a bundle runs, and how: the hvt ELF (by ABI note, or named by annotations), its manifest's
// devices, the guest arguments, block devices from annotations and bind mounts, and the guest's network format.
// Reads runcc's own `org.runcc.*` keys from the spec's annotations and from `/runcc.json` in the rootfs (written by
// `runcc image build`, for engines that do not pass image labels on), and, for images built for urunc,
// `com.urunc.unikernel.*` annotations and the base64-valued `/urunc.json`. Spec annotations always win.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { bytesSource } from '../elf/byte-source';
import { EM_X86_64, readElf64 } from '../elf/elf64';
import { findNote } from '../elf/elf-note';
import { HVT_ABI_TARGET, MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC, SOLO5_ABI1_NOTE, SOLO5_MFT1_NOTE } from '../solo5/abi';
import { Manifest, manifestProblem } from '../solo5/manifest';
import { BlockAttachment } from '../monitor/monitor-config';
import { Bundle, pathInRootfs } from './bundle';
import { readRootfsFile } from './rootfs-file';
import { RuntimeError } from './runtime-error';
import { NET_FORMATS, NetConfigFormat } from '../net/guest-network-args';
import { DetectedFormat, detectNetFormat } from './kernel-family';

/** Annotation naming the unikernel inside the rootfs, when it is not process.args[0]. */
export const KERNEL_ANNOTATION = 'org.runcc.kernel';
/** Annotation choosing how the guest is told its IP configuration (see NET_FORMATS). */
export const NET_FORMAT_ANNOTATION = 'org.runcc.net-format';

/** `org.runcc.block.NAME=/path/in/rootfs`: a disk image of the image for block device NAME. */
export const BLOCK_ANNOTATION_PREFIX = 'org.runcc.block.';
const RUNCC = 'org.runcc.';
/** runcc's keys inside a rootfs, for engines that do not pass image labels on as annotations. */
export const RUNCC_JSON = '/runcc.json';
const URUNC = 'com.urunc.unikernel.';
const URUNC_JSON = '/urunc.json';
/** urunc's unikernel types whose network format runcc speaks. */
const URUNC_TYPE_FORMATS: Record<string, NetConfigFormat> = { mirage: 'mirage', rumprun: 'rumprun', unikraft: 'unikraft' };

export interface Unikernel {
  kernelPath: string;
  /** NET_BASIC device names in manifest order: the container's interfaces are given to them in this order. */
  netDevices: string[];
  blockDevices: string[];
  guestArgs: string[];
  blocks: BlockAttachment[];
  netFormat: NetConfigFormat;
  /** How netFormat was chosen (declared where, or detected from what), for the debug log. */
  netFormatWhy: string;
}

export interface HvtKernel {
  manifest: Manifest;
  /** The network format the kernel file itself declares or is recognised by; undefined without certain evidence. */
  detectedNetFormat?: DetectedFormat;
}

/** The hvt manifest of `path` if it is an x86_64 Solo5 hvt unikernel with a valid manifest, else undefined. */
export function hvtManifest(path: string): Manifest | undefined {
  return hvtKernel(path)?.manifest;
}

/** `path` as an x86_64 Solo5 hvt unikernel with a valid manifest: its manifest and detected format; else undefined. */
export function hvtKernel(path: string): HvtKernel | undefined {
  let bytes: Buffer;
  try {
    if (!statSync(path).isFile()) return undefined;
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    const source = bytesSource(bytes);
    const elf = readElf64(source, path, EM_X86_64, 'loading note');
    const abi = findNote(source, path, elf, SOLO5_ABI1_NOTE);
    if (!abi || abi.length < 8 || new DataView(abi.buffer, abi.byteOffset).getUint32(0, true) !== HVT_ABI_TARGET) return undefined;
    const mft = findNote(source, path, elf, SOLO5_MFT1_NOTE);
    if (!mft || manifestProblem(mft)) return undefined;
    return { manifest: new Manifest(new Uint8Array(mft)), detectedNetFormat: detectNetFormat(source, path, elf) };
  } catch {
    return undefined;
  }
}

/**
 * The keys starting with `prefix`: spec annotations over the rootfs file `file` (a JSON object of strings, which
 * `decode` turns into values: urunc.json holds base64).
 */
function keysFrom(bundle: Bundle, prefix: string, file: string, decode: (value: string) => string, kind: string): Record<string, string> {
  const merged: Record<string, string> = {};
  // Missing: annotations only.
  const text = readRootfsFile(bundle.rootfs, file)?.toString('utf8');
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new RuntimeError(`${file} in the rootfs: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new RuntimeError(`${file} in the rootfs: must be an object of ${kind}`);
    }
    for (const [key, value] of Object.entries(parsed)) {
      if (!key.startsWith(prefix)) continue;
      if (typeof value !== 'string') throw new RuntimeError(`${file} in the rootfs: ${key}: must be a ${kind.replace(/s$/, '')}`);
      merged[key] = decode(value);
    }
  }
  for (const [key, value] of Object.entries(bundle.spec.annotations ?? {})) if (key.startsWith(prefix)) merged[key] = value;
  return merged;
}

/** A format name given by the user (annotation, /runcc.json, `image build --net-format`), checked. */
export function parseNetFormat(asked: string, where: string): NetConfigFormat {
  if (!(NET_FORMATS as readonly string[]).includes(asked)) throw new RuntimeError(`${where}: "${asked}" is not one of ${NET_FORMATS.join(', ')}`);
  return asked as NetConfigFormat;
}

/**
 * The network format an image records as its label (and so in /runcc.json, for docker): the one `runcc image
 * build` was told (`--net-format`, else an org.runcc.net-format annotation), else the one its kernel declares or is
 * recognised by; undefined when there is no evidence, so the guest gets its own arguments.
 */
export function imageNetFormat(told: string | undefined, annotations: Readonly<Record<string, string>>, detected: DetectedFormat | undefined): NetConfigFormat | undefined {
  if (told !== undefined) return parseNetFormat(told, '--net-format');
  const annotated = annotations[NET_FORMAT_ANNOTATION];
  if (annotated !== undefined) return parseNetFormat(annotated, `--annotation ${NET_FORMAT_ANNOTATION}`);
  return detected?.format;
}

/**
 * The guest's network format: declared (runcc's key, then urunc's unikernelType), else detected from the kernel
 * file, else none — the guest's arguments are its own unless something says which words it reads.
 */
function chooseNetFormat(bundle: Bundle, runcc: Record<string, string>, urunc: Record<string, string>, detected: DetectedFormat | undefined): { format: NetConfigFormat; why: string } {
  const asked = runcc[NET_FORMAT_ANNOTATION];
  if (asked !== undefined) {
    const where = bundle.spec.annotations?.[NET_FORMAT_ANNOTATION] !== undefined ? 'annotation' : RUNCC_JSON;
    return { format: parseNetFormat(asked, `${where} ${NET_FORMAT_ANNOTATION}`), why: `declared by ${where} ${NET_FORMAT_ANNOTATION}` };
  }
  const type = urunc[`${URUNC}unikernelType`];
  if (type !== undefined && URUNC_TYPE_FORMATS[type]) return { format: URUNC_TYPE_FORMATS[type], why: `declared by ${URUNC}unikernelType "${type}"` };
  if (detected) return { format: detected.format, why: `detected: ${detected.why}` };
  return { format: 'none', why: 'nothing declares a format and the kernel carries no evidence of one: the guest gets its own arguments' };
}

/** Bind mounts of a regular file or block device onto `/NAME`, where NAME is a block device of the manifest. */
function mountedBlocks(bundle: Bundle, blockDevices: readonly string[]): BlockAttachment[] {
  const blocks: BlockAttachment[] = [];
  for (const mount of bundle.spec.mounts ?? []) {
    const isBind = mount.type === 'bind' || (mount.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    const name = basename(mount.destination);
    if (!isBind || !mount.source || !blockDevices.includes(name)) continue;
    let usable = false;
    try {
      const stat = statSync(mount.source);
      usable = stat.isFile() || stat.isBlockDevice();
    } catch {
      throw new RuntimeError(`mount ${mount.destination}: source ${mount.source} does not exist`);
    }
    if (!usable) throw new RuntimeError(`mount ${mount.destination}: block device ${name} needs a regular file or block device, not ${mount.source}`);
    blocks.push({ name, path: mount.source });
  }
  return blocks;
}

/** A disk image named by `key` inside the rootfs: it must be a regular file there (links resolved inside). */
function imageInRootfs(bundle: Bundle, key: string, inner: string): string {
  const path = pathInRootfs(bundle.rootfs, inner);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // reported below
  }
  if (!isFile) throw new RuntimeError(`${key}: ${inner} is not a regular file in the root filesystem`);
  return path;
}

/**
 * The unikernel this bundle runs, or undefined when it runs an ordinary program (then runc runs it). A kernel named
 * by an annotation must be an hvt unikernel; process.args[0] is one only if it carries the hvt ABI note.
 */
export function resolveUnikernel(bundle: Bundle): Unikernel | undefined {
  const runcc = keysFrom(bundle, RUNCC, RUNCC_JSON, (v) => v, 'strings');
  const urunc = keysFrom(bundle, URUNC, URUNC_JSON, (v) => Buffer.from(v, 'base64').toString('utf8'), 'base64 strings');
  const hypervisor = urunc[`${URUNC}hypervisor`];
  if (hypervisor !== undefined && hypervisor !== 'hvt') {
    throw new RuntimeError(`${URUNC}hypervisor: runcc runs hvt unikernels, not "${hypervisor}"`);
  }
  const named = runcc[KERNEL_ANNOTATION] ?? urunc[`${URUNC}binary`];
  const inner = named ?? bundle.spec.process?.args[0];
  if (!inner) return undefined;
  const kernelPath = pathInRootfs(bundle.rootfs, inner);
  const kernel = hvtKernel(kernelPath);
  if (!kernel) {
    if (named !== undefined) throw new RuntimeError(`${inner}: not a Solo5 hvt unikernel for x86_64`);
    return undefined;
  }
  const netDevices = kernel.manifest.devicesOfType(MFT_DEV_NET_BASIC);
  const blockDevices = kernel.manifest.devicesOfType(MFT_DEV_BLOCK_BASIC);

  const uruncCmdline = urunc[`${URUNC}cmdline`];
  const guestArgs = uruncCmdline !== undefined && (bundle.spec.process?.args.length ?? 0) <= 1
    ? uruncCmdline.split(' ').filter((w) => w !== '')
    : (bundle.spec.process?.args ?? []).slice(1);

  const blocks = mountedBlocks(bundle, blockDevices);
  const image = urunc[`${URUNC}block`];
  if (image !== undefined) {
    const name = urunc[`${URUNC}solo5BlkDev`] ?? blockDevices[0];
    if (name === undefined || !blockDevices.includes(name)) {
      throw new RuntimeError(`${URUNC}block: the unikernel declares no block device${name ? ` named ${name}` : ''}`);
    }
    if (!blocks.some((b) => b.name === name)) blocks.push({ name, path: imageInRootfs(bundle, `${URUNC}block`, image) });
  }
  for (const [key, image] of Object.entries(runcc)) {
    if (!key.startsWith(BLOCK_ANNOTATION_PREFIX)) continue;
    const name = key.slice(BLOCK_ANNOTATION_PREFIX.length);
    if (!blockDevices.includes(name)) throw new RuntimeError(`${key}: the unikernel declares no block device named ${name}`);
    // A bind mount onto /NAME (docker -v) takes precedence over the image's own disk.
    if (!blocks.some((b) => b.name === name)) blocks.push({ name, path: imageInRootfs(bundle, key, image) });
  }
  const netDevice = urunc[`${URUNC}solo5NetDev`];
  if (netDevice !== undefined) {
    if (!netDevices.includes(netDevice)) throw new RuntimeError(`${URUNC}solo5NetDev: the unikernel declares no net device named ${netDevice}`);
    netDevices.splice(netDevices.indexOf(netDevice), 1);
    netDevices.unshift(netDevice);
  }
  const netFormat = chooseNetFormat(bundle, runcc, urunc, kernel.detectedNetFormat);
  return { kernelPath, netDevices, blockDevices, guestArgs, blocks, netFormat: netFormat.format, netFormatWhy: netFormat.why };
}
