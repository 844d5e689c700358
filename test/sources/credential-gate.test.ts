import { expect } from 'chai';
import { SourcePausedError } from '../../src/sources/credential-gate.js';
import { CredentialsRefusedError, NO_PHOTO, type PhotoSource, type SourceAnswer } from '../../src/sources/photo-source.js';
import { resilient } from '../../src/sources/resilient-source.js';

const MINUTE = 60_000;

/** A source whose sign-in is refused while `refusing`, each lookup held until released; it counts what it was sent. */
function signingInSource() {
  const state = { refusing: true, sent: 0, running: 0, mostRunning: 0, held: [] as (() => void)[] };
  const source: PhotoSource = {
    name: 'directory',
    accepts: () => true,
    check: () => Promise.resolve([]),
    async fetch(): Promise<SourceAnswer> {
      state.sent++;
      state.running++;
      state.mostRunning = Math.max(state.mostRunning, state.running);
      await new Promise<void>((resolve) => state.held.push(resolve));
      state.running--;
      if (state.refusing) throw new CredentialsRefusedError('the directory refused the bind as cn=bridge: invalid credentials');
      return NO_PHOTO;
    },
  };
  return { state, source };
}

const outcome = (answer: Promise<SourceAnswer>) =>
  answer.then(
    (answered) => answered,
    (error: unknown) => error,
  );

/** Lets every held lookup finish, as they come, until none is running. */
async function releaseAll(state: { held: (() => void)[]; running: number }): Promise<void> {
  for (let turn = 0; turn < 100 && (state.held.length > 0 || state.running > 0 || turn < 3); turn++) {
    state.held.splice(0).forEach((release) => release());
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('credentials a source refused are not sent again for a while', () => {
  it('sends one lookup while the credentials are unproven; refused, none for 5 minutes, then one, then none for 10', async () => {
    let now = 0;
    const { state, source: upstream } = signingInSource();
    const source = resilient(upstream, { timeoutMs: 10_000, retries: 2, breakerThreshold: 100, breakerHalfOpenMs: 1000, now: () => now });
    const lookup = () => outcome(source.fetch({ kind: 'user', emails: ['a@example.com'] }, AbortSignal.timeout(10_000)));

    const first = Array.from({ length: 30 }, lookup);
    await releaseAll(state);
    const answers = await Promise.all(first);
    expect(state.sent, 'one bind for 30 lookups').to.equal(1);
    expect(state.mostRunning).to.equal(1);
    expect(answers[0]).to.be.instanceOf(CredentialsRefusedError);
    expect(answers.slice(1).every((answer) => answer instanceof SourcePausedError)).to.equal(true);
    expect((answers[1] as Error).message).to.equal('the directory refused the bind as cn=bridge: invalid credentials; not asked again for 300 s');

    now += 5 * MINUTE - 1;
    expect(await lookup()).to.be.instanceOf(SourcePausedError);
    now += 1;
    const second = Array.from({ length: 5 }, lookup);
    await releaseAll(state);
    expect((await Promise.all(second)).filter((answer) => answer instanceof SourcePausedError)).to.have.length(4);
    expect(state.sent).to.equal(2);
    now += 10 * MINUTE - 1;
    expect(await lookup()).to.be.instanceOf(SourcePausedError);
    expect(state.sent).to.equal(2);
  });

  it('once the credentials are mended and a lookup answers, lookups run side by side again and the pause starts over at 5 minutes', async () => {
    let now = 0;
    const { state, source: upstream } = signingInSource();
    const source = resilient(upstream, { timeoutMs: 10_000, retries: 0, breakerThreshold: 100, breakerHalfOpenMs: 1000, now: () => now });
    const lookup = () => outcome(source.fetch({ kind: 'user', emails: ['a@example.com'] }, AbortSignal.timeout(10_000)));
    const refused = lookup();
    await releaseAll(state);
    expect(await refused).to.be.instanceOf(CredentialsRefusedError);
    now += 5 * MINUTE;
    state.refusing = false;
    const mended = Array.from({ length: 4 }, lookup);
    await releaseAll(state);
    expect(await Promise.all(mended)).to.deep.equal(new Array<SourceAnswer>(4).fill(NO_PHOTO));
    state.mostRunning = 0;
    const together = Array.from({ length: 4 }, lookup);
    await releaseAll(state);
    await Promise.all(together);
    expect(state.mostRunning).to.equal(4);
    state.refusing = true;
    const again = lookup();
    await releaseAll(state);
    expect(await again).to.be.instanceOf(CredentialsRefusedError);
    now += 5 * MINUTE;
    const retried = lookup();
    await releaseAll(state);
    expect(await retried).to.be.instanceOf(CredentialsRefusedError);
  });

  it('lets the waiting lookups go on together once the one sent fails otherwise (a timeout, a 5xx): a source that is down does not queue them', async () => {
    const { state, source: upstream } = signingInSource();
    let failures = 1;
    const flaky: PhotoSource = {
      ...upstream,
      async fetch(reference, signal) {
        if (failures-- > 0) {
          state.sent++;
          await new Promise<void>((resolve) => state.held.push(resolve));
          throw new Error('the directory answered 503');
        }
        return upstream.fetch(reference, signal);
      },
    };
    state.refusing = false;
    const source = resilient(flaky, { timeoutMs: 10_000, retries: 0, breakerThreshold: 100, breakerHalfOpenMs: 1000 });
    const lookup = () => outcome(source.fetch({ kind: 'user', emails: ['a@example.com'] }, AbortSignal.timeout(10_000)));
    const lookups = Array.from({ length: 5 }, lookup);
    await releaseAll(state);
    const answers = await Promise.all(lookups);
    expect((answers[0] as Error).message).to.equal('the directory answered 503');
    expect(answers.slice(1)).to.deep.equal(new Array<SourceAnswer>(4).fill(NO_PHOTO));
    expect(state.mostRunning, 'the four after it side by side').to.equal(4);
  });
});
