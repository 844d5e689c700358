import { expect } from 'chai';
import { createLogger } from '../../src/logger.js';
import { QuietRefusals } from '../../src/photos/quiet-refusals.js';
import { UpstreamPhotos } from '../../src/photos/upstream-photos.js';
import type { PhotoSource } from '../../src/sources/photo-source.js';
import { resilient } from '../../src/sources/resilient-source.js';

describe('a failing source is logged in a line of bounded length', () => {
  it('clips a reason that quotes a megabyte the upstream sent', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    const hostile: PhotoSource = {
      name: 'hostile',
      accepts: () => true,
      check: () => Promise.resolve([]),
      fetch: () => Promise.reject(new Error(`host ${'a'.repeat(1_000_000)}.example is not allowed`)),
    };
    const upstream = new UpstreamPhotos({ user: [hostile], contact: [] }, () => Promise.reject(new Error('not reached')), log);
    expect(await upstream.find({ kind: 'user', emails: ['someone@example.com'] })).to.deep.equal({ kind: 'failed', failure: 'transient' });
    const failures = lines
      .map((line) => JSON.parse(line) as { msg: string; reason: string })
      .filter((entry) => entry.msg === 'photo source failed; trying the next');
    expect(failures).to.have.length(1);
    expect(failures[0]!.reason).to.equal(`host ${'a'.repeat(495)}…`);
  });
});

describe('a source that is not asked is logged once a while', () => {
  const down: PhotoSource = {
    name: 'down',
    accepts: () => true,
    check: () => Promise.resolve([]),
    fetch: () => Promise.reject(new Error('connect ECONNREFUSED 192.0.2.1:443')),
  };

  it('logs the failure that opens the circuit, then one line for fifty lookups the open circuit refused', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    const source = resilient(down, { timeoutMs: 1000, retries: 0, breakerThreshold: 1, breakerHalfOpenMs: 60_000 });
    const upstream = new UpstreamPhotos({ user: [source], contact: [] }, () => Promise.reject(new Error('not reached')), log);
    for (let person = 0; person < 51; person++) {
      expect(await upstream.find({ kind: 'user', emails: [`person${person}@example.com`] })).to.deep.equal({ kind: 'failed', failure: 'transient' });
    }
    const entries = lines.map((line) => JSON.parse(line) as { msg: string; source: string; unloggedBefore?: number });
    expect(entries.map((entry) => entry.msg)).to.deep.equal(['photo source failed; trying the next', 'photo source not asked; trying the next']);
    expect(entries[1]).to.include({ source: 'down', unloggedBefore: 0 });
  });

  it('says, a window later, how many refusals went unlogged', () => {
    const lines: string[] = [];
    let now = 0;
    const refusals = new QuietRefusals(createLogger('info', { write: (line: string) => void lines.push(line) }), () => now);
    for (let lookup = 0; lookup < 30; lookup++) refusals.warn('down', 'Execution prevented because the circuit breaker is open');
    refusals.warn('other', 'Bulkhead capacity exceeded');
    now = 10_000;
    refusals.warn('down', 'Execution prevented because the circuit breaker is open');
    const entries = lines.map((line) => JSON.parse(line) as { source: string; unloggedBefore: number });
    expect(entries.map(({ source, unloggedBefore }) => [source, unloggedBefore])).to.deep.equal([
      ['down', 0],
      ['other', 0],
      ['down', 29],
    ]);
  });
});
