// A ttrpc server on a unix socket: unary calls (all the Task service has), served concurrently, each answered on its
// request's stream id, possibly out of order. Frames that break the protocol are answered with a status or ignored
// as upstream does; none of them ends the connection, let alone the process.
import { Server as NetServer, Socket, createServer } from 'node:net';
import { decode, encode } from '../proto/schema';
import { Frame, FrameReader, MAX_DATA, MessageType, encodeFrame } from './frame';
import { Code, StatusCode, TtrpcError } from './status';

export interface CallContext {
  /** Request metadata (keys lower-cased), e.g. `containerd-namespace-ttrpc`. */
  metadata: Map<string, string>;
  /** The caller's deadline in ms since the epoch, or undefined. */
  deadline?: number;
}

/** A method: request payload in, response payload out; a TtrpcError becomes its status. */
export type Method = (payload: Buffer, context: CallContext) => Promise<Uint8Array> | Uint8Array;

interface Request {
  service: string;
  method: string;
  payload: Buffer;
  timeout_nano: number;
  metadata: { key: string; value: string }[];
}

export interface TtrpcServerOptions {
  /** Told about failures the peer cannot see (a handler's crash); never about each call. */
  log?: (line: string) => void;
  maxData?: number;
}

export class TtrpcServer {
  private readonly services = new Map<string, Map<string, Method>>();
  private readonly sockets = new Set<Socket>();
  readonly net: NetServer;
  private readonly maxData: number;

  constructor(private readonly options: TtrpcServerOptions = {}) {
    this.maxData = options.maxData ?? MAX_DATA;
    this.net = createServer((socket) => this.serve(socket));
  }

  register(service: string, methods: Record<string, Method>): void {
    this.services.set(service, new Map(Object.entries(methods)));
  }

  /** The number of open connections (containerd holds one per task). */
  get connections(): number {
    return this.sockets.size;
  }

  /** No new connections; those open go on. Closing the listener unlinks a unix socket's path. */
  stopListening(): void {
    if (this.net.listening) this.net.close();
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.net.listening) return Promise.resolve();
    return new Promise((resolve) => this.net.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reply = (streamId: number, code: StatusCode, message: string, payload?: Uint8Array): void => {
      if (socket.destroyed) return;
      const response = code === Code.OK ? { payload } : { status: { code, message } };
      socket.write(encodeFrame(streamId, MessageType.RESPONSE, encode('ttrpc.Response', response)));
    };
    const reader = new FrameReader(
      {
        frame: (frame) => this.dispatch(frame, reply),
        oversized: (streamId, type, length) => {
          if (type === MessageType.REQUEST) reply(streamId, Code.RESOURCE_EXHAUSTED, `message length ${length} exceed maximum message size of ${this.maxData}`);
        },
      },
      this.maxData,
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  private dispatch(frame: Frame, reply: (streamId: number, code: StatusCode, message: string, payload?: Uint8Array) => void): void {
    // Responses and data frames are not for a unary server; unknown types are kept for forward compatibility.
    if (frame.type !== MessageType.REQUEST) return;
    if (frame.streamId % 2 === 0) {
      reply(frame.streamId, Code.INVALID_ARGUMENT, `StreamID must be odd for client initiated streams: ${frame.streamId}`);
      return;
    }
    let request: Request;
    try {
      request = decode<Request>('ttrpc.Request', frame.data);
    } catch (error) {
      reply(frame.streamId, Code.INVALID_ARGUMENT, `invalid request: ${(error as Error).message}`);
      return;
    }
    const method = this.services.get(request.service)?.get(request.method);
    if (!method) {
      const missing = this.services.has(request.service) ? `method ${request.method}` : `service ${request.service}`;
      reply(frame.streamId, Code.UNIMPLEMENTED, missing);
      return;
    }
    const context: CallContext = {
      metadata: new Map(request.metadata.map((kv) => [kv.key.toLowerCase(), kv.value])),
      deadline: request.timeout_nano > 0 ? Date.now() + request.timeout_nano / 1e6 : undefined,
    };
    Promise.resolve()
      .then(() => method(request.payload, context))
      .then(
        (payload) => reply(frame.streamId, Code.OK, '', payload),
        (error: unknown) => {
          if (error instanceof TtrpcError) {
            reply(frame.streamId, error.code, error.message);
          } else {
            this.options.log?.(`${request.service}.${request.method}: ${(error as Error)?.stack ?? String(error)}`);
            reply(frame.streamId, Code.UNKNOWN, (error as Error)?.message ?? String(error));
          }
        },
      );
  }
}

/**
 * A method over typed messages: the payload is decoded as `requestType` (a payload that does not decode is answered
 * INTERNAL, as upstream does) and the result encoded as `responseType`.
 */
export function typedMethod<Req, Res extends object>(
  requestType: string,
  responseType: string,
  handler: (request: Req, context: CallContext) => Promise<Res> | Res,
): Method {
  return async (payload, context) => {
    let request: Req;
    try {
      request = decode<Req>(requestType, payload);
    } catch (error) {
      throw new TtrpcError(Code.INTERNAL, `cannot decode ${requestType}: ${(error as Error).message}`);
    }
    return encode(responseType, await handler(request, context));
  };
}
