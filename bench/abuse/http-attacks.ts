import type { RunningBridge } from './bridges.js';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { MADE_AT_ONCE, MADE_WAITING } from '../../src/http/caller-turns.js';
import { MAX_UNANSWERED_PER_CONNECTION } from '../../src/http/front-server.js';
import { BATCH_MAX_REQUESTS, BATCHES_PER_ACCOUNT } from '../../src/rest/graph-batch-route.js';
import { SEARCHES_AT_ONCE } from '../../src/http/search-budget.js';
import { tally } from '../../test/abuse/ews-answer.js';
import { attributesSpread, EXCHANGE_USER_SETTINGS, findItem, getUserSettings, ONE_MIB, unknownSettings } from '../../test/abuse/hostile-bodies.js';
import { EXIF_LOOP_POINTERS, exifLoop, jpegWithExif } from '../../test/abuse/hostile-images.js';
import { statusWithBodyHeld } from '../../test/abuse/held-body.js';
import { rawRequest } from '../../test/abuse/raw-request.js';
import {
  animatedGif,
  animatedWebp,
  avifDeclaring,
  avifGrid,
  avifWithAlpha,
  nestedUseSvg,
  oneColourGif,
  tallPngStrip,
  withRepeatedLastScan,
  withScansBehindStuffedZeros,
  withStrayByte,
} from '../../test/support/shape-bombs.js';
import { BASIC_AUTHORIZATION, BENCH_USER, photoLikeJpeg } from '../fixture.js';
import { check, flood, readAnswer, soap, statusIs, summary, type Attack, type AttackResult, type Check, type ReadAnswer } from './attack.js';
import { ADDRESS_BOOK, ADDRESS_BOOK_AUTHORIZATION, ADMIN_AUTHORIZATION, importControlCharacterName, importLargeVcard21Photo } from './fixture.js';
import { waitOutBackOff } from './soap-attacks.js';
import { GRAPH_USER } from '../../src/rest/graph-types.js';
import { TRANSLATE_MAX_IDS } from '../../src/rest/graph-translate-ids.js';

const THIRTY_MB = 30 * 1024 * 1024;
const HELD_BODIES = 300;
/** Fewer than one address's connection cap, so none is closed for that. */
const LOGGED_IN_HELD_BODIES = 200;
/** The bridge's default BRIDGE_EWS_BODY_BYTES_PER_ACCOUNT; the abuse run does not change it. */
const DEFAULT_BODY_BYTES_PER_ACCOUNT = 16 * ONE_MIB;
/** The bridge's default BRIDGE_MAX_CONNECTIONS_PER_CLIENT; the abuse run does not change it. */
const CONNECTIONS_PER_CLIENT = 256;
/** Pipelined requests written at once on each connection, whose answers are never read. */
const PIPELINED = { connections: 10, requests: 450 };
const CONVERSIONS = { count: 96, concurrency: 48 };
/** Graph batches of distinct uncached conversions: each batch a full one, as many at once as one account may have. */
const BATCHES = { count: 12, concurrency: BATCHES_PER_ACCOUNT };
/** Graph batches of twenty pages of contacts each, all at once from one login. */
const PAGE_BATCHES = { count: 60 };

/**
 * Writes `count` requests in one piece, never reads; resolves, once the server closes the
 * connection (or 10 s pass), with the answers it began. `halfClose`: the client's side is
 * shut right after them, which the bridge answers before it closes (front-server.ts).
 */
async function pipelinedUnread(port: number, count: number, halfClose = false): Promise<number> {
  const requests = 'GET /api/openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n'.repeat(count);
  const received = await receivedUntilClosed(port, 10_000, (socket) => (halfClose ? socket.end(requests) : socket.write(requests)));
  return received.split('HTTP/1.1 ').length - 1;
}

/**
 * Sends a request without a login (by default a SOAP one) whose 1 MiB body comes in one-byte
 * chunks, 6 MB on the wire in one go, and resolves with the status answered (0: none) and
 * whether the bridge closed the connection within 30 s.
 */
async function oneByteChunks(port: number, requestLine = 'POST /EWS/Exchange.asmx'): Promise<{ status: number; closed: boolean }> {
  let closed = false;
  const received = await receivedUntilClosed(port, 30_000, (socket) => {
    socket.once('close', () => (closed = true));
    socket.write(`${requestLine} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n`);
    socket.write(ONE_BYTE_CHUNKS);
  });
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0), closed };
}

/** What the server sends on a raw connection `send` writes to, until it closes it (or `timeoutMs` pass). */
function receivedUntilClosed(port: number, timeoutMs: number, send: (socket: Socket) => void): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.once('close', done);
    send(socket);
  });
}
const ONE_BYTE_CHUNKS = Buffer.from('1\r\na\r\n'.repeat(ONE_MIB));

/** Graph contact pages asked at once by one login, each for the most $top allows. */
const GRAPH_PAGES = { count: 40 };
/**
 * The most a Graph contact page holds, and a generous size of one contact of the address
 * book in JSON: every property of Graph's contact resource, the empty ones too (~980 bytes).
 */
const GRAPH_PAGE_MAX = 250;
const GRAPH_CONTACT_BYTES = 1200;
/** The most contacts a Graph delta page holds. */
const GRAPH_DELTA_PAGE_MAX = 200;
const URL_FLOOD = { count: 10_000, concurrency: 32 };
/** 4990 elements of 32 attributes: just within the reader's limits, so each is read to the end. */
const UNAUTHENTICATED_DENSE = { count: 50, concurrency: 4, attributes: 4990 * 32 };
/** Distinct small envelopes, each with a tree inside a folder id: the memo of read envelopes counts their bytes. */
const REMEMBERED_TREES = { count: 5000, concurrency: 8, padding: 150 };

/**
 * Each body all but its last byte, held back: a server that read before it authenticated
 * held them all — and, with anonymous read on, one that read every stranger's body in
 * full (800 connections: 139 → 968 MB).
 */
