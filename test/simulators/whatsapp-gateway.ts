import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WhatsappCdn } from './whatsapp-cdn.js';

/** `nested`: 200 with a megabyte of JSON, arrays nested half a million deep (a hostile gateway: parsing ten times as much held the event loop 2.7 s). */
type GatewayFault = { status: number; body?: unknown; headers?: Record<string, string> } | 'slow' | 'garbage' | 'nested';

/**
 * How the gateway answers for a contact without a profile photo. Z-API's page "Imagem do
 * Contato" (github.com/Z-API/z-api-docs, docs/contacts/imagem.md): "Se o contato não tiver
 * foto de perfil, a resposta pode ser vazia ou retornar erro 404" (404: "Contato não
 * encontrado ou sem foto"). `null-link` is `[{"link": null}]`, as some versions answer.
 */
type NoPhotoAnswer = 'not-found' | 'empty' | 'null-link';

interface GatewayCall {
  /** Path and query as received. */
  path: string;
  endpoint: 'profile-picture' | 'status';
  phone: string | null;
  headers: IncomingHttpHeaders;
}

/** What makes one gateway differ from another: where it answers, how it checks credentials, what its status says. */
interface GatewayRules {
  /** The endpoint a path names, or undefined when the path is not the gateway's (404). */
  endpointOf(pathname: string): GatewayCall['endpoint'] | undefined;
  /** A refusal (status and JSON body) for bad credentials, or undefined when they are good. */
  refusal(req: IncomingMessage): { status: number; body: unknown } | undefined;
  /** The endpoints where a request without a JSON Content-Type gets 415, even a GET. */
  requiresJsonContentType: ReadonlySet<GatewayCall['endpoint']>;
  /** The documented `GET …/status` answer. */
  statusBody(connected: boolean): Record<string, unknown>;
}

/**
 * A WhatsApp gateway's profile-picture endpoint as Z-API and PlugChat document it:
 * `GET …/profile-picture?phone=<DDI DDD NUMERO, digits only>` answers `[{"link": …}]`
 * with a fresh CDN link, 405 for another method. A phone that is not digits gets 400:
 * the docs only say "Envie somente números, sem formatação ou máscara", so a client that
 * sends a mask or a `+` fails here rather than in a company. `GET …/status` tells whether
 * the WhatsApp number is connected. Any other path is 404.
 */
export interface GatewaySimulator {
  /** What a source's baseUrl is set to. */
  baseUrl: string;
  calls: GatewayCall[];
  /** Profile-picture calls so far. */
  readonly pictureCalls: number;
  /** The next JSON body to answer for a phone, once, instead of the CDN's fresh link. */
  answers: Map<string, unknown>;
  /** `[{"link": …}]` as the docs show it, or `{"link": …}` as developer.z-api.io's API reference does. */
  shape: 'array' | 'object';
  noPhoto: NoPhotoAnswer;
  fault: GatewayFault | undefined;
  connected: boolean;
  close(): Promise<void>;
}

export async function startGatewaySimulator(cdn: WhatsappCdn, rules: GatewayRules, basePath = ''): Promise<GatewaySimulator> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    const endpoint = url.pathname.startsWith(basePath) ? rules.endpointOf(url.pathname.slice(basePath.length)) : undefined;
    if (!endpoint) return json(404, { error: 'Not Found' });
    const phone = url.searchParams.get('phone');
    sim.calls.push({ path: req.url ?? '', endpoint, phone, headers: req.headers });
    if (req.method !== 'GET') return json(405, { error: 'Method Not Allowed' });
    if (rules.requiresJsonContentType.has(endpoint) && !req.headers['content-type']?.startsWith('application/json'))
      return json(415, { error: 'Unsupported Media Type' });
    const refusal = rules.refusal(req);
    if (refusal) return json(refusal.status, refusal.body);
    const fault = sim.fault;
    if (fault === 'slow') return void setTimeout(() => json(200, [{ link: null }]), 5000);
    if (fault === 'garbage') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
    if (fault === 'nested') return res.writeHead(200, { 'content-type': 'application/json' }).end(`${'['.repeat(500_000)}${']'.repeat(500_000)}`);
    if (fault) return json(fault.status, fault.body ?? { error: `simulated ${fault.status}` }, fault.headers);
    if (endpoint === 'status') return json(200, rules.statusBody(sim.connected));
    if (!phone || !/^\d+$/.test(phone)) return json(400, { error: 'phone must hold digits only' });
    if (sim.answers.has(phone)) {
      const body = sim.answers.get(phone);
      sim.answers.delete(phone);
      return json(200, body);
    }
    const link = cdn.linkFor(phone);
    if (link) return json(200, sim.shape === 'array' ? [{ link }] : { link });
    if (sim.noPhoto === 'not-found') return json(404, { error: 'Not Found' });
    if (sim.noPhoto === 'empty') return res.writeHead(200, { 'content-type': 'application/json' }).end();
    return json(200, sim.shape === 'array' ? [{ link: null }] : { link: null });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const sim: GatewaySimulator = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}${basePath}`,
    calls: [],
    get pictureCalls() {
      return sim.calls.filter((call) => call.endpoint === 'profile-picture').length;
    },
    answers: new Map(),
    shape: 'array',
    noPhoto: 'not-found',
    fault: undefined,
    connected: true,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return sim;
}
