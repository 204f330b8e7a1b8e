import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventPublisher } from '../../../src/shim/publisher';
import { decode, encode } from '../../../src/shim/proto/schema';
import { CallContext, TtrpcServer } from '../../../src/shim/ttrpc/server';

const EVENTS = 'containerd.services.events.ttrpc.v1.Events';

interface Forwarded {
  namespace: string;
  topic: string;
  type: string;
  event: Record<string, unknown>;
  metadata: string | undefined;
}

/** containerd's Events service as the shim sees it: every Forward it is sent, decoded, in arrival order. */
async function eventsService(socket: string): Promise<{ server: TtrpcServer; got: Forwarded[] }> {
  const got: Forwarded[] = [];
  const server = new TtrpcServer();
  server.register(EVENTS, {
    Forward: (payload: Buffer, context: CallContext) => {
      const { envelope } = decode<{ envelope: { namespace: string; topic: string; event: { type_url: string; value: Buffer } } }>(
        'containerd.services.events.ttrpc.v1.ForwardRequest',
        payload,
      );
      got.push({
        namespace: envelope.namespace,
        topic: envelope.topic,
        type: envelope.event.type_url,
        event: decode(envelope.event.type_url, envelope.event.value),
        metadata: context.metadata.get('containerd-namespace-ttrpc'),
      });
      return encode('google.protobuf.Empty', {});
    },
  });
  await new Promise<void>((resolve) => server.net.listen(socket, resolve));
  return { server, got };
}

describe('EventPublisher', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'runcc-publisher-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('forwards events in the order published, after the turn that published them, and one that does not encode loses only itself', async () => {
    const socket = join(dir, 'containerd.sock.ttrpc');
    const { server, got } = await eventsService(socket);
    const logged: string[] = [];
    const publisher = new EventPublisher(`unix://${socket}`, 'k8s.io', (line) => logged.push(line));
    try {
      // A type the schema does not have: nothing to encode it with. Published first, it must not hold the rest up.
      expect(() => publisher.publish('/tasks/start', 'containerd.events.NoSuchEvent', { container_id: 'c1', pid: 41 })).not.toThrow();
      publisher.publish('/tasks/create', 'containerd.events.TaskCreate', { container_id: 'c1', pid: 41 });
      publisher.publish('/tasks/exit', 'containerd.events.TaskExit', { container_id: 'c1', id: 'c1', pid: 41, exit_status: 3 });
      // The publishing turn goes on (a call's reply is written) before any event is even encoded.
      await Promise.resolve();
      await Promise.resolve();
      expect(logged).toEqual([]);
      await publisher.drain(5000);
      expect(got.map((e) => [e.topic, e.type, e.namespace, e.metadata])).toEqual([
        ['/tasks/create', 'containerd.events.TaskCreate', 'k8s.io', 'k8s.io'],
        ['/tasks/exit', 'containerd.events.TaskExit', 'k8s.io', 'k8s.io'],
      ]);
      expect(got[0].event).toMatchObject({ container_id: 'c1', pid: 41 });
      expect(got[1].event).toMatchObject({ container_id: 'c1', pid: 41, exit_status: 3 });
      expect(logged).toEqual([expect.stringMatching(/^cannot publish a \/tasks\/start event: /)]);
    } finally {
      publisher.close();
      await server.close();
    }
  });
});
