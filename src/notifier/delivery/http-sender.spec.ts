import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { postJson } from './http-sender.js';

const loopback = {
  allowedHosts: [],
  allowedCidrs: ['127.0.0.1/32'],
  allowHttp: true,
  allowedPorts: [],
};

describe('postJson', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ body: string; headers: Record<string, unknown> }> = [];
  let reply: (res: import('node:http').ServerResponse) => void = (res) => res.end();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ body, headers: req.headers });
        reply(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));

  it('posts the body with the headers and reports the status', async () => {
    reply = (res) => {
      res.statusCode = 204;
      res.end();
    };
    const r = await postJson(
      url,
      '{"a":1}',
      { 'Content-Type': 'application/json', 'X-Test': 'y' },
      { timeoutMs: 2000, policy: loopback },
    );
    expect(r.outcome).toEqual({ kind: 'http', status: 204, retryAfterMs: null });
    expect(seen[seen.length - 1]).toMatchObject({ body: '{"a":1}', headers: { 'x-test': 'y' } });
  });

  it('passes Retry-After on and classifies timeouts and refused connections', async () => {
    reply = (res) => {
      res.statusCode = 503;
      res.setHeader('Retry-After', '7');
      res.end('busy');
    };
    expect((await postJson(url, '{}', {}, { timeoutMs: 2000, policy: loopback })).outcome).toEqual({
      kind: 'http',
      status: 503,
      retryAfterMs: 7000,
    });
    reply = () => undefined; // never answers
    expect((await postJson(url, '{}', {}, { timeoutMs: 200, policy: loopback })).outcome).toEqual({
      kind: 'timeout',
    });
    const closed = url.replace(/:\d+\//, ':1/');
    expect(
      (await postJson(closed, '{}', {}, { timeoutMs: 2000, policy: loopback })).outcome,
    ).toMatchObject({
      kind: 'network',
      code: 'ECONNREFUSED',
    });
  });

  it('refuses targets outside the allow-list without connecting', async () => {
    const before = seen.length;
    const none = { allowedHosts: [], allowedCidrs: [], allowHttp: true, allowedPorts: [] };
    const r = await postJson(url, '{}', {}, { timeoutMs: 2000, policy: none });
    expect(r.outcome).toMatchObject({
      kind: 'forbidden_target',
      reason: expect.stringContaining('TARGET.ADDRESS_NOT_ALLOWED') as string,
    });
    const local = await postJson(
      url.replace('127.0.0.1', 'localhost'),
      '{}',
      {},
      { timeoutMs: 2000, policy: none },
    );
    expect(local.outcome).toMatchObject({ kind: 'forbidden_target' });
    expect(seen.length).toBe(before);
  });
});
