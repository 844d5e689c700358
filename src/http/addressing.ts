import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import { FORWARDED_HEADERS, isHost, TrustedProxies, type ForwardedHeader } from './trusted-proxy.js';

interface AddressingOptions {
  /** BRIDGE_PUBLIC_URL without a trailing slash; empty when not configured. */
  publicUrl: string;
  /** BRIDGE_TRUSTED_PROXIES. */
  trustedProxies: string;
  /** BRIDGE_FORWARDED_HEADER; X-Forwarded-For when not given. */
  forwardedHeader?: ForwardedHeader;
  /** Whether the bridge itself speaks TLS: the scheme a direct client used. */
  tls: boolean;
  /** Told once when a trusted proxy names its clients in another header than the one read. */
  warn?: (message: string) => void;
}

/**
 * The headers by which proxies say whose request they pass on: the standard two, and the
 * ones common recipes set alone (nginx's `proxy_set_header X-Real-IP`, CDNs' own, Fastly's,
 * Envoy's, ingress-nginx's copy of the original chain, and the older X-Forwarded and
 * Forwarded-For). A request that carries one came through a proxy, whatever its peer.
 */
const FORWARDING_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'fastly-client-ip',
  'x-envoy-external-address',
  'x-original-forwarded-for',
  'x-forwarded',
  'forwarded-for',
];

/**
 * Where a request came from and which URL it reached: the client address (the one logged
 * and throttled) and the base of every absolute URL the bridge hands out (the WSDL's
 * soap:address, Autodiscover's EWS and photo URLs, Graph's @odata.context).
 */
export class Addressing {
  private readonly proxies: TrustedProxies;
  private readonly ownScheme: 'http' | 'https';
  private readonly forwardedHeader: ForwardedHeader;
  private warnOnce: ((message: string) => void) | undefined;

  constructor(private readonly options: AddressingOptions) {
    this.forwardedHeader = options.forwardedHeader ?? 'x-forwarded-for';
    this.proxies = new TrustedProxies(options.trustedProxies, this.forwardedHeader);
    this.ownScheme = options.tls ? 'https' : 'http';
    this.warnOnce = options.warn;
  }

  /** Made once per request, the hot path included: without trusted proxies it is the peer, read as is. */
  clientAddress(req: IncomingMessage): string {
    if (this.proxies.isEmpty) return req.socket.remoteAddress ?? '';
    if (this.warnOnce && req.headers[this.forwardedHeader] === undefined) this.warnOfOtherHeader(req);
    return this.proxies.clientAddress(req);
  }

  /**
   * A proxy that names its clients in another header than BRIDGE_FORWARDED_HEADER's (nginx's
   * X-Real-IP recipe, a bridge upgraded from one that read every header) makes every client
   * behind it the proxy: one login throttle for all, one address in the log. Said once, with
   * the setting that mends it.
   */
  private warnOfOtherHeader(req: IncomingMessage): void {
    if (!this.proxies.forwardedByTrusted(req)) return;
    const other = FORWARDING_HEADERS.find((name) => req.headers[name] !== undefined);
    if (other === undefined) return;
    const settable = (FORWARDED_HEADERS as readonly string[]).includes(other) ? `; if that proxy sets it, BRIDGE_FORWARDED_HEADER=${other}` : '';
    this.warnOnce?.(
      `a trusted proxy (${req.socket.remoteAddress ?? ''}) sent ${other} but no ${this.forwardedHeader}, the header read (BRIDGE_FORWARDED_HEADER): its clients are all taken for the proxy${settable}`,
    );
    this.warnOnce = undefined;
  }

  /** Whether the peer is a trusted proxy: what it says of the request (its client, its X-Request-Id) is believed. */
  fromTrustedProxy(req: IncomingMessage): boolean {
    return this.proxies.forwardedByTrusted(req);
  }

  /**
   * Whether the request may come from another client than the address it is taken for: it
   * names one in a forwarding header the bridge does not read (from a peer not trusted, any;
   * from a trusted proxy, any but BRIDGE_FORWARDED_HEADER's — nginx's X-Real-IP recipe in front
   * of a bridge reading X-Forwarded-For makes every client the proxy itself), or in the one it
   * reads none it can tell (TrustedProxies.hidesClient).
   */
  clientUntold(req: IncomingMessage): boolean {
    const { headers } = req;
    const trusted = this.proxies.forwardedByTrusted(req);
    const read = trusted ? this.forwardedHeader : undefined;
    return FORWARDING_HEADERS.some((name) => name !== read && headers[name] !== undefined) || (trusted && this.proxies.hidesClient(req));
  }

