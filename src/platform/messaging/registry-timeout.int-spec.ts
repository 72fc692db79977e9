import { createServer, type Server, type Socket } from 'node:net';
import { AvroSerde } from './avro-serde.js';
import { loadMessagingConfig } from './kafka.js';

/**
 * A registry request whose answer never comes fails after the client's timeout (10 s) instead of
 * waiting forever — a service's boot once hung that way — so the caller's retry can take over.
 */
describe('schema registry requests time out', () => {
  let server: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = createServer((socket) => void sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('rejects a registration the registry never answers, after about 10 s', async () => {
    const { port } = server.address() as { port: number };
    const serde = AvroSerde.fromConfig(
      loadMessagingConfig({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}` }, 'timeout-spec'),
    );
    const started = Date.now();
    await expect(serde.registerValueSchema('t.logs.lines', 'log-line')).rejects.toThrow(/timeout/i);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(9_000);
    expect(waited).toBeLessThan(40_000);
  }, 60_000);
});
