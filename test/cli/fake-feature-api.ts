/** A small real HTTP server standing in for the feature API in CLI tests. */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFeatureApi {
  readonly url: string;
  close(): void;
}

/** Listens on a free local port; `respond` gets each request with its whole body and answers it with JSON. */
export async function startFakeFeatureApi(
  respond: (req: http.IncomingMessage, body: string) => { status: number; body: string },
): Promise<FakeFeatureApi> {
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const answer = respond(req, body);
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