  /**
   * The URL the client reached the bridge at, without a trailing slash: the configured
   * public URL; else the scheme and host a trusted proxy forwarded, each falling back to
   * the bridge's own scheme and the Host header, and without a Host (HTTP/1.0, or the empty
   * one RFC 9110 §7.2 allows) the address and port the client connected to, as IIS names
   * the server then; undefined when no usable host is known.
   */
  baseUrl(req: IncomingMessage): string | undefined {
    if (this.options.publicUrl !== '') return this.options.publicUrl;
    const forwarded = this.proxies.forwardedOrigin(req);
    const host = forwarded?.host ?? (req.headers.host || connectedHost(req));
    if (host === undefined || !isHost(host)) return undefined;
    // As a URL writes its origin: the host in lower case, the scheme's default port left out (`EVIL.Example:0080`, `[::1]:80` were written as sent).
    return new URL(`${forwarded?.proto ?? this.ownScheme}://${host}`).origin;
  }
}

/** The local address and port of the request's connection as a Host names them (`[::1]:8080`, `127.0.0.1:8080`); undefined off the network. */
function connectedHost(req: IncomingMessage): string | undefined {
  const { localAddress, localPort } = req.socket;
  if (localAddress === undefined || localPort === undefined || !ipaddr.isValid(localAddress)) return undefined;
  // A dual-stack listener sees an IPv4 client's connection as `::ffff:127.0.0.1`.
  const address = ipaddr.process(localAddress);
  return address.kind() === 'ipv6' ? `[${address.toString()}]:${localPort}` : `${address.toString()}:${localPort}`;
}

/** For a request that reached the bridge directly over plain HTTP, with nothing configured. */
export const DIRECT = new Addressing({ publicUrl: '', trustedProxies: '', tls: false });

/**
 * What a client address is counted as, by login throttling and a stranger's turns: an IPv4
 * address as itself (also written as IPv6, `::ffff:192.0.2.1`), an IPv6 address as its
 * /64. One host or home line is given a whole /64 (RFC 6177): counted by full address, a
 * guesser had 2^64 fresh addresses.
 */
export function clientNetwork(address: string): string {
  return prefixOf(address, 64);
}

/**
 * The site a client address is in, for sharing what every client waits for (the password
 * hashing queue): an IPv4 address as itself, an IPv6 address as its /48, what one site is
 * commonly given (RFC 6177 §2). A guesser with a /56 had 256 networks of its own.
 */
export function clientSite(address: string): string {
  return prefixOf(address, 48);
}

/**
 * An address as the prefix of `ipv6Length` bits it is in (PREFIX_OF_RANGE for those that carry
 * an IPv4 address), or an IPv4 address as itself, a Teredo client's as its IPv4 address.
 */
function prefixOf(address: string, ipv6Length: number): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const ipv6 = parsed as ipaddr.IPv6;
  if (ipv6.range() === 'teredo') return teredoClientOf(ipv6);
  const length = PREFIX_OF_RANGE[ipv6.range()] ?? ipv6Length;
  // Whole 16-bit parts of the prefix, the rest zero: every prefix counted by is a multiple of 16.
  const parts = ipv6.parts.map((part, i) => (i < length / 16 ? part : 0));
  return `${new ipaddr.IPv6(parts).toString()}/${length}`;
}

/**
 * Where an IPv6 address is not its host's /64. A translator (NAT64's 64:ff9b::/96, SIIT's
 * ::ffff:0:0/96) gives each IPv4 client an address of its own within one /64: counted by
 * that, one guesser locked out every IPv4 user behind it. 6to4 gives an IPv4 address a /48.
 */
const PREFIX_OF_RANGE: Partial<Record<string, number>> = { rfc6052: 128, rfc6145: 128, '6to4': 48 };

/**
 * A Teredo address's client, as the IPv4 address its NAT showed the Teredo server: the last 32
 * bits, each inverted (RFC 4380 §4). Its /64 is the server's (2001:0:server's IPv4), shared by
 * every client of that server: counted by it, one guesser locked them all out.
 */
function teredoClientOf(ipv6: ipaddr.IPv6): string {
  const high = ipv6.parts[6]! ^ 0xffff;
  const low = ipv6.parts[7]! ^ 0xffff;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]).toString();
}
