import { mkdtempSync, rmSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from '../../../src/shim/proto/schema';
import { Frame, FrameReader, MessageType, encodeFrame } from '../../../src/shim/ttrpc/frame';
import { TtrpcClient } from '../../../src/shim/ttrpc/client';
import { TtrpcServer, typedMethod } from '../../../src/shim/ttrpc/server';
import { Code, TtrpcError } from '../../../src/shim/ttrpc/status';

const TASK = 'containerd.task.v2.Task';

// A Connect request as containerd's Go client puts it on the wire (built byte by byte from the upstream field
// numbers: Request{1 service, 2 method, 3 payload=ConnectRequest{1 id}, 5 metadata{1 key, 2 value}}).
function str(field: number, text: string): number[] {
  const bytes = [...Buffer.from(text)];
  return [(field << 3) | 2, bytes.length, ...bytes];
}
const CAPTURED_CONNECT = Buffer.from([
  0, 0, 0, 0, 0, 0, 0, 1, 1, 0, // header, length patched below
  ...str(1, TASK),
  ...str(2, 'Connect'),
  (3 << 3) | 2, 4, ...str(1, 't1'),
  (5 << 3) | 2, 37, ...str(1, 'containerd-namespace-ttrpc'), ...str(2, 'default'),
]);
CAPTURED_CONNECT.writeUInt32BE(CAPTURED_CONNECT.length - 10, 0);

describe('protobuf schema', () => {
  it('encodes with the upstream field numbers', () => {
    expect([...encode('containerd.task.v2.ConnectRequest', { id: 't1' })]).toEqual(str(1, 't1'));
    // WaitResponse{1 exit_status=3, 2 exited_at{1 seconds=5}}
    expect([...encode('containerd.task.v2.WaitResponse', { exit_status: 3, exited_at: { seconds: 5 } })]).toEqual([0x08, 3, 0x12, 2, 0x08, 5]);
  });

  it('decodes a captured request envelope, with unknown fields skipped', () => {
    const withUnknown = Buffer.concat([CAPTURED_CONNECT.subarray(10), Buffer.from([(9 << 3) | 0, 7])]);
    const request = decode<{ service: string; method: string; payload: Buffer; metadata: { key: string; value: string }[] }>('ttrpc.Request', withUnknown);
    expect(request.service).toBe(TASK);
    expect(request.method).toBe('Connect');
    expect(decode<{ id: string }>('containerd.task.v2.ConnectRequest', request.payload).id).toBe('t1');
    expect(request.metadata).toEqual([{ key: 'containerd-namespace-ttrpc', value: 'default' }]);
  });
});

describe('FrameReader', () => {
  it('reassembles frames split at every byte and bounds oversized ones without buffering them', () => {
    const frames: Frame[] = [];
    const oversized: number[] = [];
    const reader = new FrameReader({ frame: (f) => frames.push(f), oversized: (id) => oversized.push(id) }, 16);
    const big = Buffer.alloc(10);
    big.writeUInt32BE(1000, 0);
    big.writeUInt32BE(7, 4);
    big[8] = 1;
    const bytes = Buffer.concat([encodeFrame(1, 1, Buffer.from('abc')), big, Buffer.alloc(1000, 0xff), encodeFrame(3, 1, Buffer.alloc(0))]);
    for (const byte of bytes) reader.push(Buffer.from([byte]));
    expect(frames.map((f) => [f.streamId, f.data.toString()])).toEqual([[1, 'abc'], [3, '']]);
    expect(oversized).toEqual([7]);
  });
});

describe('ttrpc server', () => {
  let dir: string;
  let path: string;
  let server: TtrpcServer;
  const logged: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ttrpc-'));
    path = join(dir, 's');
    server = new TtrpcServer({ log: (line) => logged.push(line), maxData: 64 * 1024 });
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => (release = resolve));
    server.register(TASK, {
      Connect: typedMethod<{ id: string }, object>('containerd.task.v2.ConnectRequest', 'containerd.task.v2.ConnectResponse', (req, ctx) => ({
        shim_pid: 42,
        task_pid: req.id === 't1' ? 7 : 0,
        version: ctx.metadata.get('containerd-namespace-ttrpc') ?? '',
      })),
      Wait: typedMethod('containerd.task.v2.WaitRequest', 'containerd.task.v2.WaitResponse', async () => {
        await blocked;
        return { exit_status: 3 };
      }),
      Kill: typedMethod('containerd.task.v2.KillRequest', 'google.protobuf.Empty', () => {
        release();
        throw new TtrpcError(Code.NOT_FOUND, 'process already finished: not found');
      }),
      Crash: () => {
        throw new Error('boom');
      },
    });
    await new Promise<void>((resolve) => server.net.listen(path, resolve));
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function rawExchange(bytes: Buffer, expectReply = true): Promise<{ streamId: number; code: number; message: string }[]> {
    const socket: Socket = connect(path);
    const replies: { streamId: number; code: number; message: string }[] = [];
    const reader = new FrameReader({
      frame: (f) => {
        const response = decode<{ status: { code: number; message: string } | null }>('ttrpc.Response', f.data);
        replies.push({ streamId: f.streamId, code: response.status?.code ?? 0, message: response.status?.message ?? '' });
      },
      oversized: () => {},
    });
    socket.on('data', (chunk) => reader.push(chunk));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(bytes);
    await new Promise((resolve) => setTimeout(resolve, expectReply ? 150 : 100));
    socket.destroy();
    return replies;
  }

  it('answers a captured Connect frame with the metadata seen', async () => {
    const socket = connect(path);
    const frames: Frame[] = [];
    const reader = new FrameReader({ frame: (f) => frames.push(f), oversized: () => {} });
    socket.on('data', (chunk) => reader.push(chunk));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(CAPTURED_CONNECT);
    while (frames.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    socket.destroy();
    expect(frames[0].streamId).toBe(1);
    expect(frames[0].type).toBe(MessageType.RESPONSE);
    const response = decode<{ status: unknown; payload: Buffer }>('ttrpc.Response', frames[0].data);
    expect(response.status).toBeNull();
    expect(decode('containerd.task.v2.ConnectResponse', response.payload)).toEqual({ shim_pid: 42, task_pid: 7, version: 'default' });
  });

  it('serves calls concurrently and answers out of order', async () => {
    const client = await TtrpcClient.connect(path);
    const order: string[] = [];
    const wait = client.call(TASK, 'Wait', encode('containerd.task.v2.WaitRequest', { id: 't1' })).then((p) => {
      order.push('wait');
      return decode<{ exit_status: number }>('containerd.task.v2.WaitResponse', p);
    });
    const kill = client.call(TASK, 'Kill', encode('containerd.task.v2.KillRequest', { id: 't1', signal: 9 })).catch((e: TtrpcError) => {
      order.push('kill');
      return e;
    });
    const [waited, killed] = await Promise.all([wait, kill]);
    expect(waited.exit_status).toBe(3);
    expect(killed).toMatchObject({ code: Code.NOT_FOUND, message: 'process already finished: not found' });
    expect(order).toEqual(['kill', 'wait']);
    client.close();
  });

  const request = (fields: object): Buffer => encode('ttrpc.Request', fields);
  const oversizedHeader = Buffer.alloc(10);
  oversizedHeader.writeUInt32BE(64 * 1024 + 1, 0);
  oversizedHeader.writeUInt32BE(5, 4);
  oversizedHeader[8] = MessageType.REQUEST;

  const hostile: [string, Buffer, { streamId: number; code: number; message: RegExp }[]][] = [
    ['an oversized frame', Buffer.concat([oversizedHeader, Buffer.alloc(64 * 1024 + 1, 0x41)]), [{ streamId: 5, code: Code.RESOURCE_EXHAUSTED, message: /exceed maximum/ }]],
    ['an even stream id', encodeFrame(2, MessageType.REQUEST, request({ service: TASK, method: 'Connect' })), [{ streamId: 2, code: Code.INVALID_ARGUMENT, message: /must be odd/ }]],
    ['an envelope that is not protobuf', encodeFrame(1, MessageType.REQUEST, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), [{ streamId: 1, code: Code.INVALID_ARGUMENT, message: /invalid request/ }]],
    ['an unknown service', encodeFrame(1, MessageType.REQUEST, request({ service: 'x.Y', method: 'Z' })), [{ streamId: 1, code: Code.UNIMPLEMENTED, message: /^service x\.Y$/ }]],
    ['an unknown method', encodeFrame(3, MessageType.REQUEST, request({ service: TASK, method: 'Exec2' })), [{ streamId: 3, code: Code.UNIMPLEMENTED, message: /^method Exec2$/ }]],
    ['a payload that does not decode', encodeFrame(1, MessageType.REQUEST, request({ service: TASK, method: 'Connect', payload: Buffer.from([0x0a, 0x50, 1]) })), [{ streamId: 1, code: Code.INTERNAL, message: /cannot decode/ }]],
    ['a handler that throws', encodeFrame(1, MessageType.REQUEST, request({ service: TASK, method: 'Crash' })), [{ streamId: 1, code: Code.UNKNOWN, message: /boom/ }]],
    ['frames of unknown and response types', Buffer.concat([encodeFrame(1, 9, Buffer.from('x')), encodeFrame(3, MessageType.RESPONSE, Buffer.from('x')), encodeFrame(5, MessageType.DATA, Buffer.alloc(0), 4)]), []],
    ['a truncated frame, then the connection closes', encodeFrame(1, MessageType.REQUEST, request({ service: TASK, method: 'Connect' })).subarray(0, 14), []],
  ];

  it.each(hostile)('refuses %s and keeps serving', async (_name, bytes, expected) => {
    const replies = await rawExchange(bytes);
    expect(replies).toHaveLength(expected.length);
    replies.forEach((reply, i) => {
      expect(reply.streamId).toBe(expected[i].streamId);
      expect(reply.code).toBe(expected[i].code);
      expect(reply.message).toMatch(expected[i].message);
    });
    const client = await TtrpcClient.connect(path);
    const answer = await client.call(TASK, 'Connect', encode('containerd.task.v2.ConnectRequest', { id: 't1' }), { timeoutMs: 2000 });
    expect(decode<{ task_pid: number }>('containerd.task.v2.ConnectResponse', answer).task_pid).toBe(7);
    client.close();
  });

  it('logs only failures the peer cannot see', () => {
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/Crash: Error: boom/);
  });
});
