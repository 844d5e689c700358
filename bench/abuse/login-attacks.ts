import { generateKeyPair, SignJWT } from 'jose';
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { tally } from '../../test/abuse/ews-answer.js';
import { resolveNames } from '../../test/abuse/hostile-bodies.js';
import { rawRequest } from '../../test/abuse/raw-request.js';
import { AUDIENCE, ISSUER } from '../../test/support/jwt-issuer.js';
import { BASIC_AUTHORIZATION, BENCH_USER } from '../fixture.js';
import { median } from '../statistics.js';
import { fixed } from '../table.js';
import { check, readAnswer, soap, statusIs, summary, type Attack } from './attack.js';
import type { RunningBridge } from './bridges.js';

/** The bridge's default BRIDGE_LOGIN_MAX_FAILURES. */
const MAX_FAILURES = 5;
const WRONG_PASSWORDS = 300;
/** Conversions are paced over a few seconds, so the flood (one scrypt each, ~0.1–0.6 s) has time to build up. */
const HASH_FLOOD = { clients: 20, conversionsAlone: 15, conversionsUnderFlood: 30, conversionEveryMs: 200, maxRequests: 5000 };

const basicAs = (password: string) => `Basic ${Buffer.from(`${BENCH_USER.email}:${password}`).toString('base64')}`;
const me = (bridge: RunningBridge, authorization: string, agent?: Agent, headers: Record<string, string> = {}) =>
  rawRequest(`${bridge.base}/api/me`, { headers: { ...headers, authorization }, agent });

/** Against the main bridge, last: once it has throttled this client, uncached logins from it wait too. */
export const wrongPasswords: Attack = {
  name: `${WRONG_PASSWORDS} wrong passwords, one account and client`,
  async run(bridge) {
    const statuses: number[] = [];
    let withoutRetryAfter = 0;
    let bytes = 0;
    for (let i = 0; i < WRONG_PASSWORDS; i++) {
      const answer = await me(bridge, basicAs(`wrong password ${i}`));
      statuses.push(answer.status);
      bytes += answer.body.length;
      if (answer.status === 429 && answer.headers['retry-after'] === undefined) withoutRetryAfter++;
    }
    const refused = statuses.filter((status) => status === 401).length;
    return {
      status: tally(statuses),
      ewsCode: '',
      bytes,
      checks: [
        check(
          `the first ${MAX_FAILURES} answered 401, the next 429`,
          statuses.slice(0, MAX_FAILURES).every((s) => s === 401) && statuses[MAX_FAILURES] === 429,
        ),
        check(
          `only 401 and 429 (were ${tally(statuses)})`,
          statuses.every((s) => s === 401 || s === 429),
        ),
        check(`few passwords checked at all: 401 × ${refused} ≤ ${2 * MAX_FAILURES}`, refused <= 2 * MAX_FAILURES),
        check(`every 429 has Retry-After (${withoutRetryAfter} had not)`, withoutRetryAfter === 0),
      ],
    };
  },
};

/**
 * Against a bridge that does not throttle (as an attacker with many addresses and names
 * would find it): every wrong password costs an scrypt, while a valid user asks for
 * photo conversions no cache holds. Hashing has its own threads, so conversions must
 * not wait for it.
 */
export const hashFloodDuringConversions: Attack = {
  name: `${HASH_FLOOD.clients} clients of wrong passwords, conversions timed`,
  async run(bridge) {
    const conversion = async (width: number) => {
      const started = performance.now();
      const answer = await rawRequest(`${bridge.base}/ews/exchange.asmx/s/GetUserPhoto?email=${BENCH_USER.email}&size=HR648x648&w=${width}`, {
        headers: { authorization: BASIC_AUTHORIZATION },
      });
      return { status: answer.status, ms: performance.now() - started };
    };
    await conversion(100); // the valid login is verified once and remembered, as for any client
    const alone = [];
    for (let i = 0; i < HASH_FLOOD.conversionsAlone; i++) alone.push(await conversion(101 + i));

    const agent = new Agent({ keepAlive: true, maxSockets: HASH_FLOOD.clients });
    const wrong: number[] = [];
    let flooding = true;
    const client = async (id: number) => {
      for (let i = 0; flooding && wrong.length < HASH_FLOOD.maxRequests; i++) wrong.push((await me(bridge, basicAs(`client ${id} guess ${i}`), agent)).status);
    };
    const clients = Array.from({ length: HASH_FLOOD.clients }, (_, id) => client(id));
    const started = performance.now();
    const underFlood = [];
    for (let i = 0; i < HASH_FLOOD.conversionsUnderFlood; i++) {
      await sleep(HASH_FLOOD.conversionEveryMs);
      underFlood.push(await conversion(201 + i));
    }
    const seconds = (performance.now() - started) / 1000;
    const answeredMeanwhile = wrong.length;
    flooding = false;
    await Promise.all(clients);
    agent.destroy();

    const conversions = [...alone, ...underFlood];
    const ms = (samples: { ms: number }[]) => `p50 ${fixed(median(samples.map((s) => s.ms)), 0)} / max ${fixed(Math.max(...samples.map((s) => s.ms)), 0)} ms`;
    return {
      status: tally(wrong),
      ewsCode: '',
      bytes: 0,
      note: `conversions ${ms(underFlood)} under the flood, ${ms(alone)} alone; ${fixed(answeredMeanwhile / seconds, 1)} wrong passwords answered/s meanwhile`,
      checks: [
        check(
          `every conversion answered 200 (${tally(conversions.map((c) => c.status))})`,
          conversions.every((c) => c.status === 200),
        ),
        check(
          `wrong passwords answered 401, or 503 when the hashing queue is full (${tally(wrong)})`,
          wrong.every((s) => s === 401 || s === 503),
        ),
      ],
    };
  },
};

