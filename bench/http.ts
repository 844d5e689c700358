import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import ts from 'typescript';
import { PHOTO_SIZES, sizeCodeOf, type PhotoSize } from '../src/domain/size-code.js';
import { freePort, startChild, stopAllChildren, waitUntilAnswering, type Child } from './children.js';
import { BASIC_AUTHORIZATION, BENCH_USER, benchEnv } from './fixture.js';
import { measureSideBySide, type LoadFigures, type LoadSettings, type LoadTarget } from './load.js';
import { nginxInstalled, startNginx } from './nginx-server.js';
import { startNodeFlags } from './start-flags.js';
import { callSoap, GET_USER_PHOTO, getItem, isContactItem, RESOLVE_NAMES, resolvedContactId, SOAP_HEADERS } from './soap.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.js');
const BARE_SERVER = join(ROOT, 'bench', 'bare-server.ts');

interface HttpOptions {
  dir: string;
  databasePath: string;
  accessLog: boolean;
  load: LoadSettings;
}

export interface PhotoFetch {
  /** 200, a JPEG of the size asked, with an ETag. */
  ok: boolean;
  /** To the last byte of the body. */
  ms: number;
  bytes: Buffer;
  etag: string;
  head: AnswerHead;
}

/** An answer's headers as sent, but those node:http writes itself on every answer (Content-Length, Date, Connection, Keep-Alive). */
type AnswerHead = [name: string, value: string][];

export interface HttpFigures {
  bare: LoadFigures;
  /** The bare server answering (d)'s POST with (d)'s answer bytes once it has read the body: the ceiling for SOAP. */
  barePost: LoadFigures;
  /** nginx serving the same file, for reference (not a target); absent where nginx is not installed. */
  nginx?: LoadFigures;
  bridge: LoadFigures;
  notModified: LoadFigures;
  /** SOAP GetUserPhoto for the same photo, a plain envelope as zeep or node-soap write it. */
  soap: LoadFigures;
  /** SOAP ResolveNames of the bench contact with its full data (photo included), as exchangelib asks. */
  resolveNames: LoadFigures;
  /** SOAP GetItem of that contact, AllProperties. */
  getItem: LoadFigures;
  /** OWA's GetPersonaPhoto for the same photo: the same hot path as (b). */
  owa: LoadFigures;
  /** Graph's `users/{upn}/photos/96x96/$value` for the same photo: the same hot path as (b). */
  graph: LoadFigures;
  /** The Outlook REST API's `Users('{email}')/photos('96x96')/$value` for the same photo: the same hot path as (b). */
  outlook: LoadFigures;
  /** The very first photo request (checked to be a 200): scrypt verification, store read and a 648→96 resize. */
  first: PhotoFetch;
  /** The first request for each other size: a cache miss and a resize, end to end. */
  cold: Map<PhotoSize, PhotoFetch>;
}

/** The REST photo URL's path and query for the bench user at `size`. */
export const photoTarget = (size: PhotoSize) => `/ews/exchange.asmx/s/GetUserPhoto?email=${encodeURIComponent(BENCH_USER.email)}&size=${sizeCodeOf(size)}`;

