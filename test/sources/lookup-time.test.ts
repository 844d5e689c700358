import { expect } from 'chai';
import { isBulkheadRejectedError } from 'cockatiel';
import { createLogger } from '../../src/logger.js';
import { sourceNotAsked } from '../../src/photos/quiet-refusals.js';
import { CutAtTimeUpError, NotAskedInTimeError } from '../../src/sources/call-queue.js';
import { graphSource } from '../../src/sources/graph.js';
import { failureOf, RetryAfterError, type PhotoReference, type PhotoSource } from '../../src/sources/photo-source.js';
import { resilient, type ResilienceOptions } from '../../src/sources/resilient-source.js';
import { startGraphSimulator, type GraphSimulator } from '../simulators/graph.js';
import { repeated } from '../simulators/photo-faults.js';
import { samplePhoto } from '../support/sample-images.js';

const ADELE: PhotoReference = { kind: 'user', emails: ['adele@contoso.com'], graphId: 'adele-1' };
const FOREVER = new AbortController().signal;

/** What a lookup came to: its answer's kind, or the error it failed with. */
const outcome = (lookup: Promise<{ kind: string }>) =>
  lookup.then(
    (answer) => answer.kind,
    (error: unknown) => error,
  );

/** Whether a lookup has ended once the event loop has turned a few times ('pending' if not). */
async function soFar(lookup: Promise<unknown>): Promise<unknown> {
  let result: unknown = 'pending';
  void lookup.then((settled) => (result = settled));
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  return result;
}

