// Events to containerd (/tasks/create, start, exit, …): Forward calls on containerd's ttrpc socket
// ($TTRPC_ADDRESS), one at a time and in order, each timed out after 5 s and retried on a fresh connection.
import { Timestamp, encode, packAny, timestamp } from './proto/schema';
import { TtrpcClient } from './ttrpc/client';

const EVENTS_SERVICE = 'containerd.services.events.ttrpc.v1.Events';
const CALL_TIMEOUT_MS = 5000;
const ATTEMPTS = 5;

/** Resolves once the event loop has finished its current turn (replies already written to their sockets). */
const afterThisTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class EventPublisher {
  private client: TtrpcClient | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ttrpcAddress: string | undefined,
    private readonly namespace: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Queues `event` (a message of `containerd.events.*`) under `topic`; never throws. It is encoded and sent after
   * the current turn of the event loop, so that the reply of the call that published it goes out first.
   */
  publish(topic: string, type: string, event: object): void {
    const at = timestamp(new Date()) as Timestamp;
    this.queue = this.queue.then(afterThisTurn).then(() => this.forward(topic, at, type, event));
  }

  /** Resolves when everything queued so far was sent (or given up), within `timeoutMs`. */
  drain(timeoutMs: number): Promise<void> {
    return Promise.race([this.queue, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  close(): void {
    this.client?.close();
  }

  private async forward(topic: string, at: Timestamp, type: string, event: object): Promise<void> {
    if (!this.ttrpcAddress) return;
    let payload: Uint8Array;
    try {
      const envelope = { timestamp: at, namespace: this.namespace, topic, event: packAny(type, event) };
      payload = encode('containerd.services.events.ttrpc.v1.ForwardRequest', { envelope });
    } catch (error) {
      // One event that does not encode is lost, not the queue behind it.
      this.log(`cannot publish a ${topic} event: ${(error as Error).message}`);
      return;
    }
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        if (!this.client || this.client.closed) this.client = await TtrpcClient.connect(this.ttrpcAddress.replace(/^unix:\/\//, ''));
        await this.client.call(EVENTS_SERVICE, 'Forward', payload, { timeoutMs: CALL_TIMEOUT_MS, metadata: { 'containerd-namespace-ttrpc': this.namespace } });
        return;
      } catch (error) {
        this.client?.close();
        this.client = undefined;
        if (attempt === ATTEMPTS) this.log(`cannot publish an event: ${(error as Error).message}`);
        else await new Promise((resolve) => setTimeout(resolve, attempt * 200));
      }
    }
  }
}