/** Starts the servers, drives them side by side with autocannon (load.ts), then stops them whatever happened. */
export async function measureHttp(options: HttpOptions): Promise<HttpFigures> {
  try {
    const bridge = await startBridge(options);
    const photoUrl = (size: PhotoSize) => `${bridge.base}${photoTarget(size)}`;
    const first = await fetchPhoto(photoUrl(96), 96);
    // Without a real 200 there is nothing worth measuring: the load runs would time 401s.
    if (!first.ok) throw new Error(`the bridge did not serve ${BENCH_USER.email}'s photo at HR96x96:\n${bridge.child.stderrTail()}`);
    // The other photo URLs must serve the very same photo, or their figures compare nothing.
    const owaUrl = `${bridge.base}/owa/service.svc/s/GetPersonaPhoto?email=${encodeURIComponent(BENCH_USER.email)}&UA=0&size=HR96x96`;
    const graphUrl = `${bridge.base}/v1.0/users/${BENCH_USER.email}/photos/96x96/$value`;
    const outlookUrl = `${bridge.base}/api/v2.0/Users('${BENCH_USER.email}')/photos('96x96')/$value`;
    for (const url of [owaUrl, graphUrl, outlookUrl]) {
      const other = await fetchPhoto(url, 96);
      if (!other.ok || other.etag !== first.etag) throw new Error(`${url} did not serve the same HR96x96 photo:\n${bridge.child.stderrTail()}`);
    }
    const ewsPath = '/EWS/Exchange.asmx';
    const endpoint = `${bridge.base}${ewsPath}`;
    const itemId = await benchContactId(endpoint);
    const photoPath = join(options.dir, 'hr96.jpg');
    writeFileSync(photoPath, first.bytes);
    const bare = await startBareServer(options.dir, 'photo', first.bytes, first.head);
    const soapPhoto = await soapPhotoAnswer(endpoint);
    const barePost = await startBareServer(options.dir, 'get-user-photo', soapPhoto.bytes, soapPhoto.head);
    const nginx = nginxInstalled() ? await startNginxServer(options.dir, photoPath) : undefined;

    const target = (label: string, url: string, child: Child, headers: Record<string, string>, body?: string): LoadTarget => ({
      label,
      url,
      headers,
      body,
      serverPids: [child.process.pid!],
    });
    const authorization = BASIC_AUTHORIZATION;
    const targets = {
      // The bare servers are sent the very requests the bridge is, which they read and do not look at.
      bare: target('(a) bare node:http', `${bare.base}${photoTarget(96)}`, bare.child, { authorization }),
      ...(nginx ? { nginx: target('(a2) nginx, buffered log', `${nginx.base}${photoTarget(96)}`, nginx.child, { authorization }) } : {}),
      bridge: target('(b) bridge 200', photoUrl(96), bridge.child, { authorization }),
      notModified: target('(c) bridge 304', photoUrl(96), bridge.child, { authorization, 'if-none-match': first.etag }),
      barePost: target('(d0) bare node:http POST', `${barePost.base}${ewsPath}`, barePost.child, SOAP_HEADERS, GET_USER_PHOTO),
      soap: target('(d) SOAP GetUserPhoto', endpoint, bridge.child, SOAP_HEADERS, GET_USER_PHOTO),
      resolveNames: target('(e) SOAP ResolveNames', endpoint, bridge.child, SOAP_HEADERS, RESOLVE_NAMES),
      getItem: target('(f) SOAP GetItem', endpoint, bridge.child, SOAP_HEADERS, getItem(itemId)),
      owa: target('(g) OWA GetPersonaPhoto', owaUrl, bridge.child, { authorization }),
      graph: target('(h) Graph photos/96x96/$value', graphUrl, bridge.child, { authorization }),
      outlook: target("(i) Outlook REST photos('96x96')/$value", outlookUrl, bridge.child, { authorization }),
    };
    const figures = await measureSideBySide(Object.values(targets), options.load);
    const measured = Object.fromEntries(Object.keys(targets).map((name, index) => [name, figures[index]!])) as Record<keyof typeof targets, LoadFigures>;
    return {
      ...measured,
      first,
      cold: await fetchEachOtherSize(photoUrl),
    };
  } finally {
    await stopAllChildren();
  }
}

/**
 * The bench contact's ItemId, as a client gets it: from ResolveNames. Both answers are
 * checked once here, since under load only HTTP statuses are counted and an EWS error
 * item is an HTTP 200 too.
 */
async function benchContactId(endpoint: string): Promise<string> {
  const resolved = await callSoap(endpoint, RESOLVE_NAMES);
  const itemId = resolvedContactId(resolved.text);
  if (resolved.status !== 200 || itemId === undefined)
    throw new Error(`ResolveNames did not resolve the bench contact (HTTP ${resolved.status}):\n${resolved.text.slice(0, 2000)}`);
  const item = await callSoap(endpoint, getItem(itemId));
  if (item.status !== 200 || !isContactItem(item.text))
    throw new Error(`GetItem did not return the bench contact (HTTP ${item.status}):\n${item.text.slice(0, 2000)}`);
  return itemId;
}

export interface Running {
  child: Child;
  base: string;
}

/** How a server under test is started: node with these arguments, as it is (the default) or under a tool (instructions.ts). */
export type Launch = (name: string, nodeArgs: string[], env: NodeJS.ProcessEnv) => Child;
const plainNode: Launch = (name, nodeArgs, env) => startChild(name, nodeArgs, env);

