// A ttrpc client for unary calls: the shim's event publisher (to containerd's ttrpc socket) and the tests use it.
import { Socket, connect } from 'node:net';
import { decode, encode } from '../proto/schema';
import { FrameReader, MAX_DATA, MessageType, encodeFrame } from './frame';
import { Code, StatusCode, TtrpcError } from './status';

interface Pending {
  resolve: (payload: Buffer) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Response {
  status?: { code: number; message: string } | null;
  payload: Buffer;
}

export class TtrpcClient {
  private nextStream = 1;
  private readonly pending = new Map<number, Pending>();
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    const reader = new FrameReader({
      frame: (frame) => {
        if (frame.type !== MessageType.RESPONSE) return;
        const call = this.pending.get(frame.streamId);
        if (!call) return;
        this.settle(frame.streamId);
        try {
          const response = decode<Response>('ttrpc.Response', frame.data);
          if (response.status && response.status.code !== Code.OK) call.reject(new TtrpcError(response.status.code as StatusCode, response.status.message));
          else call.resolve(response.payload);
        } catch (error) {
          call.reject(error as Error);
        }
      },
      oversized: (streamId) => {
        const call = this.pending.get(streamId);
        this.settle(streamId);
        call?.reject(new TtrpcError(Code.RESOURCE_EXHAUSTED, `response larger than ${MAX_DATA} bytes`));
      },
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('ttrpc: closed')));
  }

  static connect(path: string): Promise<TtrpcClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TtrpcClient(socket));
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Calls `service.method` with an encoded payload; resolves to the response payload. */
  call(service: string, method: string, payload: Uint8Array, options: { timeoutMs?: number; metadata?: Record<string, string> } = {}): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const streamId = this.nextStream;
    this.nextStream += 2;
    const request = encode('ttrpc.Request', {
      service,
      method,
      payload,
      timeout_nano: options.timeoutMs ? options.timeoutMs * 1e6 : 0,
      metadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      if (options.timeoutMs) {
        pending.timer = setTimeout(() => {
          this.settle(streamId);
          reject(new TtrpcError(Code.DEADLINE_EXCEEDED, `${service}.${method}: no answer in ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      this.pending.set(streamId, pending);
      this.socket.write(encodeFrame(streamId, MessageType.REQUEST, request));
    });
  }

  /** Writes raw bytes (tests of hostile input). */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private settle(streamId: number): void {
    const call = this.pending.get(streamId);
    if (call?.timer) clearTimeout(call.timer);
    this.pending.delete(streamId);
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const [streamId, call] of [...this.pending]) {
      this.settle(streamId);
      call.reject(this.closedError);
    }
  }
}