/** Against a bridge holding an RSA public key with the default algorithms (RS256, ES256). */
export const es256BearerToken: Attack = {
  name: 'ES256 bearer token, the bridge has an RSA key',
  async run(bridge) {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ preferred_username: BENCH_USER.email })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    const authorization = `Bearer ${token}`;
    const rest = readAnswer(await me(bridge, authorization));
    const soapAnswer = await soap(bridge, resolveNames(BENCH_USER.email), { authorization });
    return summary(rest, [
      statusIs(rest, 401),
      check(`with a reason (${rest.text.trim().slice(0, 60)})`, /bearer token refused/.test(rest.text)),
      check(`SOAP answers 401 too (was ${soapAnswer.status})`, soapAnswer.status === 401),
    ]);
  },
};

const CONCURRENT_GUESSES = 40;

/** Seventh sweep: guesses sent at once were all checked (33 where 5 were allowed), none having failed yet. */
export const concurrentGuesses: Attack = {
  name: `${CONCURRENT_GUESSES} wrong passwords at once, one account`,
  async run(bridge) {
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENT_GUESSES });
    const answers = await Promise.all(Array.from({ length: CONCURRENT_GUESSES }, (_, i) => me(bridge, basicAs(`guess at once ${i}`), agent)));
    agent.destroy();
    const statuses = answers.map((answer) => answer.status);
    const checked = statuses.filter((status) => status === 401).length;
    return {
      status: tally(statuses),
      ewsCode: '',
      bytes: answers.reduce((sum, answer) => sum + answer.body.length, 0),
      checks: [
        check(`at most ${MAX_FAILURES} checked (401 × ${checked})`, checked <= MAX_FAILURES),
        check(
          `the rest 429 (were ${tally(statuses)})`,
          statuses.every((status) => status === 401 || status === 429),
        ),
      ],
    };
  },
};

const SPRAYED_ACCOUNTS = 20;

/**
 * Seventh sweep: a guesser with a login of their own sprays passwords across accounts and
 * logs in between, respelling the header (no password check needed): that success cleared
 * the address's count, and 77 passwords were tried across 20 accounts, 3 refused.
 */
export const sprayWithOwnLogin: Attack = {
  name: `one login spraying ${SPRAYED_ACCOUNTS} accounts, logging in between guesses`,
  async run(bridge) {
    const own = `Basic  ${BASIC_AUTHORIZATION.slice('Basic '.length)}`;
    const statuses: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let account = 0; account < SPRAYED_ACCOUNTS; account++) {
        const guess = `Basic ${Buffer.from(`victim${account}@contoso.com:spring${round}`).toString('base64')}`;
        statuses.push((await me(bridge, guess)).status);
        if (account % 2 === 1) await me(bridge, `${own}${' '.repeat(account)}`);
      }
    }
    const checked = statuses.filter((status) => status === 401).length;
    return {
      status: tally(statuses),
      ewsCode: '',
      bytes: 0,
      checks: [check(`at most ${MAX_FAILURES} guesses checked from one address (401 × ${checked})`, checked <= MAX_FAILURES)],
    };
  },
};

const ROTATED_ADDRESSES = 60;

/**
 * One IPv6 host rotating its address within its /64 (behind a trusted proxy, which says
 * which): counted by full address, each guess came from a fresh client.
 */
export const rotatingIpv6Addresses: Attack = {
  name: `${ROTATED_ADDRESSES} guesses at as many accounts, each from another address of one IPv6 /64`,
  async run(bridge) {
    const statuses: number[] = [];
    for (let i = 0; i < ROTATED_ADDRESSES; i++) {
      const guess = `Basic ${Buffer.from(`victim${i}@contoso.com:autumn`).toString('base64')}`;
      statuses.push((await me(bridge, guess, undefined, { 'x-forwarded-for': `2001:db8:77:1:${i.toString(16)}::1` })).status);
    }
    const checked = statuses.filter((status) => status === 401).length;
    return {
      status: tally(statuses),
      ewsCode: '',
      bytes: 0,
      checks: [check(`at most ${MAX_FAILURES} guesses checked from one /64 (401 × ${checked})`, checked <= MAX_FAILURES)],
    };
  },
};

const ORACLE_GUESSES = 100;

/**
 * Forty-first session's red team: with its account and address throttled, a guesser's right
 * password still found the login remembered for the owner's client elsewhere — 200 where each
 * wrong one was 429, at full speed (400 guesses in 0.6 s found it). Behind a trusted proxy,
 * which says who each client is: the owner at one address, the guesser at another.
 */
export const rightGuessWhileThrottled: Attack = {
  name: `${ORACLE_GUESSES} guesses at a logged-in account once throttled, the right one among them`,
  async run(bridge) {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const owner = from('192.0.2.10');
    const guesser = from('192.0.2.66');
    const before = (await me(bridge, BASIC_AUTHORIZATION, undefined, owner)).status;
    for (let i = 0; i <= MAX_FAILURES; i++) await me(bridge, basicAs(`warm-up ${i}`), undefined, guesser);
    const statuses: number[] = [];
    for (let i = 0; i < ORACLE_GUESSES; i++) {
      statuses.push((await me(bridge, i === 77 ? BASIC_AUTHORIZATION : basicAs(`guess ${i}`), undefined, guesser)).status);
    }
    const after = (await me(bridge, BASIC_AUTHORIZATION, undefined, owner)).status;
    return {
      status: tally(statuses),
      ewsCode: '',
      bytes: 0,
      checks: [
        check(
          `every guess 429, the right one too (were ${tally(statuses)})`,
          statuses.every((status) => status === 429),
        ),
        check(`the owner's client answered 200 before and after (${before}, ${after})`, before === 200 && after === 200),
      ],
    };
  },
};
