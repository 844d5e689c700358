import type { Request, RequestHandler } from 'express';

/*
 * OData's conventions on the Graph-compatible API's JSON answers, in one place for every route
 * under the versions (the photo bytes of the hot path never come here).
 */

/**
 * "OData services MUST include the OData-Version header on a response to specify the version
 * of the protocol used to generate the response payload" (OData 4.01 Part 1, §8.1.5). Graph
 * answers in 4.0, whose JSON writes control information with the `odata.` prefix, as these
 * answers do. Graph's errors carry it too (graph-errors.ts).
 */
export const ODATA_VERSION_HEADER = { 'odata-version': '4.0' } as const;

/** A JSON answer (`application/json`, with or without parameters); not the text of `$count` or a photo's bytes. */
const JSON_ANSWER = /^application\/json\s*(?:;|$)/i;

/**
 * Control information `odata.metadata=none` keeps: "the service SHOULD omit control information
 * other than nextLink and count" (OData JSON Format 4.01, §3.1.3); a delta's link is kept as
 * well, since a delta round cannot go on without it ("It is not valid to specify metadata=none
 * on a delta request", ibid.).
 */
const KEPT_WITHOUT_METADATA = new Set(['@odata.nextLink', '@odata.count', '@odata.deltaLink']);

/** Whether an Accept header asks JSON without control information: `application/json;odata.metadata=none` (or 4.01's `metadata=none`). */
function asksNoMetadata(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type = '', ...parameters] = range.split(';');
    return type.trim().toLowerCase() === 'application/json' && parameters.some((parameter) => /^\s*(?:odata\.)?metadata\s*=\s*"?none"?\s*$/i.test(parameter));
  });
}

/**
 * The format a request asks its answer in: its `$format`, which "SHOULD take precedence over the
 * value(s) specified in the Accept request header" (MS-ODATA 2.2.3.6.1.5), else its Accept. `json`
 * is `application/json` (ibid.). The routes refuse a format but JSON (graph-list-options.ts), and a
 * query that does not decode: read here it is only what the bridge's answer to it looks like.
 */
function askedFormat(req: Request): string | undefined {
  const queryStart = req.originalUrl.indexOf('?');
  if (queryStart < 0) return req.headers.accept;
  for (const [key, value] of new URLSearchParams(req.originalUrl.slice(queryStart + 1))) {
    if (key.toLowerCase() === '$format') return value.trim().toLowerCase() === 'json' ? 'application/json' : value;
  }
  return req.headers.accept;
}

/** A JSON text without the control information `odata.metadata=none` leaves out, at any depth. */
function withoutMetadata(json: string): string {
  return JSON.stringify(JSON.parse(json, (key, value: unknown) => (key.startsWith('@odata.') && !KEPT_WITHOUT_METADATA.has(key) ? undefined : value)));
}

/** `$batch`'s path as Express routes it: in any case, with a slash after it or none. */
const BATCH_PATH = /^\/\$batch\/?$/i;

/**
 * Every JSON answer a Graph route sends (`res.json`, or its text by `res.send`) goes through
 * `res.send`: there it gets OData-Version, and, when `$format` or Accept asks `odata.metadata=none`, loses
 * its control information. `$batch`'s own answer, written in parts, sets its OData-Version
 * itself and keeps its requests' control information: each passed through here already, with
 * the batch's Accept when it had none of its own (graph-batch-route.ts).
 */
export const odataConventions: RequestHandler = (req, res, next) => {
  const noMetadata = asksNoMetadata(askedFormat(req)) && !BATCH_PATH.test(req.path);
  const send = res.send;
  res.send = function (body?: unknown) {
    if (!JSON_ANSWER.test(String(this.get('content-type') ?? ''))) return send.call(this, body);
    this.set(ODATA_VERSION_HEADER);
    return send.call(this, noMetadata && typeof body === 'string' ? withoutMetadata(body) : body);
  };
  next();
};
