// A small CRI client for the engine tests and benchmarks (what kubelet is to containerd): the RuntimeService of
// runtime.v1 over gRPC on containerd's socket, with promise-returning calls. Messages use proto-loader's camelCase
// names for the proto's fields.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import env from '../engine-env';

type Call = (request: object, callback: (error: grpc.ServiceError | null, response: any) => void) => void;

export class CriClient {
  private readonly client: grpc.Client & Record<string, Call>;

  constructor(socket: string) {
    const definition = protoLoader.loadSync(join(env.repo, 'scripts/engines/cri/cri-api.proto'), { keepCase: false, longs: Number, enums: String, defaults: true });
    const api = grpc.loadPackageDefinition(definition) as any;
    this.client = new api.runtime.v1.RuntimeService(`unix://${socket}`, grpc.credentials.createInsecure());
  }

  /** Calls RPC `method`; rejects with the gRPC status message. */
  call(method: string, request: object): Promise<any> {
    return new Promise((resolve, reject) => {
      this.client[method].call(this.client, request, (error, response) => (error ? reject(new Error(`${method}: ${error.details || error.message}`)) : resolve(response)));
    });
  }

  close(): void {
    this.client.close();
  }
}