export function unauthenticatedHeldBodies(): Attack {
  return {
    name: `${HELD_BODIES} unauthenticated 1 MiB SOAP bodies held open`,
    async run(bridge) {
      const port = Number(new URL(bridge.base).port);
      const refusedBefore = await perClientRefusals(bridge);
      const statuses = await Promise.all(
        Array.from({ length: HELD_BODIES }, () => statusWithBodyHeld(port, '/EWS/Exchange.asmx', { 'content-type': 'text/xml' }, ONE_MIB, ONE_MIB - 1)),
      );
      const refused = statuses.filter((status) => status === 401).length;
      const closed = statuses.filter((status) => status === 0).length;
      const capped = (await perClientRefusals(bridge)) - refusedBefore;
      return {
        status: tally(statuses),
        ewsCode: '',
        bytes: 0,
        // A connection answered 401 is closed by this client at once, so later ones may take its place: how many met the cap depends on the pace.
        note: `a status of 0: closed unanswered, past the ${CONNECTIONS_PER_CLIENT} connections one address may hold`,
        checks: [
          check(`each answered 401 or closed at once (${refused} and ${closed})`, refused + closed === HELD_BODIES),
          check(`each one closed unanswered met the per-client cap (${capped} counted)`, capped === closed),
        ],
      };
    },
  };
}

/** Requests sent one after another, each with one Forwarded token that fills what node reads of a request's headers (16 KB). */
const LONG_FORWARDED = { count: 20, tokenBytes: 15 * 1024 };

/**
 * Behind a trusted proxy whose Forwarded is read, which appends to a client's: one 15 KB token without `=`.
 * The parser tried a key from each of its letters, 0.5 s of the event loop per request.
 */
export const longForwardedTokens: Attack = {
  name: `${LONG_FORWARDED.count} requests with Forwarded: a ${LONG_FORWARDED.tokenBytes / 1024} KB token without =, no login`,
  async run(bridge) {
    const headers = { forwarded: `${'a'.repeat(LONG_FORWARDED.tokenBytes)};for=192.0.2.60` };
    const statuses: number[] = [];
    let bytes = 0;
    for (let i = 0; i < LONG_FORWARDED.count; i++) {
      const answer = await rawRequest(`${bridge.base}/ews/exchange.asmx/s/GetUserPhoto?email=${BENCH_USER.email}&size=HR96x96`, { headers });
      statuses.push(answer.status);
      bytes += answer.body.length;
    }
    return {
      status: tally(statuses),
      ewsCode: '',
      bytes,
      checks: [
        check(
          `each 401 (${tally(statuses)})`,
          statuses.every((status) => status === 401),
        ),
      ],
    };
  },
};

