import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * Where a URL setting may use plain http: `anywhere` (a source's upstream, an on-site server
 * without TLS: the start-up warns that its credentials cross in clear), or `loopback`, this host
 * only (the key set that verifies bearer tokens: read over http from elsewhere, it could be
 * swapped on the way for one that signs any token the swapper likes).
 */
export type PlainHttp = 'anywhere' | 'loopback';

/**
 * Why a URL's scheme will not do, or undefined; the value is one the URL parser takes. The
 * scheme is read as written, `//` and all: any other was taken (`htps://`, `file:`, `ldap:`)
 * and failed only when the URL was asked — each bearer request a 503, after a start that said
 * nothing — and the parser also takes `https:host`, which makes broken URLs written as given.
 */
export function httpSchemeProblem(value: string, plainHttp: PlainHttp): string | undefined {
  const scheme = /^(https?):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (plainHttp === 'anywhere') return scheme === undefined ? 'must start with https:// (or http://)' : undefined;
  if (scheme === 'https' || (scheme === 'http' && isLoopbackHost(new URL(value).hostname))) return undefined;
  return 'must start with https:// (http:// only to this host: localhost, 127.0.0.1, [::1])';
}

/** A URL setting the bridge fetches from: a URL, of a scheme `plainHttp` allows, blanks around it dropped. */
export function httpUrl(plainHttp: PlainHttp = 'anywhere') {
  return z
    .string()
    .trim()
    .superRefine((value, context) => {
      const problem = URL.canParse(value) ? httpSchemeProblem(value, plainHttp) : 'not a URL (e.g. https://host.example/path)';
      if (problem) context.addIssue({ code: 'custom', message: problem });
    });
}

/** `localhost` (RFC 6761 §6.3: it names this host) or a loopback address, as a URL's hostname writes it (`[::1]`). */
function isLoopbackHost(hostname: string): boolean {
  const address = hostname.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(address)) return hostname === 'localhost';
  return ipaddr.process(address).range() === 'loopback';
}