/** Auth on (no anonymous read), the access log at its default, written to /dev/null, and node's flags as `npm start` gives them. */
export async function startBridge(options: Pick<HttpOptions, 'databasePath' | 'accessLog'>, launch = plainNode, timeoutMs?: number): Promise<Running> {
  const port = await freePort();
  const env = benchEnv({ BRIDGE_DB: options.databasePath, BRIDGE_ACCESS_LOG: String(options.accessLog) });
  const child = launch('bridge', [...startNodeFlags(), CLI, 'serve', '--port', String(port), '--no-demo'], env);
  const base = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(child, `${base}/healthz`, timeoutMs);
  return { child, base };
}

/** (d)'s answer as the bridge writes it, checked to be a whole GetUserPhoto success. */
export async function soapPhotoAnswer(endpoint: string): Promise<{ bytes: Buffer; head: AnswerHead }> {
  const response = await fetch(endpoint, { method: 'POST', headers: SOAP_HEADERS, body: GET_USER_PHOTO });
  const text = await response.text();
  if (response.status !== 200 || !/ResponseClass="Success"/.test(text) || !text.includes('</m:PictureData>'))
    throw new Error(`SOAP GetUserPhoto did not answer the photo (HTTP ${response.status}):\n${text.slice(0, 2000)}`);
  return { bytes: Buffer.from(text), head: headOf(response) };
}

/**
 * A bare server answering `body` under `head`: the same bytes as the bridge's answer, head
 * included, so the load generator parses the same answer from either (four headers more
 * cost autocannon ~4 % of its req/s when it, not the server, sets the pace).
 */
export async function startBareServer(dir: string, name: string, body: Buffer, head: AnswerHead, launch = plainNode, timeoutMs?: number): Promise<Running> {
  const bodyPath = join(dir, `${name}.answer`);
  const headPath = join(dir, `${name}.head.json`);
  writeFileSync(bodyPath, body);
  writeFileSync(headPath, JSON.stringify(head));
  const port = await freePort();
  const child = launch(`bare server (${name})`, [bareServerScript(dir), String(port), bodyPath, headPath], benchEnv({}));
  const base = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(child, base, timeoutMs);
  return { child, base };
}

/**
 * bare-server.ts as plain JavaScript in `dir`, run by node with no loader, as the bridge runs
 * its dist/. Run through tsx until the twenty-seventh session, it was esbuild's output with
 * `keepNames`, which names the closure made for every request with an `Object.defineProperty`
 * per request: 67.4 k instructions an answer under callgrind against 63.7 k as plain
 * JavaScript, a slower reference that flattered every ratio to it.
 */
function bareServerScript(dir: string): string {
  const path = join(dir, 'bare-server.mjs');
  // Both bare servers of a run start from the one script.
  if (existsSync(path)) return path;
  const { outputText } = ts.transpileModule(readFileSync(BARE_SERVER, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(path, outputText);
  return path;
}

async function startNginxServer(dir: string, photoPath: string): Promise<Running> {
  const port = await freePort();
  const child = startNginx(dir, photoPath, port);
  const base = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(child, base);
  return { child, base };
}

/** After the load runs, so the HTTP path is warm and the figure is mostly the miss itself. */
async function fetchEachOtherSize(photoUrl: (size: PhotoSize) => string): Promise<Map<PhotoSize, PhotoFetch>> {
  const cold = new Map<PhotoSize, PhotoFetch>();
  for (const size of PHOTO_SIZES) {
    if (size !== 96) cold.set(size, await fetchPhoto(photoUrl(size), size));
  }
  return cold;
}

/** One authenticated GET, timed to the last byte, checked to be a JPEG of the size asked. */
export async function fetchPhoto(url: string, size: PhotoSize): Promise<PhotoFetch> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: BASIC_AUTHORIZATION } });
  const bytes = Buffer.from(await response.arrayBuffer());
  const ms = performance.now() - started;
  const etag = response.headers.get('etag') ?? '';
  const head = headOf(response);
  if (response.status !== 200) {
    console.error(`bench: ${url} answered ${response.status}: ${bytes.toString('utf8', 0, 200)}`);
    return { ok: false, ms, bytes, etag, head };
  }
  const { format, width, height } = await sharp(bytes).metadata();
  const ok = response.headers.get('content-type') === 'image/jpeg' && format === 'jpeg' && width === size && height === size && etag !== '';
  return { ok, ms, bytes, etag, head };
}

const WRITTEN_BY_NODE = new Set(['content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding']);

function headOf(response: Response): AnswerHead {
  const head: AnswerHead = [];
  response.headers.forEach((value, name) => {
    if (!WRITTEN_BY_NODE.has(name)) head.push([name, value]);
  });
  return head;
}
