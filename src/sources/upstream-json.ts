/**
 * The most of an upstream's JSON answer that is parsed. Tokens, gateway answers, UCWA
 * resources, Graph's errors and user look-ups, SuperOffice's keys are a few KB; JSON.parse
 * runs on the event loop, and 10 MB of nested arrays from a gateway held it 2.7 s (RSS +760 MB).
 */
const MAX_UPSTREAM_JSON_BYTES = 128 * 1024;

/** An upstream's JSON answer, parsed; one past `maxBytes` throws, as JSON.parse throws for what is no JSON. */
export function upstreamJson(body: Buffer, maxBytes = MAX_UPSTREAM_JSON_BYTES): unknown {
  if (body.length > maxBytes) throw new SyntaxError(`the answer is over ${maxBytes} bytes of JSON`);
  return JSON.parse(body.toString('utf8'));
}

/** An upstream's answer as a JSON object (a token, a refusal, keys, a state); empty for anything else. */
export function upstreamJsonObject(body: Buffer): Record<string, unknown> {
  try {
    const parsed = upstreamJson(body);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
