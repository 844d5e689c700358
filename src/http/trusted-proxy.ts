import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { AddressList } from './address-list.js';

/** The scheme and host a client used, as the proxy in front of the bridge saw them. */
interface ForwardedOrigin {
  proto?: 'http' | 'https';
  host?: string;
}

/**
 * The header a trusted proxy names the client in, as BRIDGE_FORWARDED_HEADER holds it:
 * `X-Forwarded-For` (with `-Proto` and `-Host`), which nginx, HAProxy's `option forwardfor`
 * and the cloud load balancers set; `Forwarded` (RFC 7239); or `X-Real-IP` alone, nginx's
 * `proxy_set_header X-Real-IP $remote_addr` recipe.
 */
export const FORWARDED_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;
export type ForwardedHeader = (typeof FORWARDED_HEADERS)[number];

/**
 * The reverse proxies whose word is believed. A request from one of them may say who the
 * client was and which URL it used, in the one header the operator names; from any other
 * peer those headers are ignored: anyone can write them. Only that one is read, because a
 * proxy passes on the headers it does not set as the client wrote them: read first, a
 * `Forwarded: for=…` a client sent through HAProxy, which sets only X-Forwarded-For, picked
 * its own address (a login throttle of its own per request, /metrics as loopback) and host.
 */
export class TrustedProxies {
  private readonly proxies: AddressList;

  /** `list`: addresses and CIDRs, as BRIDGE_TRUSTED_PROXIES holds them. */
  constructor(
    list: string,
    private readonly header: ForwardedHeader = 'x-forwarded-for',
  ) {
    this.proxies = new AddressList(list);
  }

  get isEmpty(): boolean {
    return this.proxies.isEmpty;
  }

  /** Whether the request came straight from a trusted proxy. */
  forwardedByTrusted(req: IncomingMessage): boolean {
    return !this.proxies.isEmpty && this.proxies.includes(req.socket.remoteAddress ?? '');
  }

  /**
   * Who sent the request: the peer, unless it is a trusted proxy; then the forwarded chain
   * is walked back from the proxy, and the first address that is not itself a trusted proxy
   * is the client. An entry that is no address (`unknown`, an obfuscated name) ends the
   * walk at the last hop that can be told.
   */
  clientAddress(req: IncomingMessage): string {
    const peer = req.socket.remoteAddress ?? '';
    if (!this.forwardedByTrusted(req)) return peer;
    const chain = forwardedFor(req, this.header);
    const hop = this.clientHop(chain);
    return hop < 0 ? peer : chain[chain.length - 1 - hop]!;
  }

  /**
   * Whether a trusted proxy's request has the header read, but no client it can tell: an
   * empty value, a repeated X-Real-IP, `for=unknown` or an obfuscated `for=_hidden` (RFC 7239
   * §6) where the walk would find the client. Its client is then taken for the last hop that
   * can be told, often the proxy itself, which it is not.
   */
  hidesClient(req: IncomingMessage): boolean {
    if (!this.forwardedByTrusted(req) || req.headers[this.header] === undefined) return false;
    const chain = forwardedFor(req, this.header);
    const hop = this.clientHop(chain);
    const at = chain.length - 1 - hop;
    return hop < 0 || (at > 0 && chain[at - 1] === undefined && this.proxies.includes(chain[at]!));
  }

  /** How far from the right of the chain the client's entry is (0: the last); -1 when none is, the peer being the client. */
  private clientHop(chain: readonly (string | undefined)[]): number {
    let hop = -1;
    for (let i = chain.length - 1; i >= 0; i--) {
      const next = chain[i];
      if (next === undefined) break;
      hop = chain.length - 1 - i;
      if (!this.proxies.includes(next)) break;
    }
    return hop;
  }

  /**
   * The scheme and host the client used, as the proxy that faced it wrote them: the entry
   * as far from the right as the client's own in the chain (clientHop), never one left of it,
   * which the client wrote itself — the address was read so, and the host had been read from
   * the first entry (`Forwarded: host=evil.example, for=…;host=photos…` gave evil.example URLs).
   * Undefined when the peer is no trusted proxy. A value that is not http/https or not a plain
   * host[:port] is left out, so it cannot bend a URL built from it.
   */
  forwardedOrigin(req: IncomingMessage): ForwardedOrigin | undefined {
    if (!this.forwardedByTrusted(req)) return undefined;
    const hop = this.clientHop(forwardedFor(req, this.header));
    const element = this.header === 'forwarded' ? entryAt(parseForwarded(req.headers.forwarded ?? ''), hop) : undefined;
    const proto = (element ? element.get('proto') : entryAt(listOf(req.headers['x-forwarded-proto']), hop))?.toLowerCase();
    const host = element ? element.get('host') : entryAt(listOf(req.headers['x-forwarded-host']), hop);
    return {
      ...(proto === 'http' || proto === 'https' ? { proto } : {}),
      ...(host !== undefined && isHost(host) ? { host } : {}),
    };
  }
}

