import { expect } from 'chai';
import { createLogger } from '../../src/logger.js';
import { UpstreamPhotos } from '../../src/photos/upstream-photos.js';
import type { PhotoSource } from '../../src/sources/photo-source.js';

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