/** Attacks on the HTTP front door, the store and the CLI, against the main bridge. */
export function httpAttacks(dir: string, databasePath: string, photoPath: string): Attack[] {
  return [
    {
      name: 'CLI import of a name with U+0001',
      async run() {
        const { status, stderr } = await importControlCharacterName(dir, databasePath);
        return {
          status: `exit ${status}`,
          ewsCode: '',
          bytes: 0,
          note: stderr.trim().split('\n')[0],
          checks: [check(`the import is refused (exit ${status})`, status !== 0)],
        };
      },
    },
    {
      name: 'CLI contacts import: vCard 2.1 with a 2.5 MB photo in 47,000 folded lines',
      async run() {
        const { status, stderr } = await importLargeVcard21Photo(dir, databasePath);
        return {
          status: `exit ${status}`,
          ewsCode: '',
          bytes: 0,
          note: stderr.trim().split('\n')[0],
          checks: [check(`the contact is imported (exit ${status}, within the CLI's 60 s)`, status === 0)],
        };
      },
    },
    {
      name: 'admin PUT while another process holds the write lock',
      async run(bridge) {
        const holder = new Database(databasePath);
        holder.pragma('busy_timeout = 5000');
        holder.exec('BEGIN IMMEDIATE');
        try {
          const answer = readAnswer(
            await rawRequest(`${bridge.base}/admin/users/${BENCH_USER.email}/photo`, {
              method: 'PUT',
              headers: { authorization: ADMIN_AUTHORIZATION, 'content-type': 'image/jpeg' },
              body: readFileSync(photoPath),
            }),
          );
          const retryAfter = answer.headers['retry-after'];
          return summary(answer, [
            statusIs(answer, 503),
            check(`Retry-After (was ${retryAfter})`, retryAfter !== undefined),
            check('ErrorServerBusy', answer.codes[0] === 'ErrorServerBusy'),
          ]);
        } finally {
          holder.exec('ROLLBACK');
          holder.close();
        }
      },
    },
    urlFlood(14 * 1024, 414),
    // Past node:http's 16 KiB head: refused by its parser, still as a URL too long.
    urlFlood(64 * 1024, 414),
    // Just under the URL limit: answered 401, and the memo of parsed queries must not keep them.
    urlFlood(4000, 401),
    {
      // The envelope is read before the caller is known (the operation decides which login it needs).
      name: `${UNAUTHENTICATED_DENSE.count} unauthenticated densest envelopes`,
      async run(bridge) {
        const body = attributesSpread(UNAUTHENTICATED_DENSE.attributes, 'x');
        const result = await flood(UNAUTHENTICATED_DENSE.count, UNAUTHENTICATED_DENSE.concurrency, () => soap(bridge, body, { authorization: null }));
        return floodResult(
          result,
          401,
          `${body.length} bytes, ${UNAUTHENTICATED_DENSE.attributes} attributes in ${Math.ceil(UNAUTHENTICATED_DENSE.attributes / 32)} elements each, ${UNAUTHENTICATED_DENSE.concurrency} at a time`,
        );
      },
    },
    unauthenticatedHeldBodies(),
    {
      // One login parked a 1 MiB body on each of 256 connections (256 MiB) for up to the request timeout.
      name: `one login: ${LOGGED_IN_HELD_BODIES} 1 MiB SOAP bodies held open`,
      async run(bridge) {
        const port = Number(new URL(bridge.base).port);
        await soap(bridge, findItem(1, '')); // the login checked once, so the held requests find it remembered
        const statuses = await Promise.all(
          Array.from({ length: LOGGED_IN_HELD_BODIES }, () =>
            statusWithBodyHeld(port, '/EWS/Exchange.asmx', { 'content-type': 'text/xml', authorization: BASIC_AUTHORIZATION }, ONE_MIB, ONE_MIB - 1, 3000),
          ),
        );
        const held = statuses.filter((status) => status === 0).length;
        const refused = statuses.filter((status) => status === 500).length;
        const budget = DEFAULT_BODY_BYTES_PER_ACCOUNT / ONE_MIB;
        return {
          status: tally(statuses),
          ewsCode: '',
          bytes: 0,
          note: 'a status of 0: held, waiting for the rest of its body; 500: ErrorExceededConnectionCount, unread',
          checks: [
            check(`at most ${budget} held (${held})`, held <= budget),
            check(`the others refused at once (${refused})`, refused === LOGGED_IN_HELD_BODIES - held),
          ],
        };
      },
    },
    {
      // Each page sorted the whole mailbox and was made in one turn: 40 at once kept /healthz waiting 1 s.
      name: `Graph /me/contacts?$top=1000: ${GRAPH_PAGES.count} at once (one login, ${ADDRESS_BOOK.contacts} contacts)`,
      // Whether the pages overlap past the login's searches at once depends on how fast each is made (a cold process's are slower): both answers are the design.
      run: (bridge) =>
        contactPagesAtOnce(
          bridge,
          '/v1.0/me/contacts?$top=1000',
          GRAPH_PAGE_MAX,
          `503: past the login's ${SEARCHES_AT_ONCE} searches in progress; see the /healthz column`,
        ),
    },
    {
      // Each first page reads the mailbox's versions, 200 contacts whole, and writes a token of its state (~7 bytes a contact).
      name: `Graph contact delta: ${GRAPH_PAGES.count} rounds begun at once (one login, ${ADDRESS_BOOK.contacts} contacts)`,
      run: (bridge) =>
        contactPagesAtOnce(
          bridge,
          '/v1.0/me/contacts/delta',
          GRAPH_DELTA_PAGE_MAX,
          "503: the login's share of the store's time spent; the mailbox keeps its newest 32 tokens; see the /healthz column",
        ),
    },
    // Node starts every request of a socket read at once: 450 in one write, never read, held 36 MB a connection.
    ...[false, true].map((halfClose): Attack => ({
      name: `no login: ${PIPELINED.connections} connections × ${PIPELINED.requests} pipelined GET /api/openapi.json, unread${halfClose ? ', half-closed' : ''}`,
      async run(bridge) {
        const port = Number(new URL(bridge.base).port);
        const answered = await Promise.all(Array.from({ length: PIPELINED.connections }, () => pipelinedUnread(port, PIPELINED.requests, halfClose)));
        const most = Math.max(...answered);
        return {
          status: `${answered.length} closed`,
          ewsCode: '',
          bytes: 0,
          note: `answers each connection got before it was closed: at most ${most}`,
          checks: [
            // The one under way and the MAX_UNANSWERED_PER_CONNECTION waiting behind it are answered before the close.
            check(
              `each connection closed after at most ${MAX_UNANSWERED_PER_CONNECTION + 1} answers (most ${most})`,
              most <= MAX_UNANSWERED_PER_CONNECTION + 1,
            ),
          ],
        };
      },
    })),
    {
      // Each distinct conversion is a fresh encode: 48 at once from one login made other users' first photos wait seconds.
      name: `${CONVERSIONS.count} distinct AVIF conversions, ${CONVERSIONS.concurrency} at once (one login)`,
      async run(bridge) {
        const result = await flood(CONVERSIONS.count, CONVERSIONS.concurrency, (i) =>
          rawRequest(`${bridge.base}/ews/exchange.asmx/s/GetUserPhoto?email=${BENCH_USER.email}&size=HR648x648&w=${100 + i}&type=avif`, {
            headers: { authorization: BASIC_AUTHORIZATION },
          }),
        );
        const unexpected = result.statuses.filter((status) => status !== 200 && status !== 503).length;
        return {
          status: tally(result.statuses),
          ewsCode: '',
          bytes: result.bytes,
          note: `503: past the caller’s ${MADE_AT_ONCE} at once and ${MADE_WAITING} waiting`,
          checks: [check(`each 200 or 503 (${unexpected} not)`, unexpected === 0)],
        };
      },
    },
    {
      // Each batch ran its 20 requests at once and held every answer: 200 connections of one login, unread, held 2.7 GB.
      name: `Graph $batch: ${PAGE_BATCHES.count} batches of ${BATCH_MAX_REQUESTS} × /me/contacts?$top=1000 at once (one login, ${ADDRESS_BOOK.contacts} contacts)`,
      async run(bridge) {
        const body = JSON.stringify({
          requests: Array.from({ length: BATCH_MAX_REQUESTS }, (_, i) => ({ id: String(i), method: 'GET', url: `/me/contacts?$top=1000&$skip=${i}` })),
        });
        const result = await flood(PAGE_BATCHES.count, PAGE_BATCHES.count, () =>
          rawRequest(`${bridge.base}/v1.0/$batch`, {
            method: 'POST',
            headers: { authorization: ADDRESS_BOOK_AUTHORIZATION, 'content-type': 'application/json' },
            body,
          }),
        );
        const admitted = result.statuses.filter((status) => status === 200).length;
        const unexpected = result.statuses.filter((status) => status !== 200 && status !== 503).length;
        return {
          status: tally(result.statuses),
          ewsCode: [...new Set(result.codes)].join(' '),
          bytes: result.bytes,
          note: `503 ErrorServerBusy past the account's ${BATCHES_PER_ACCOUNT} batches in progress; see the RSS and /healthz columns`,
          checks: [
            check(`each 200 or 503 (${unexpected} not)`, unexpected === 0),
            check(`some refused at once, not all held (${PAGE_BATCHES.count - admitted} of ${PAGE_BATCHES.count})`, admitted < PAGE_BATCHES.count),
          ],
        };
      },
    },
    {
      // A batch carries 20 requests in one: each is one of the caller's, counted against the same turns as if it came alone.
      name: `Graph $batch: ${BATCHES.count} batches of ${BATCH_MAX_REQUESTS} distinct uncached conversions, ${BATCHES.concurrency} at once (one login)`,
      async run(bridge) {
        const body = (batch: number) =>
          JSON.stringify({
            requests: Array.from({ length: BATCH_MAX_REQUESTS }, (_, i) => ({
              id: String(i),
              method: 'GET',
              url: `/users/${BENCH_USER.email}/photos/648x648/$value?w=${300 + batch * BATCH_MAX_REQUESTS + i}&type=webp`,
            })),
          });
        const inner: number[] = [];
        const result = await flood(BATCHES.count, BATCHES.concurrency, async (batch) => {
          const answer = await rawRequest(`${bridge.base}/v1.0/$batch`, {
            method: 'POST',
            headers: { authorization: BASIC_AUTHORIZATION, 'content-type': 'application/json' },
            body: body(batch),
          });
          if (answer.status === 200) inner.push(...(JSON.parse(answer.body.toString()) as { responses: { status: number }[] }).responses.map((r) => r.status));
          return answer;
        });
        const unexpected = inner.filter((status) => status !== 200 && status !== 503).length;
        return {
          status: tally(result.statuses),
          ewsCode: '',
          bytes: result.bytes,
          note: `requests inside: ${tally(inner)}; 503 past the caller’s ${MADE_AT_ONCE} at once and ${MADE_WAITING} waiting`,
          checks: [
            check(
              `every batch 200 (${tally(result.statuses)})`,
              result.statuses.every((status) => status === 200),
            ),
            check(
              `each of the ${BATCHES.count * BATCH_MAX_REQUESTS} requests inside answered (${inner.length})`,
              inner.length === BATCHES.count * BATCH_MAX_REQUESTS,
            ),
            check(`each 200 or 503 (${unexpected} not)`, unexpected === 0),
          ],
        };
      },
    },
    {
      // A $filter is evaluated against every contact, once per term: past 16 startswith (or 128 terms) it is refused unsearched.
      name: 'Graph /me/contacts $filter: 17 startswith joined by or',
      async run(bridge) {
        const filter = Array.from({ length: 17 }, (_, i) => `startswith(displayName,'n${i}')`).join(' or ');
        const answer = readAnswer(
          await rawRequest(`${bridge.base}/v1.0/me/contacts?$filter=${encodeURIComponent(filter)}`, { headers: { authorization: ADDRESS_BOOK_AUTHORIZATION } }),
        );
        return summary(answer, [statusIs(answer, 400), check('ErrorInvalidUrlQueryFilter: too complex', /too complex/.test(answer.text))]);
      },
    },
    {
      // translateExchangeIds reads only each id's spelling, one seal check an id (at most 1,000), and writes each back once.
      name: `Graph translateExchangeIds: ${TRANSLATE_MAX_IDS} ids of 250 characters`,
      async run(bridge) {
        const inputIds = Array.from({ length: TRANSLATE_MAX_IDS }, (_, i) => `${i}`.padEnd(250, 'A'));
        const answer = readAnswer(await translateIds(bridge, inputIds));
        const results = answer.status === 200 ? (JSON.parse(answer.text) as { value: { errorDetails?: { code: string } }[] }).value : [];
        const malformed = results.filter((result) => result.errorDetails?.code === 'ErrorInvalidIdMalformed').length;
        return summary(answer, [
          statusIs(answer, 200),
          check(`${TRANSLATE_MAX_IDS} ErrorInvalidIdMalformed (were ${malformed})`, malformed === TRANSLATE_MAX_IDS),
        ]);
      },
    },
    {
      name: `Graph translateExchangeIds: ${TRANSLATE_MAX_IDS + 1} ids`,
      async run(bridge) {
        const answer = readAnswer(await translateIds(bridge, new Array<string>(TRANSLATE_MAX_IDS + 1).fill('A')));
        return summary(answer, [statusIs(answer, 400), check('BadRequest naming the limit', answer.text.includes(`at most ${TRANSLATE_MAX_IDS} ids`))]);
      },
    },
    {
      // A skiptoken is a position in the directory's order: a forged one only moves where a page starts, read by the index as any other.
      name: 'Graph /users: a forged $skiptoken (1,500 characters)',
      async run(bridge) {
        const forged = Buffer.from(JSON.stringify(['n', 'z'.repeat(1000), 'x'])).toString('base64url');
        const answer = readAnswer(await rawRequest(`${bridge.base}/v1.0/users?$skiptoken=${forged}`, { headers: { authorization: BASIC_AUTHORIZATION } }));
        return summary(answer, [statusIs(answer, 200), check('no user after the forged position', /"value":\[\]/.test(answer.text))]);
      },
    },
    {
      // Descending, a forged position only moves where a page starts: read backwards by the index, as ascending pages are read forwards.
      name: 'Graph /users: $orderby=displayName desc with a forged $skiptoken (1,500 characters)',
      async run(bridge) {
        const forged = Buffer.from(JSON.stringify(['nd', 'z'.repeat(1000), 'x'])).toString('base64url');
        const answer = readAnswer(
          await rawRequest(`${bridge.base}/v1.0/users?$orderby=displayName%20desc&$top=5&$skiptoken=${forged}`, {
            headers: { authorization: BASIC_AUTHORIZATION },
          }),
        );
        return summary(answer, [statusIs(answer, 200), check('the users before the forged position, the last of the list', /"value":\[\{/.test(answer.text))]);
      },
    },
    {
      // $select's names are matched to a user's keys once a page: 64 of them, nearly all Graph properties the bridge keeps nothing for, on a page of 999 users.
      name: 'Graph /users: $select of 64 names, most of them properties the bridge lacks, $top=999',
      async run(bridge) {
        const lacked = [...GRAPH_USER.properties].filter((name) => name !== 'displayname' && name !== 'mail').slice(0, 63);
        const answer = readAnswer(
          await rawRequest(`${bridge.base}/v1.0/users?$top=999&$select=${['displayName', ...lacked].join(',')}`, {
            headers: { authorization: BASIC_AUTHORIZATION },
          }),
        );
        return summary(answer, [
          statusIs(answer, 200),
          check('each user written with those names alone', answer.text.includes(`"${lacked.at(-1)!}":`) && !answer.text.includes('"mail"')),
        ]);
      },
    },
    {
      // A name Graph's user lacks is refused before any user is read: 400, whatever the page asked.
      name: 'Graph /users: $select of 64 names, the last no property, $top=999',
      async run(bridge) {
        const select = [...[...GRAPH_USER.properties].slice(0, 63), 'colour'].join(',');
        const answer = readAnswer(
          await rawRequest(`${bridge.base}/v1.0/users?$top=999&$select=${select}`, { headers: { authorization: BASIC_AUTHORIZATION } }),
        );
        return summary(answer, [statusIs(answer, 400), check("Graph's words naming it", answer.text.includes("Could not find a property named 'colour'"))]);
      },
    },
    // A people search reads up to 1,000 matches of the directory and the caller's contacts; each costs the login's share of the store's time.
    searchFlood('Graph /me/people', '$search=a&$top=1000', '/v1.0/me/people?$search=a&$top=1000'),
    // Two logins at once, each page of 250 contacts charged to its login with the writing of its JSON: before, only the
    // store's read was, and two logins flooding Graph's pages were never told to wait.
    searchFlood('Graph /me/contacts', 'pages of 250', '/v1.0/me/contacts?$top=250', {}, [BASIC_AUTHORIZATION, ADDRESS_BOOK_AUTHORIZATION]),
    // $count reads the whole name index's range; each costs the login's share of the store's time.
    searchFlood('Graph /users', '$count=true&$top=999', '/v1.0/users?$count=true&$top=999', { headers: { consistencylevel: 'eventual' } }),
    // Backwards, each page read by the name index from its end: as ascending, the login's share of the store's time.
    searchFlood('Graph /users', '$orderby=displayName desc&$count=true&$top=999', '/v1.0/users?$orderby=displayName%20desc&$count=true&$top=999', {
      headers: { consistencylevel: 'eventual' },
    }),
    // Each of 8 startswith joined by or reads up to 1,000 users of its order's index; the login's share of the store's time again.
    searchFlood(
      'Graph /users',
      '$filter of 8 startswith joined by or, $count=true&$top=999',
      `/v1.0/users?$count=true&$top=999&$filter=${encodeURIComponent(['a', 'b', 'c', 'd'].flatMap((text) => [`startswith(displayName,'${text}')`, `startswith(mail,'${text}')`]).join(' or '))}`,
      { headers: { consistencylevel: 'eventual' } },
    ),
    // A startswith on a given name or surname is a search for its text, its first 1,000 matches looked at: 8 of them.
    searchFlood(
      'Graph /users',
      '$filter of 8 startswith on givenName and surname joined by or, $count=true&$top=999',
      `/v1.0/users?$count=true&$top=999&$filter=${encodeURIComponent(['a', 'b', 'c', 'd'].flatMap((text) => [`startswith(givenName,'${text}')`, `startswith(surname,'${text}')`]).join(' or '))}`,
      { headers: { consistencylevel: 'eventual' } },
    ),
    // A search's first 1,000 matches, each tested against 8 startswith.
    searchFlood(
      'Graph /users',
      '$search="displayName:a" with a $filter of 8 startswith, $count=true&$top=999',
      `/v1.0/users?$count=true&$top=999&$search=${encodeURIComponent('"displayName:a"')}&$filter=${encodeURIComponent(['a', 'b', 'c', 'd'].flatMap((text) => [`startswith(givenName,'${text}')`, `startswith(mail,'${text}')`]).join(' or '))}`,
      { headers: { consistencylevel: 'eventual' } },
    ),
    {
      // A search walks past every match before offset, on the event loop (7.7 s at 200,000 people).
      name: 'people search ?q=a&offset=1000000',
      async run(bridge) {
        const answer = readAnswer(await rawRequest(`${bridge.base}/api/people?q=a&offset=1000000`, { headers: { authorization: BASIC_AUTHORIZATION } }));
        return summary(answer, [statusIs(answer, 400)]);
      },
    },
    {
      // Every word was tested on every row a word tier read: hundreds cost ~1 s of the store's time a query at a million people.
      name: 'people search: 100 one-letter words (199 characters)',
      async run(bridge) {
        const q = encodeURIComponent('a '.repeat(100).trim());
        const answer = readAnswer(await rawRequest(`${bridge.base}/api/people?q=${q}`, { headers: { authorization: BASIC_AUTHORIZATION } }));
        return summary(answer, [statusIs(answer, 200)]);
      },
    },
    // One login's searches, each 155 ms on SQLite (a repeated word tested on every row), 8 at a time: /healthz waited 6.6 s.
    searchFlood(
      'people search',
      'one word ×12 at offset 999',
      `/api/people?q=${encodeURIComponent(Array<string>(12).fill('bench').join(' '))}&offset=999&limit=100`,
    ),
    {
      // Each read request was remembered with its element trees, counted by the envelope's bytes alone.
      name: `${REMEMBERED_TREES.count} distinct FindItem envelopes, ${REMEMBERED_TREES.padding} elements inside a folder id`,
      // The searches before spent this login's share: a memory class starts with it unspent. Let in
      // again, the share may still be near full: two seconds more pay back a whole burst.
      async before(bridge) {
        await waitOutBackOff(bridge.endpoint, findItem(1, ''), BASIC_AUTHORIZATION);
        await new Promise((resolve) => setTimeout(resolve, 2500));
      },
      async run(bridge) {
        const view = (i: number) => `<m:IndexedPageItemView MaxEntriesReturned="1" Offset="${i}" BasePoint="Beginning"/>`;
        const result = await flood(REMEMBERED_TREES.count, REMEMBERED_TREES.concurrency, (i) => soap(bridge, findItem(1, view(i), REMEMBERED_TREES.padding)));
        return floodResult(result, 200, 'see the RSS columns');
      },
    },
    {
      // A Host the host pattern let through but URL rejects threw from Autodiscover's URL building: the process exited.
      name: 'Autodiscover JSON with Host: h:99999, no login',
      async run(bridge) {
        const answer = readAnswer(
          await rawRequest(`${bridge.base}/autodiscover/autodiscover.json/v1.0/a@b.example?Protocol=EWS`, { headers: { host: 'h:99999' } }),
        );
        return summary(answer, [statusIs(answer, 400)]);
      },
    },
    {
      // Express matches a mount in any case, and the metrics named the route as the client spelt it: 79 route labels from 1,980 requests.
      name: '/metrics: /v1.0 and /beta in 32 spellings, no login',
      async run(bridge) {
        const spellings = Array.from({ length: 16 }, (_, i) =>
          [...'beta'].map((letter, at) => ((i >> at) & 1 ? letter.toUpperCase() : letter)).join(''),
        ).flatMap((beta) => [`/${beta}`, `/${beta.startsWith('b') ? 'v' : 'V'}1.0`]);
        for (const version of spellings) await rawRequest(`${bridge.base}${version}/me/contacts`);
        const answer = readAnswer(await rawRequest(`${bridge.base}/metrics`));
        const routes = new Set([...answer.text.matchAll(/route="([^"]*me\/contacts)"/g)].map((match) => match[1]));
        return summary(answer, [statusIs(answer, 200), check(`two route labels for /me/contacts (were ${routes.size})`, routes.size === 2)]);
      },
    },
    {
      // The router's URIError carried no `expose`: a 500 and a stack trace in the log per request.
      name: 'GET /EWS/% (a parameter that does not percent-decode), no login',
      async run(bridge) {
        const answer = readAnswer(await rawRequest(`${bridge.base}/EWS/%`));
        return summary(answer, [statusIs(answer, 400)]);
      },
    },
    imageBomb('admin PUT: 27 KB GIF of 65535×610 (40 Mpx, one row each)', () => Promise.resolve(oneColourGif(65535, 610))),
    imageBomb('admin PUT: 77 KB PNG of 1×39,999,999', () => Promise.resolve(tallPngStrip())),
    imageBomb('admin PUT: progressive JPEG of 1,000 scans', async () => withRepeatedLastScan(await photoLikeJpeg(64), 1000), 422, 'ErrorInvalidImage'),
    // A sixth sweep's: one stray byte hid the scans from the count; an SVG was parsed before
    // its format was refused (3.5 s of a thread); a grid decoded to 268 Mpx behind a 100×100 ispe (~1 GB).
    imageBomb(
      'admin PUT: progressive JPEG of 1,000 scans behind a stray byte',
      async () => withStrayByte(withRepeatedLastScan(await photoLikeJpeg(64), 1000)),
      422,
      'ErrorInvalidImage',
    ),
    // Fifty-third session's red team: FF 00 where a marker is due, read as a length, hid 3,500 scans (both decoder threads 35 s).
    imageBomb(
      'admin PUT: progressive JPEG of 1,000 scans behind stuffed zeros',
      async () => withScansBehindStuffedZeros(withRepeatedLastScan(await photoLikeJpeg(64), 1000)),
      422,
      'ErrorInvalidImage',
    ),
    imageBomb('admin PUT: 1.8 KB SVG of a million nested <use>', () => Promise.resolve(nestedUseSvg()), 422, 'ErrorInvalidImage'),
    // Eighth sweep: four bytes of a comment before 'ftyp' passed for a HEIF's start, and librsvg sized the SVG for 14 s.
    imageBomb(
      'admin PUT: the same SVG behind <!--ftyp-->',
      () => Promise.resolve(Buffer.concat([Buffer.from('<!--ftyp-->'), nestedUseSvg()])),
      422,
      'ErrorInvalidImage',
    ),
    imageBomb('admin PUT: AVIF grid of 31×31 tiles (16368² px) whose ispe says 100×100', () => avifGrid(31, 31, { width: 100, height: 100 }, 528)),
    // Seventh sweep: libvips looked each frame up from the first (69 s to read the header), and stored it.
    imageBomb('admin PUT: animated WebP of 199,000 frames (10 MB)', () => animatedWebp(199_000), 422, 'ErrorInvalidImage'),
    imageBomb('admin PUT: animated GIF of 400,000 frames (9 MB)', () => Promise.resolve(animatedGif(400_000, 1, 1)), 422, 'ErrorInvalidImage'),
    // Seventh sweep: 1.2 GB decoded, then stored; and 1.2 GB decoded before a 422.
    imageBomb('admin PUT: 64×64 AVIF with an 8000×8000 alpha plane', () => avifWithAlpha({ width: 8000, height: 8000 })),
    imageBomb('admin PUT: AVIF whose ispe says 64×64, coded 8000×8000', () => avifDeclaring({ width: 64, height: 64 }, { width: 8000, height: 8000 })),
    // Each chunk costs the parser a callback: four such clients held /healthz 2.4 s while the refused bodies were read for the linger.
    {
      name: 'SOAP without a login: 1 MiB in one-byte chunks, 4 at once',
      async run(bridge) {
        return trickledBodies(
          bridge,
          Array.from({ length: 4 }, () => ['POST /EWS/Exchange.asmx', 401] as const),
        );
      },
    },
    // Red team, forty-second session: answered without reading the body, node:http read it to its end after the answer.
    {
      name: 'Graph, 404 and Autodiscover JSON without a login: 1 MiB in one-byte chunks, 4 at once',
      async run(bridge) {
        return trickledBodies(bridge, [
          ['GET /v1.0/me', 401],
          ['PUT /v1.0/me/photo/$value', 401],
          ['GET /no/such/page', 404],
          ['POST /autodiscover/autodiscover.json/v1.0/adele.vance@contoso.example?Protocol=EWS', 405],
        ]);
      },
    },
    // UTF-7 took ten times UTF-8's time to decode (1 MiB held the loop 1.1 s) and writes markup as +ADw-.
    {
      name: 'SOAP: 1 MiB body declared UTF-7',
      async run(bridge) {
        const answer = await soap(bridge, '+AGE-'.repeat(ONE_MIB / 5), { headers: { 'content-type': 'text/xml; charset=utf-7' } });
        return summary(answer, [
          statusIs(answer, 500),
          check('fault: its encoding is not supported', /encoding \S+utf-7\S+ is not supported/.test(answer.text)),
        ]);
      },
    },
    bodyAttack('SOAP: 30 MB body (Content-Length)', false),
    bodyAttack('SOAP: 30 MB body (chunked)', true),
    {
      name: 'admin PUT: 30 MB body (chunked)',
      async run(bridge) {
        const answer = readAnswer(
          await rawRequest(`${bridge.base}/admin/users/${BENCH_USER.email}/photo`, {
            method: 'PUT',
            headers: { authorization: ADMIN_AUTHORIZATION, 'content-type': 'image/jpeg' },
            body: Buffer.alloc(THIRTY_MB, 0xff),
            chunked: true,
          }),
        );
        return summary(answer, [statusIs(answer, 413)]);
      },
    },
    // 725 KB: past the 64 KiB an Autodiscover body may be, refused before it is read.
    autodiscoverSettings('Autodiscover: 100 users × 1,700 unknown 400-character settings', 1700, 400, (a) => [statusIs(a, 413)]),
    autodiscoverSettings('Autodiscover: 100 users × 200 unknown 16-character settings', 200, 16, (a) => [
      statusIs(a, 200),
      check('ErrorCode InvalidRequest', a.text.includes('<ErrorCode>InvalidRequest</ErrorCode>')),
      check(`answer ≤ 2 KB (was ${a.body.length})`, a.body.length <= 2048),
    ]),
    // Seventh sweep: the Host is written into each URL of the answer; 15 KB of it made 9 MB.
    {
      name: 'Autodiscover: 100 users × 4 URL settings, a 15 KB Host',
      async run(bridge) {
        const answer = readAnswer(
          await rawRequest(`${bridge.base}/autodiscover/autodiscover.svc`, {
            headers: {
              host: `${'a'.repeat(63).concat('.').repeat(240)}example`,
              authorization: BASIC_AUTHORIZATION,
              'content-type': 'text/xml; charset=utf-8',
            },
            body: getUserSettings(new Array<string>(100).fill(BENCH_USER.email), [
              'InternalEwsUrl',
              'ExternalEwsUrl',
              'InternalPhotosUrl',
              'ExternalPhotosUrl',
            ]),
          }),
        );
        return summary(answer, [statusIs(answer, 400), check(`answer ≤ 2 KB (was ${answer.body.length})`, answer.body.length <= 2048)]);
      },
    },
    // Each bound met, their product not: 12,800 answers were a 3.9 MB answer from an 18 KB request.
    autodiscoverSettings('Autodiscover: 100 users × 128 unknown 64-character settings', 128, 64, (a) => [
      statusIs(a, 200),
      check('ErrorCode InvalidRequest', a.text.includes('<ErrorCode>InvalidRequest</ErrorCode>')),
      check(`answer ≤ 2 KB (was ${a.body.length})`, a.body.length <= 2048),
    ]),
    // After the single Autodiscover requests above: it spends the login's share, which they draw on too.
    // 100 users with every setting Exchange defines is ~60 ms of work and a 2 MB answer: one login on 64 connections held
    // /healthz 6.5 s, never refused. Each is a search now, answered in turns of the event loop.
    searchFlood('Autodiscover', `GetUserSettings of 100 users × ${EXCHANGE_USER_SETTINGS.length} settings`, '/autodiscover/autodiscover.svc', {
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: getUserSettings(new Array<string>(100).fill(BENCH_USER.email), EXCHANGE_USER_SETTINGS),
    }),
    {
      // libexif loaded the IFD once per pointer: a libvips thread busy for minutes, no answer.
      name: `admin PUT: JPEG whose EXIF points back at itself ×${EXIF_LOOP_POINTERS}`,
      async run(bridge) {
        const answer = readAnswer(
          await rawRequest(`${bridge.base}/admin/users/${BENCH_USER.email}/photo`, {
            method: 'PUT',
            headers: { authorization: ADMIN_AUTHORIZATION, 'content-type': 'image/jpeg' },
            body: await jpegWithExif(exifLoop()),
            timeoutMs: 30_000,
          }),
        );
        return summary(answer, [statusIs(answer, 422), check(`ErrorInvalidImage (was ${answer.codes[0]})`, answer.codes[0] === 'ErrorInvalidImage')]);
      },
    },
  ];
}

/** Directory searches one login sends, and how many at a time. */
const SEARCH_FLOOD = { count: 400, concurrency: 16 };

/**
 * Searches at `path` by one login (or by `logins` in turn), SEARCH_FLOOD.count of them SEARCH_FLOOD.concurrency at once: each 200,
 * or 503 once the login's share of the store's time is spent.
 */
function searchFlood(
  door: string,
  what: string,
  path: string,
  sent: { headers?: Record<string, string>; body?: string } = {},
  logins = [BASIC_AUTHORIZATION],
): Attack {
  return {
    name: `${door}: ${SEARCH_FLOOD.count} of ${what}, ${SEARCH_FLOOD.concurrency} at once (${logins.length === 1 ? 'one login' : `${logins.length} logins`})`,
    async run(bridge) {
      const result = await flood(SEARCH_FLOOD.count, SEARCH_FLOOD.concurrency, (i) =>
        rawRequest(`${bridge.base}${path}`, { headers: { authorization: logins[i % logins.length]!, ...sent.headers }, body: sent.body }),
      );
      const unexpected = result.statuses.filter((status) => status !== 200 && status !== 503).length;
      return {
        status: tally(result.statuses),
        ewsCode: tally(result.codes),
        bytes: result.bytes,
        note: "503: the login's share of the store's time spent (BRIDGE_SEARCH_MS_PER_SECOND); see the /healthz column",
        checks: [check(`each 200 or 503 (${unexpected} not)`, unexpected === 0)],
      };
    },
  };
}

/** An image refused before a pixel is decoded (413 from its header, 422 for its scans): each cost hundreds of MB or seconds to minutes of a pool thread. */
function imageBomb(name: string, image: () => Promise<Buffer>, status = 413, code = 'ErrorMessageSizeExceeded'): Attack {
  return {
    name,
    async run(bridge) {
      const answer = readAnswer(
        await rawRequest(`${bridge.base}/admin/users/${BENCH_USER.email}/photo`, {
          method: 'PUT',
          headers: { authorization: ADMIN_AUTHORIZATION, 'content-type': 'application/octet-stream' },
          body: await image(),
        }),
      );
      return summary(answer, [statusIs(answer, status), check(`${code} (was ${answer.codes[0]})`, answer.codes[0] === code)]);
    },
  };
}

function urlFlood(urlLength: number, expected: number): Attack {
  return {
    name: `${URL_FLOOD.count / 1000} k unauthenticated ${(urlLength / 1024).toFixed(1)} KB URLs`,
    async run(bridge) {
      const agent = new Agent({ keepAlive: true, maxSockets: URL_FLOOD.concurrency });
      const path = `/ews/exchange.asmx/s/GetUserPhoto?size=HR96x96&email=${BENCH_USER.email}&x=`;
      try {
        // Each URL distinct, so no memo anywhere can answer one from another.
        const result = await flood(URL_FLOOD.count, URL_FLOOD.concurrency, (i) => {
          const tail = `${i}-`.padEnd(urlLength - path.length, 'y');
          return rawRequest(`${bridge.base}${path}${tail}`, { agent });
        });
        return floodResult(result, expected);
      } finally {
        agent.destroy();
      }
    },
  };
}

/** One GetUserSettings for 100 users: every setting is answered for every user, so the answer is their product. */
function autodiscoverSettings(name: string, settings: number, nameLength: number, expect: (answer: ReadAnswer) => Check[]): Attack {
  return {
    name,
    async run(bridge) {
      const answer = readAnswer(
        await rawRequest(`${bridge.base}/autodiscover/autodiscover.svc`, {
          headers: { authorization: BASIC_AUTHORIZATION, 'content-type': 'text/xml; charset=utf-8' },
          body: getUserSettings(new Array<string>(100).fill(BENCH_USER.email), unknownSettings(settings, nameLength)),
        }),
      );
      return summary(answer, expect(answer));
    },
  };
}

/** Requests whose bodies come in one-byte chunks, all at once: each answered its status, and its connection closed by the bridge. */
async function trickledBodies(bridge: RunningBridge, requests: readonly (readonly [string, number])[]): Promise<AttackResult> {
  const port = Number(new URL(bridge.base).port);
  const answers = await Promise.all(requests.map(([line]) => oneByteChunks(port, line)));
  const statuses = answers.map((answer) => answer.status);
  return {
    status: tally(statuses.map(String)),
    ewsCode: '',
    bytes: 0,
    checks: [
      check(
        `answered ${requests.map(([, status]) => status).join(', ')} (${statuses.join(', ')})`,
        requests.every(([, status], i) => statuses[i] === status),
      ),
      check(
        `every connection closed by the bridge within 30 s`,
        answers.every((answer) => answer.closed),
      ),
    ],
  };
}

function bodyAttack(name: string, chunked: boolean): Attack {
  return {
    name,
    async run(bridge) {
      const answer = await soap(bridge, Buffer.alloc(THIRTY_MB, ' '), { chunked });
      return summary(answer, [statusIs(answer, 413)]);
    },
  };
}

/** The address book's login asks `path` GRAPH_PAGES.count times at once: each 200, or 503 ErrorServerBusy when the login is busy, pages of at most `pageMax` contacts. */
async function contactPagesAtOnce(bridge: RunningBridge, path: string, pageMax: number, note: string): Promise<AttackResult> {
  const result = await flood(GRAPH_PAGES.count, GRAPH_PAGES.count, () =>
    rawRequest(`${bridge.base}${path}`, { headers: { authorization: ADDRESS_BOOK_AUTHORIZATION } }),
  );
  const unexpected = result.statuses.filter((status) => status !== 200 && status !== 503).length;
  const most = GRAPH_PAGES.count * pageMax * GRAPH_CONTACT_BYTES;
  return {
    status: tally(result.statuses),
    ewsCode: tally(result.codes),
    bytes: result.bytes,
    note,
    checks: [
      check(`each 200 or 503, some 200 (${unexpected} other)`, unexpected === 0 && result.statuses.includes(200)),
      check(`pages of at most ${pageMax} contacts: ≤ ${most} bytes in all (${result.bytes})`, result.bytes <= most),
    ],
  };
}

/** A flood's tally, held to every answer having one status. */
function floodResult(result: { statuses: number[]; codes: string[]; bytes: number }, expected: number, note?: string): AttackResult {
  const wrong = result.statuses.filter((status) => status !== expected).length;
  return {
    status: tally(result.statuses),
    ewsCode: tally(result.codes),
    bytes: result.bytes,
    note,
    checks: [check(`all ${result.statuses.length} answered ${expected} (${wrong} not)`, wrong === 0)],
  };
}

/** Connections the bridge has closed at the per-client cap so far, from its metrics (loopback may read them). */
async function perClientRefusals(bridge: RunningBridge): Promise<number> {
  const metrics = readAnswer(await rawRequest(`${bridge.base}/metrics`)).text;
  return Number(/^ews_photo_bridge_connections_refused_total\{cap="per_client"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

function translateIds(bridge: RunningBridge, inputIds: string[]) {
  return rawRequest(`${bridge.base}/v1.0/me/translateExchangeIds`, {
    method: 'POST',
    headers: { authorization: BASIC_AUTHORIZATION, 'content-type': 'application/json' },
    body: JSON.stringify({ inputIds, sourceIdType: 'restId', targetIdType: 'ewsId' }),
  });
}