/**
 * The entry `hop` from the right of a list proxies append to; the first when the list is
 * shorter (a proxy that sets the header rather than appending to it), every entry of it then
 * a trusted proxy's.
 */
function entryAt<T>(list: readonly T[], hop: number): T | undefined {
  return list[Math.max(0, list.length - 1 - Math.max(hop, 0))];
}

/**
 * A host name or [IPv6 literal], and a port: nothing that could bend the URLs built from it.
 * A label may hold `_` (RFC 3986's reg-name does, and IIS takes it): a container reached by its
 * service name (`ews_bridge:8080`) was refused 400, health checks too.
 */
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * A DNS name is at most 253 characters; with `:65535`, 259. Longer, a Host was 15 KB, and
 * Autodiscover, which writes it into up to 600 URLs of one answer, made 9 MB of it.
 */
const MAX_HOST_LENGTH = 259;

export function isHost(value: string): boolean {
  // The pattern lets through what WHATWG URL rejects (a port over 65535, `[1]`), and every
  // absolute URL the bridge hands out is built on this host.
  return value.length <= MAX_HOST_LENGTH && HOST.test(value) && URL.canParse(`http://${value}`);
}

/**
 * The chain of client addresses in `header`, the client first; undefined where an entry is
 * no IP address. X-Real-IP is one address, the proxy's peer; repeated, Node joins its fields
 * with commas, and a list is no address.
 */
function forwardedFor(req: IncomingMessage, header: ForwardedHeader): (string | undefined)[] {
  const value = req.headers[header];
  if (value === undefined) return [];
  if (header === 'forwarded') return parseForwarded(String(value)).map((element) => addressOf(element.get('for') ?? ''));
  if (header === 'x-forwarded-for') return listOf(value).map(addressOf);
  return typeof value === 'string' ? [addressOf(value.trim())] : [];
}

/**
 * `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::17]:4711"` → one map per element,
 * keys in lower case, quotes removed. Several Forwarded headers arrive joined by commas. The
 * header is cut into elements at every comma first, so that each is read from its own text
 * alone: read as one run, a client's unclosed quote (`for=1.1.1.1;x="`) went on into the
 * proxy's own element, and the two read as one the client wrote — its address and host. A
 * quoted comma (which no address or host holds) makes both halves unreadable.
 */
function parseForwarded(header: string): Map<string, string>[] {
  return header.split(',').map(parseForwardedElement);
}

/** One element's pairs; none when a quote in it is left open, which no proxy writes. */
function parseForwardedElement(text: string): Map<string, string> {
  const element = new Map<string, string>();
  if ((text.replace(/\\./g, '').match(/"/g)?.length ?? 0) % 2 !== 0) return element;
  for (const [, key, quoted, plain] of text.matchAll(FORWARDED_PAIR)) {
    element.set(key!.toLowerCase(), quoted === undefined ? plain! : quoted.replace(/\\(.)/g, '$1'));
  }
  return element;
}

/**
 * A `key=value` pair, its value quoted or not. A key starts only where no token character
 * precedes it: tried from inside a long token without `=`, the match scanned the rest of it
 * from each start, quadratic (16 KB of one token: 0.5 s). Every quote is closed (above), so
 * a quoted value is scanned to its own end only.
 */
const FORWARDED_PAIR = /(?<![\w-])([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;

/** An address as proxies write it — bare, `1.2.3.4:port`, `[v6]` or `[v6]:port` — without port or brackets. */
function addressOf(node: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(node);
  const address = bracketed ? bracketed[1]! : isIP(node) ? node : node.replace(/:\d+$/, '');
  return isIP(address) ? address : undefined;
}

/** A header's comma-separated entries, over all its fields, blanks trimmed. */
function listOf(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return [header]
    .flat()
    .join(',')
    .split(',')
    .map((entry) => entry.trim());
}
