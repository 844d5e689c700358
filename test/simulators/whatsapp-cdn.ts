import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pngBomb } from '../support/sample-images.js';
import { makeSelfSignedCertificate } from '../support/self-signed.js';

type CdnFault = 'redirect' | 'huge' | 'garbage' | 'bomb' | 'slow' | 'dead';

export interface CdnRequest {
  path: string;
  headers: IncomingHttpHeaders;
}

/**
 * WhatsApp's media CDN (pps.whatsapp.net) as the gateways' links use it: https, links
 * shaped like the docs' example (PlugChat docs/chats/get-metadata-chat.md:
 * `/v/t61.24694-24/…_n.jpg?ccb=11-4&oh=…&oe=60C179E2`, `oe` the expiry as hex Unix
 * seconds) that die 48 hours after they are handed out ("fica disponível por apenas 48
 * horas", Z-API docs/contacts/get-profile-picture.md) with 403. Listens on 127.0.0.1 with
 * a certificate made for the run, which `caFile` holds.
 */
export interface WhatsappCdn {
  /** https://127.0.0.1:port */
  origin: string;
  caFile: string;
  /** Profile photos by phone (digits). */
  photos: Map<string, Buffer>;
  /** Every request, with its headers, to prove what was (not) sent. */
  requests: CdnRequest[];
  fault: CdnFault | undefined;
  /** A fresh signed link to a phone's photo, as a gateway hands out; undefined without one. */
  linkFor(phone: string): string | undefined;
  /** Moves the CDN's clock 48 hours on: every link handed out so far now answers 403. */
  expireLinks(): void;
  close(): Promise<void>;
}

const HUGE_BYTES = 4 * 1024 * 1024;
/**
 * Made as the module loads, before any test runs (as photo-faults' BOMB): made on the first
 * 'bomb' answered, it held the test process's event loop 837 ms while the bridge waited on
 * its source timeout. Every file that loads this module starts the CDN, so none pays for nothing.
 */
const BOMB = pngBomb(30_000, 30_000);
const LINK_LIFETIME_SECONDS = 48 * 3600;

export async function startWhatsappCdn(): Promise<WhatsappCdn> {
  const dir = mkdtempSync(join(tmpdir(), 'epb-cdn-'));
  const { keyFile, certFile: caFile } = makeSelfSignedCertificate(dir, { name: 'cdn', commonName: 'localhost', altNames: 'IP:127.0.0.1,DNS:localhost' });

  let clockSeconds = Math.floor(Date.now() / 1000);
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (req, res) => {
    cdn.requests.push({ path: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', cdn.origin);
    const match = /^\/v\/t61\.24694-24\/(\d+)_n\.jpg$/.exec(url.pathname);
    const photo = match && cdn.photos.get(match[1]!);
    if (!photo) return res.writeHead(404).end('URL not found');
    if (cdn.fault === 'dead' || parseInt(url.searchParams.get('oe') ?? '0', 16) <= clockSeconds) return res.writeHead(403).end('URL signature expired');
    switch (cdn.fault) {
      case 'redirect':
        return res.writeHead(302, { location: `${cdn.origin}/internal/metadata` }).end();
      case 'huge':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        return writeHuge(res);
      case 'garbage':
        return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.from('this is not an image at all, just text bytes'));
      case 'bomb':
        return res.writeHead(200, { 'content-type': 'image/png' }).end(BOMB);
      case 'slow':
        return void setTimeout(() => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo), 5000);
      default:
        return res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length }).end(photo);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const cdn: WhatsappCdn = {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caFile,
    photos: new Map(),
    requests: [],
    fault: undefined,
    linkFor: (phone) =>
      cdn.photos.has(phone)
        ? `${cdn.origin}/v/t61.24694-24/${phone}_n.jpg?ccb=11-4&oh=01_signature&oe=${(clockSeconds + LINK_LIFETIME_SECONDS).toString(16).toUpperCase()}`
        : undefined,
    expireLinks: () => {
      clockSeconds += LINK_LIFETIME_SECONDS;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cdn;
}

/** Streams until the client hangs up or HUGE_BYTES are sent. */
function writeHuge(res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 0xff);
  let sent = 0;
  const pump = () => {
    while (sent < HUGE_BYTES && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('error', () => {});
  pump();
}
