import { faultCodeOf, responseCodesOf, tally } from '../../test/abuse/ews-answer.js';
import { rawRequest, type RawAnswer, type RawRequest } from '../../test/abuse/raw-request.js';
import { BASIC_AUTHORIZATION } from '../fixture.js';
import type { RunningBridge } from './bridges.js';

/** One expectation of an attack: what must hold, and whether it did. */
export interface Check {
  what: string;
  ok: boolean;
}

/** What an attack was answered, summed up for the table, and the expectations it was held to. */
export interface AttackResult {
  status: string;
  ewsCode: string;
  /** Bytes of the answer(s) the bridge sent. */
  bytes: number;
  note?: string;
  checks: Check[];
}

export interface Attack {
  name: string;
  /** What must be over before the attack is timed and watched (a login's share of the store's time paid back). */
  before?(bridge: RunningBridge): Promise<void>;
  run(bridge: RunningBridge): Promise<AttackResult>;
}

export const check = (what: string, ok: boolean): Check => ({ what, ok });

/** One answer, read for what the table shows: text, EWS codes (messages, a fault's code or the REST header). */
export interface ReadAnswer extends RawAnswer {
  text: string;
  codes: string[];
  fault: string | undefined;
}

export function readAnswer(answer: RawAnswer): ReadAnswer {
  const text = answer.body.toString('utf8');
  const header = answer.headers['x-ews-response-code'];
  const fault = faultCodeOf(text);
  const codes = typeof header === 'string' ? [header] : responseCodesOf(text);
  return { ...answer, text, codes, fault };
}

/** A POST to the SOAP endpoint with the bench user's login unless told otherwise (null: none). */
export async function soap(bridge: RunningBridge, body: string | Buffer, options: RawRequest & { authorization?: string | null } = {}): Promise<ReadAnswer> {
  const { authorization = BASIC_AUTHORIZATION, headers, ...rest } = options;
  const allHeaders: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', ...(authorization === null ? {} : { authorization }), ...headers };
  return readAnswer(await rawRequest(bridge.endpoint, { ...rest, body, headers: allHeaders }));
}

/** The table's summary of one answer plus the checks made on it. */
export function summary(answer: ReadAnswer, checks: Check[], note?: string): AttackResult {
  return {
    status: answer.status === 0 ? `cut (${answer.error})` : String(answer.status),
    ewsCode: answer.fault && !answer.fault.startsWith('a:') ? answer.fault : tally(answer.codes),
    bytes: answer.body.length,
    note,
    checks,
  };
}

/** A SOAP attack of one request, held to one set of checks. */
export function soapAttack(
  name: string,
  body: (bridge: RunningBridge) => string | Buffer,
  expect: (answer: ReadAnswer) => Check[],
  options?: RawRequest & { authorization?: string | null },
): Attack {
  return {
    name,
    async run(bridge) {
      const payload = body(bridge);
      const answer = await soap(bridge, payload, options);
      return summary(answer, expect(answer));
    },
  };
}

/** Sends `count` requests, `concurrency` at a time, and tallies what came back. */
export async function flood(
  count: number,
  concurrency: number,
  send: (i: number) => Promise<RawAnswer>,
): Promise<{ statuses: number[]; codes: string[]; bytes: number }> {
  const statuses: number[] = new Array<number>(count);
  const codes: string[] = [];
  let bytes = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const answer = readAnswer(await send(i));
      statuses[i] = answer.status;
      codes.push(...answer.codes);
      bytes += answer.body.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { statuses, codes, bytes };
}

/** The expectations every SOAP answer is held to: a status, and XML that is whole (no stack trace). */
export function statusIs(answer: { status: number }, status: number): Check {
  return check(`HTTP ${status} (was ${answer.status})`, answer.status === status);
}

export function codesAre(answer: ReadAnswer, codes: string[]): Check {
  return check(`EWS codes ${tally(codes)} (were ${tally(answer.codes) || 'none'})`, tally(answer.codes) === tally(codes));
}
