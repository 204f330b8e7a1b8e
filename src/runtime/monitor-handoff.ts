// The handoff between a launcher (`runcc create`, the shim's MonitorPool) and a container monitor that was started
// before its configuration existed. Both ends live here. The channel is the monitor's fd 3, one end of a unix stream
// socket pair: frames of a 4-byte little-endian length and that many bytes of JSON, at most MAX_FRAME_BYTES each.
//
//   monitor  → launcher  {"type":"booted"}            node is up, the code loaded, /dev/kvm open, VM and vCPU made,
//                                                     guest memory reserved: it waits for its configuration
//   launcher → monitor   {"type":"configure", ...}    stateDir, the ContainerMonitorConfig, and where its stdio and
//                                                     TAPs are: indices into the descriptors sent with the frame
//                                                     (SCM_RIGHTS), never fd numbers of the launcher's
//   monitor  → launcher  {"type":"ready"} or {"type":"error","message":...}, then the monitor closes fd 3
//
// The monitor takes exactly one configuration. Anything else — a frame too long, JSON that is not a configure
// message, an unknown or mistyped field, a descriptor sent but not used or used but not sent, the launcher gone
// before it spoke — ends the monitor with a HandoffError, having closed what it received; it made nothing on disk.
import { writeSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Received } from '../ffi/fd-passing';
import { BlockAttachment, ConfinementRequest, NetAttachment } from '../monitor/monitor-config';
import { NET_FORMATS, NetConfigFormat } from '../net/guest-network-args';
import type { ContainerMonitorConfig } from './monitor-launch';

/** The monitor's end of the channel. */
export const HANDOFF_FD = 3;
/** The longest frame either side accepts (a configuration is a few hundred bytes; a long command line fits). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** The most descriptors one configuration may carry: stdio, and TAPs. */
export const MAX_HANDOFF_FDS = 16;
const HEADER_BYTES = 4;
const MAX_LIST = 64;
const MAX_ARGS = 4096;
const MAX_TEXT = 4096;
const MAX_MEM_MIB = 1 << 20;
const MAX_ID = 0xffffffff;

export class HandoffError extends Error {
  readonly code = 'EHANDOFF';
  constructor(message: string) {
    super(message);
    this.name = 'HandoffError';
  }
}

export interface ConfigureMessage {
  type: 'configure';
  /** The container's state directory: its start gate, network record, and where the empty root is made. */
  stateDir: string;
  /** As the monitor will use it; a net backend `{ kind: 'fd', fd: N }` names the frame's Nth descriptor. */
  config: ContainerMonitorConfig;
  /** The frame's descriptors that become the monitor's stdin, stdout and stderr; absent: keep the spawned ones. */
  stdio?: [number, number, number];
}

export type MonitorMessage = { type: 'booted' } | { type: 'ready' } | { type: 'error'; message: string };

/** One frame: the length, then the JSON (a MAC travels as an array of numbers). */
export function encodeFrame(message: ConfigureMessage | MonitorMessage): Buffer {
  const json = Buffer.from(JSON.stringify(message, (_key, value: unknown) => (value instanceof Uint8Array ? [...value] : value)));
  if (json.length > MAX_FRAME_BYTES) throw new HandoffError(`handoff: a ${message.type} message of ${json.length} bytes is over the ${MAX_FRAME_BYTES}-byte limit`);
  const frame = Buffer.alloc(HEADER_BYTES + json.length);
  frame.writeUInt32LE(json.length, 0);
  json.copy(frame, HEADER_BYTES);
  return frame;
}

/** Cuts a byte stream into frames' JSON values; an oversized or malformed frame is an error, not a wait. */
export class FrameReader {
  private pending = Buffer.alloc(0);

  push(chunk: Uint8Array): unknown[] {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const values: unknown[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const length = this.pending.readUInt32LE(0);
      if (length === 0 || length > MAX_FRAME_BYTES) throw new HandoffError(`handoff: a frame of ${length} bytes (1 to ${MAX_FRAME_BYTES} allowed)`);
      if (this.pending.length < HEADER_BYTES + length) break;
      const text = this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length).toString('utf8');
      this.pending = this.pending.subarray(HEADER_BYTES + length);
      try {
        values.push(JSON.parse(text));
      } catch {
        throw new HandoffError('handoff: a frame that is not JSON');
      }
    }
    return values;
  }

  /** Bytes of a frame begun and not finished. */
  get buffered(): number {
    return this.pending.length;
  }
}

// --- checking what arrives --------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new HandoffError(`handoff: ${path}: ${what}`);
}

function object(value: unknown, path: string, allowed: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object');
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) fail(`${path}.${unknown}`, 'is not a field of this message');
  return value as Json;
}