describe("a lookup's time counts from when it is asked, waiting for its turn included", () => {
  let graph: GraphSimulator;
  before(async () => {
    graph = await startGraphSimulator([{ id: 'adele-1', userPrincipalName: 'adele@contoso.onmicrosoft.com', photo: await samplePhoto(648, 648) }]);
  });
  after(() => graph.close());
  beforeEach(() => (graph.faults = []));

  const m365 = (options: Partial<ResilienceOptions>): PhotoSource =>
    resilient(
      graphSource.create(
        'm365',
        graphSource.schema.parse({
          tenant: graph.tenant,
          clientId: graph.clientId,
          clientSecret: graph.clientSecret,
          authorityUrl: graph.authorityUrl,
          graphUrl: graph.graphUrl,
        }),
        createLogger('silent'),
      ),
      { timeoutMs: 10_000, retries: 0, breakerThreshold: 100, breakerHalfOpenMs: 1000, callsAtOnce: 1, ...options },
    );
  /** A source whose first lookup has proven its credentials, so that lookups go on together (credential-gate.ts). */
  const proven = async (options: Partial<ResilienceOptions>) => {
    const source = m365(options);
    expect(await outcome(source.fetch(ADELE, FOREVER))).to.equal('photo');
    return source;
  };
  const photoRequests = (from: number) => graph.counts.photos - from;

  it('gives a lookup that waited for a free call only what is left of its time: the second of two at a Graph that never answers is asked once, not twice', async () => {
    // Each lookup may take 500 ms × 2 attempts + 400 ms of waiting between them. The first takes
    // its two attempts; the second, asked with it, waited for them, and its time is up during its
    // first attempt: it is not tried again.
    const source = await proven({ timeoutMs: 500, retries: 1, waitingMs: 400 });
    const before = graph.counts.photos;
    graph.faults = repeated({ kind: 'held', until: () => new Promise(() => undefined) }, 4);
    const [first, second] = await Promise.all([outcome(source.fetch(ADELE, FOREVER)), outcome(source.fetch(ADELE, FOREVER))]);
    expect([first, second].map((error) => failureOf(error))).to.deep.equal(['transient', 'transient']);
    expect(photoRequests(before), 'two attempts, then one').to.equal(3);
  });

  it('takes a lookup still waiting for a free call when its time is up out of the queue, unasked, as "try again", and frees its place', async () => {
    const source = await proven({});
    const before = graph.counts.photos;
    let release = () => undefined as void;
    graph.faults = [{ kind: 'held', until: () => new Promise<void>((resolve) => (release = resolve)) }];
    const running = outcome(source.fetch(ADELE, FOREVER));
    // Four wait, their time (here their caller's signal) up before the first call ends.
    const times = Array.from({ length: 4 }, () => new AbortController());
    const waiting = times.map((time) => outcome(source.fetch(ADELE, time.signal)));
    times.forEach((time) => time.abort());
    const left = await Promise.all(waiting.map(soFar));
    expect(left.every((error) => error instanceof NotAskedInTimeError)).to.equal(true);
    expect(left.map((error) => [failureOf(error), sourceNotAsked(error)])).to.deep.equal(Array(4).fill(['transient', true]));
    // Their places are free again: four more wait, and a fifth finds the queue full.
    const next = Array.from({ length: 4 }, () => outcome(source.fetch(ADELE, FOREVER)));
    expect(isBulkheadRejectedError(await outcome(source.fetch(ADELE, FOREVER)))).to.equal(true);
    release();
    expect(await Promise.all([running, ...next])).to.deep.equal(Array(5).fill('photo'));
    expect(photoRequests(before), 'none for the lookups that left').to.equal(5);
  });

  it('takes a lookup waiting behind the first after a start out when its time is up, unasked', async () => {
    const source = m365({});
    let release = () => undefined as void;
    graph.faults = [{ kind: 'held', until: () => new Promise<void>((resolve) => (release = resolve)) }];
    const before = graph.counts.photos;
    const first = outcome(source.fetch(ADELE, FOREVER));
    const time = new AbortController();
    const behind = outcome(source.fetch(ADELE, time.signal));
    time.abort();
    expect(await soFar(behind)).to.be.instanceOf(NotAskedInTimeError);
    release();
    expect(await first).to.equal('photo');
    expect(photoRequests(before)).to.equal(1);
  });

  it('does not count an attempt cut because its lookup waited past its time as a failure of the source: the circuit stays closed', async () => {
    const source = await proven({ breakerThreshold: 1 });
    let release = () => undefined as void;
    let firstArrived = () => undefined as void;
    let secondArrived = () => undefined as void;
    const arrivals = [new Promise<void>((resolve) => (firstArrived = resolve)), new Promise<void>((resolve) => (secondArrived = resolve))];
    graph.faults = [
      { kind: 'held', until: () => (firstArrived(), new Promise<void>((resolve) => (release = resolve))) },
      { kind: 'held', until: () => (secondArrived(), new Promise<void>(() => undefined)) },
    ];
    const first = outcome(source.fetch(ADELE, FOREVER));
    const time = new AbortController();
    const late = outcome(source.fetch(ADELE, time.signal));
    await arrivals[0];
    release();
    expect(await first).to.equal('photo');
    // Its turn came and its request is out; then its time is up (here its caller's signal).
    await arrivals[1];
    time.abort();
    const cut = await late;
    expect([cut instanceof CutAtTimeUpError, failureOf(cut)]).to.deep.equal([true, 'transient']);
    expect([source.breakerState?.(), await outcome(source.fetch(ADELE, FOREVER))]).to.deep.equal(['closed', 'photo']);
  });

  it('holds lookups waiting for their turn when a pause is asked for meanwhile: they fail unsent, as those asked after it', async () => {
    const source = await proven({});
    const before = graph.counts.photos;
    graph.faults = [{ kind: 'status', status: 429, retryAfter: '30' }];
    const lookups = Array.from({ length: 4 }, () => outcome(source.fetch(ADELE, FOREVER)));
    const failures = await Promise.all(lookups);
    expect(failures.map((error) => error instanceof RetryAfterError)).to.deep.equal([true, true, true, true]);
    expect(photoRequests(before), 'only the first was sent').to.equal(1);
  });
});
