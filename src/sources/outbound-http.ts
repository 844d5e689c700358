import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import ipaddr from 'ipaddr.js';
import { BodyInTooManyPieces, BridgeError, clientLeft } from '../domain/errors.js';
import { readBody } from '../http/read-body.js';
import { timeLimit } from './time-limit.js';

export interface OutboundPolicy {
  /** Host names this request may go to: exact names, or `*.domain` for any subdomain. */
  allowedHosts: readonly string[];
  /** Refuse plain http (links handed out by third parties). */
  httpsOnly?: boolean;
  /** Refuse any address that is not public unicast (links handed out by third parties). */
  publicAddressesOnly?: boolean;
  /** PEM of a certificate authority to trust besides the system's (labs and tests). */
  extraCa?: string;
  maxBytes: number;
  timeoutMs: number;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class OutboundRefused extends Error {}

/** The one refusal that is about an answer, not where it is asked for: one person's photo over the size limit. */
export class AnswerTooLarge extends OutboundRefused {}

/**
 * The only way the bridge talks to the outside. Every request is checked against its
 * policy before a byte leaves: the host must be allowed, and — for addresses handed out
 * by third parties — the name must resolve to a public unicast address, checked on the
 * very address connected to (no DNS rebinding). Redirects are never followed, bodies
 * are capped in bytes and time.
 */
export async function outboundRequest(
  url: string,
  policy: OutboundPolicy,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
): Promise<OutboundResponse> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && (policy.httpsOnly || target.protocol !== 'http:')) {
    throw new OutboundRefused(`${target.protocol} URLs are not allowed here`);
  }
  if (!hostAllowed(target.hostname, policy.allowedHosts)) throw new OutboundRefused(`host ${target.hostname} is not allowed`);
  // Node connects to an address literal without calling `lookup`, so it is checked here.
  const literal = bareHost(target.hostname);
  if (policy.publicAddressesOnly && isIP(literal) && !isPublicUnicast(literal)) {
    throw new OutboundRefused(`${literal} is not a public address`);
  }
  const ca = policy.extraCa ? [...rootCertificates, policy.extraCa] : undefined;
  const lookup: LookupFunction | undefined = policy.publicAddressesOnly ? publicOnlyLookup : undefined;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const { signal, end } = timeLimit(policy.timeoutMs, init.signal);

  return new Promise<OutboundResponse>((resolve, reject) => {
    const req = send(target, { method: init.method ?? 'GET', headers: init.headers, lookup, signal, ca }, (res) => {
      // Read as request bodies are: a declared length over the limit is refused before a byte of it, the rest held to it.
      readBody(res, policy.maxBytes, (error, body) => {
        if (!error) return resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        const failed = clientLeft(error)
          ? new Error('the upstream closed the connection before its answer ended')
          : error instanceof BodyInTooManyPieces
            ? new Error('the upstream sent its answer in too many small pieces')
            : error instanceof BridgeError && error.httpStatus === 415
              ? new OutboundRefused(
                  `the answer is sent with Content-Encoding '${String(res.headers['content-encoding']).slice(0, 40)}', which the bridge neither asks for nor reads`,
                )
              : new AnswerTooLarge(`response larger than ${policy.maxBytes} bytes`);
        req.destroy(failed);
        reject(failed);
      });
    });
    req.on('error', reject);
    req.end(init.body);
  }).finally(end);
}

export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const name = bareHost(host);
  return allowed.some((pattern) => {
    // The rules are URLs' hostnames too (upstreamPolicy): a source at http://[::1]:8080/ was refused its own host.
    const rule = bareHost(pattern);
    return rule.startsWith('*.') ? name.endsWith(rule.slice(1)) && name.length > rule.length - 1 : name === rule;
  });
}

/** A host as it is compared: lower case, an IPv6 literal without the brackets a URL writes it in (`[::1]` → `::1`). */
function bareHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, '');
}

/** A resolver that refuses loopback, private, link-local and other non-public addresses. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses;
    const bad = list.find((entry) => !isPublicUnicast(entry.address));
    if (bad || list.length === 0) {
      return callback(new OutboundRefused(`${hostname} resolves to ${bad?.address ?? 'nothing'}, which is not a public address`), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    return callback(null, list[0]!.address, list[0]!.family);
  });
};

/**
 * Public unicast. An IPv6 address that carries an IPv4 address is judged by that IPv4
 * address (by each, when it carries two or its position is not certain): that is where
 * the packet ends up, so `[::127.0.0.1]` is loopback however it is spelled.
 */
export function isPublicUnicast(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  const carried = carriedIPv4(parsed as ipaddr.IPv6);
  return carried ? carried.every((ipv4) => ipv4.range() === 'unicast') : parsed.range() === 'unicast';
}

const octetsAt =
  (...offsets: number[]) =>
  (bytes: readonly number[]): number[] =>
    offsets.map((offset) => bytes[offset]!);

/** The IPv6 forms that carry an IPv4 address, and where in the 16 bytes it sits. */
const IPV4_CARRIERS: readonly { range: [ipaddr.IPv6, number]; ipv4: readonly ((bytes: readonly number[]) => number[])[] }[] = [
  // IPv4-compatible (RFC 4291, deprecated; :: and ::1 carry 0.0.0.0/8, which is not public either)
  { range: ipaddr.IPv6.parseCIDR('::/96'), ipv4: [octetsAt(12, 13, 14, 15)] },
  // IPv4-mapped (RFC 4291)
  { range: ipaddr.IPv6.parseCIDR('::ffff:0:0/96'), ipv4: [octetsAt(12, 13, 14, 15)] },
  // IPv4-translated (RFC 6145)
  { range: ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96'), ipv4: [octetsAt(12, 13, 14, 15)] },
  // NAT64 well-known prefix (RFC 6052)
  { range: ipaddr.IPv6.parseCIDR('64:ff9b::/96'), ipv4: [octetsAt(12, 13, 14, 15)] },
  // NAT64 local-use prefix (RFC 8215): the operator's prefix length, /48 to /96, decides where
  // the IPv4 address sits (RFC 6052 §2.2, skipping bits 64–71), so every such position must be public.
  {
    range: ipaddr.IPv6.parseCIDR('64:ff9b:1::/48'),
    ipv4: [octetsAt(6, 7, 9, 10), octetsAt(7, 9, 10, 11), octetsAt(9, 10, 11, 12), octetsAt(12, 13, 14, 15)],
  },
  // 6to4 (RFC 3056): 2002:AABB:CCDD::/48
  { range: ipaddr.IPv6.parseCIDR('2002::/16'), ipv4: [octetsAt(2, 3, 4, 5)] },
  // Teredo (RFC 4380): the server's address, and the client's stored with every bit inverted
  {
    range: ipaddr.IPv6.parseCIDR('2001::/32'),
    ipv4: [octetsAt(4, 5, 6, 7), (bytes) => octetsAt(12, 13, 14, 15)(bytes).map((octet) => octet ^ 0xff)],
  },
];

function carriedIPv4(address: ipaddr.IPv6): ipaddr.IPv4[] | undefined {
  const form = IPV4_CARRIERS.find(({ range }) => address.match(range));
  const bytes = address.toByteArray();
  return form?.ipv4.map((read) => new ipaddr.IPv4(read(bytes)));
}