function text(value: unknown, path: string, { nonEmpty = false, absolute = false } = {}): string {
  if (typeof value !== 'string') fail(path, 'must be a string');
  if (value.length > MAX_TEXT) fail(path, `must be at most ${MAX_TEXT} characters`);
  if (value.includes('\0')) fail(path, 'must not contain a NUL character');
  if ((nonEmpty || absolute) && value === '') fail(path, 'must not be empty');
  if (absolute && !isAbsolute(value)) fail(path, 'must be an absolute path');
  return value;
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(path, `must be an integer from ${min} to ${max}`);
  return value;
}

function list<T>(value: unknown, path: string, max: number, each: (item: unknown, path: string) => T): T[] {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  if (value.length > max) fail(path, `must have at most ${max} entries`);
  return value.map((item, index) => each(item, `${path}[${index}]`));
}

function optional<T>(value: unknown, check: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

function block(value: unknown, path: string): BlockAttachment {
  const b = object(value, path, ['name', 'path', 'sectorBytes']);
  const sectorBytes = optional(b.sectorBytes, (v) => integer(v, `${path}.sectorBytes`, 1, 1 << 30));
  return { name: text(b.name, `${path}.name`, { nonEmpty: true }), path: text(b.path, `${path}.path`), ...(sectorBytes !== undefined ? { sectorBytes } : {}) };
}

function net(value: unknown, path: string, fdCount: number): NetAttachment {
  const n = object(value, path, ['name', 'backend', 'option', 'mac']);
  const attachment: NetAttachment = { name: text(n.name, `${path}.name`, { nonEmpty: true }) };
  if (n.backend !== undefined) {
    const b = object(n.backend, `${path}.backend`, ['kind', 'fd', 'ifname', 'mtu']);
    if (b.kind === 'fd' && b.ifname === undefined) {
      if (fdCount === 0) fail(`${path}.backend.fd`, 'names a descriptor, and none came with the message');
      attachment.backend = { kind: 'fd', fd: integer(b.fd, `${path}.backend.fd`, 0, fdCount - 1) };
      if (b.mtu !== undefined) attachment.backend.mtu = integer(b.mtu, `${path}.backend.mtu`, 68, 65535);
    } else if (b.kind === 'interface' && b.fd === undefined && b.mtu === undefined) {
      attachment.backend = { kind: 'interface', ifname: text(b.ifname, `${path}.backend.ifname`, { nonEmpty: true }) };
    } else {
      fail(`${path}.backend`, 'must be { kind: "fd", fd } or { kind: "interface", ifname }');
    }
  }
  if (n.option !== undefined) attachment.option = text(n.option, `${path}.option`);
  if (n.mac !== undefined) attachment.mac = Uint8Array.from(list(n.mac, `${path}.mac`, 6, (v, p) => integer(v, p, 0, 255)));
  if (attachment.mac && attachment.mac.length !== 6) fail(`${path}.mac`, 'must have 6 bytes');
  return attachment;
}

function confinement(value: unknown, path: string): ConfinementRequest {
  const c = object(value, path, ['user', 'env']);
  const env = object(c.env, `${path}.env`, ['RUNCC_MONITOR_UID', 'RUNCC_MONITOR_GID']);
  const request: ConfinementRequest = { env: {} };
  if (env.RUNCC_MONITOR_UID !== undefined) request.env.RUNCC_MONITOR_UID = text(env.RUNCC_MONITOR_UID, `${path}.env.RUNCC_MONITOR_UID`);
  if (env.RUNCC_MONITOR_GID !== undefined) request.env.RUNCC_MONITOR_GID = text(env.RUNCC_MONITOR_GID, `${path}.env.RUNCC_MONITOR_GID`);
  if (c.user !== undefined) {
    const u = object(c.user, `${path}.user`, ['uid', 'gid', 'additionalGids']);
    request.user = { uid: integer(u.uid, `${path}.user.uid`, 0, MAX_ID), gid: integer(u.gid, `${path}.user.gid`, 0, MAX_ID) };
    if (u.additionalGids !== undefined) request.user.additionalGids = list(u.additionalGids, `${path}.user.additionalGids`, 65536, (v, p) => integer(v, p, 0, MAX_ID));
  }
  return request;
}

function monitorConfig(value: unknown, path: string, fdCount: number): ContainerMonitorConfig {
  const c = object(value, path, ['kernelPath', 'memMiB', 'guestArgs', 'blocks', 'nets', 'confinement', 'containerId', 'netDevices', 'netFormat', 'terminal']);
  if (!NET_FORMATS.includes(c.netFormat as NetConfigFormat)) fail(`${path}.netFormat`, `must be one of ${NET_FORMATS.join(', ')}`);
  if (typeof c.terminal !== 'boolean') fail(`${path}.terminal`, 'must be true or false');
  const config: ContainerMonitorConfig = {
    kernelPath: text(c.kernelPath, `${path}.kernelPath`, { absolute: true }),
    memMiB: integer(c.memMiB, `${path}.memMiB`, 1, MAX_MEM_MIB),
    guestArgs: list(c.guestArgs, `${path}.guestArgs`, MAX_ARGS, (v, p) => text(v, p)),
    blocks: list(c.blocks, `${path}.blocks`, MAX_LIST, block),
    nets: list(c.nets, `${path}.nets`, MAX_LIST, (v, p) => net(v, p, fdCount)),
    containerId: text(c.containerId, `${path}.containerId`, { nonEmpty: true }),
    netDevices: list(c.netDevices, `${path}.netDevices`, MAX_LIST, (v, p) => text(v, p, { nonEmpty: true })),
    netFormat: c.netFormat as NetConfigFormat,
    terminal: c.terminal,
  };
  if (c.confinement !== undefined) config.confinement = confinement(c.confinement, `${path}.confinement`);
  return config;
}

/** A configure message as the monitor may use it, with `fdCount` descriptors sent alongside; else a HandoffError. */
export function parseConfigure(value: unknown, fdCount: number): ConfigureMessage {
  const m = object(value, 'message', ['type', 'stateDir', 'config', 'stdio']);
  if (m.type !== 'configure') fail('message.type', `must be "configure", not ${JSON.stringify(m.type)}`);
  const message: ConfigureMessage = {
    type: 'configure',
    stateDir: text(m.stateDir, 'message.stateDir', { absolute: true }),
    config: monitorConfig(m.config, 'message.config', fdCount),
  };
  if (m.stdio !== undefined) {
    if (fdCount === 0) fail('message.stdio', 'names descriptors, and none came with the message');
    const stdio = list(m.stdio, 'message.stdio', 3, (v, p) => integer(v, p, 0, fdCount - 1));
    if (stdio.length !== 3) fail('message.stdio', 'must name 3 descriptors: stdin, stdout, stderr');
    message.stdio = [stdio[0], stdio[1], stdio[2]];
  }
  const used = new Set<number>([...(message.stdio ?? []), ...message.config.nets.flatMap((n) => (n.backend?.kind === 'fd' ? [n.backend.fd] : []))]);
  for (let i = 0; i < fdCount; i++) if (!used.has(i)) fail('message', `descriptor ${i} came with the message and nothing uses it`);
  return message;
}

/** A message from the monitor, or a HandoffError. */
export function parseMonitorMessage(value: unknown): MonitorMessage {
  const m = object(value, 'message', ['type', 'message']);
  if (m.type === 'booted' || m.type === 'ready') {
    if (m.message !== undefined) fail('message.message', `is not a field of a ${m.type} message`);
    return { type: m.type };
  }
  if (m.type === 'error') return { type: 'error', message: text(m.message, 'message.message', { nonEmpty: true }) };
  return fail('message.type', `must be "booted", "ready" or "error", not ${JSON.stringify(m.type)}`);
}

// --- the monitor's end ------------------------------------------------------------------------------------------

export interface ReceivedConfiguration {
  message: ConfigureMessage;
  /** The descriptors that came with it, in order (the message's indices name them); the monitor's to close. */
  fds: number[];
}

/**
 * Monitor side: blocks until the launcher's configuration has arrived on `fd`, and checks it. The end of the stream
 * before a whole frame, more than one frame, or a bad message is a HandoffError, with every received fd closed.
 */
export function receiveConfiguration(fd = HANDOFF_FD): ReceivedConfiguration {
  const { receiveWithFds, closeDescriptor } = require('../ffi/fd-passing') as typeof import('../ffi/fd-passing');
  const reader = new FrameReader();
  const fds: number[] = [];
  try {
    for (;;) {
      const got: Received = receiveWithFds(fd, MAX_FRAME_BYTES + HEADER_BYTES, MAX_HANDOFF_FDS - fds.length);
      fds.push(...got.fds);
      if (got.data.length === 0) throw new HandoffError('handoff: the launcher went away before it sent a configuration');
      const values = reader.push(got.data);
      if (values.length === 0) continue;
      if (values.length > 1 || reader.buffered > 0) throw new HandoffError('handoff: more than one message where one configuration was expected');
      return { message: parseConfigure(values[0], fds.length), fds };
    }
  } catch (error) {
    for (const received of fds) closeDescriptor(received);
    if (error instanceof HandoffError) throw error;
    throw new HandoffError(`handoff: ${(error as Error).message}`);
  }
}

/** Monitor side: one message to the launcher (a write that the launcher is gone for is not an error of ours). */
export function tellLauncher(message: MonitorMessage, fd = HANDOFF_FD): void {
  const frame = encodeFrame(message);
  try {
    for (let at = 0; at < frame.length; ) at += writeSync(fd, frame, at);
  } catch {
    // the launcher is gone: the monitor's exit is what it will see
  }
}
