import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { HashWorkers, type ScryptJob } from '../../src/auth/hash-workers.js';
import { hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { BridgeError } from '../../src/domain/errors.js';

const job = (password: string): ScryptJob => ({ password, salt: Buffer.alloc(16, 7), N: 16384, r: 8, p: 1, keyLength: 32, maxmem: 64 * 1024 * 1024 });

describe('password hashing threads', () => {
  it('verify passwords as before, through a pool of their own', async () => {
    const workers = new HashWorkers({ workers: 2, maxQueued: 4 });
    try {
      const encoded = await hashPassword('correct horse', workers);
      expect(await verifyPassword('correct horse', encoded, workers)).to.equal(true);
      expect(await verifyPassword('wrong horse', encoded, workers)).to.equal(false);
      expect(await verifyPassword('correct horse', encoded), 'the shared pool agrees').to.equal(true);
    } finally {
      await workers.close();
    }
  });

  it('take as many derivations as threads plus queue, and answer the next one ErrorServerBusy (503, Retry-After)', async () => {
    const workers = new HashWorkers({ workers: 1, maxQueued: 2 });
    try {
      const admitted = [job('one'), job('two'), job('three')].map((each) => workers.derive(each));
      const refused = await workers.derive(job('four')).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(BridgeError);
      expect(refused).to.deep.include({ httpStatus: 503, responseCode: 'ErrorServerBusy', retryAfterSeconds: 1 });
      const keys = await Promise.all(admitted);
      expect(keys.map((key) => key.length)).to.deep.equal([32, 32, 32]);
      expect(new Set(keys.map((key) => key.toString('hex'))).size, 'each its own key').to.equal(3);
      expect((await workers.derive(job('five'))).length, 'room again once the queue drained').to.equal(32);
    } finally {
      await workers.close();
    }
  });

  it('share a full queue fairly between sites: a site waiting with fewer jobs takes the newest place of the fullest, and goes first', async () => {
    const workers = new HashWorkers({ workers: 1, maxQueued: 4 });
    const done: string[] = [];
    const outcome = (label: string, site: string) =>
      workers.derive(job(label), site).then(
        () => {
          done.push(label);
          return 'hashed';
        },
        (error: unknown) => (error instanceof BridgeError ? error.httpStatus : 'failed'),
      );
    try {
      // One running, four waiting, the sixth refused: the queue is the flood's alone.
      const flood = Array.from({ length: 6 }, (_, i) => outcome(`flood ${i}`, '2001:db8::/48'));
      // Each other site's first job pushes the flood's newest out; a second waits no more than the flood does, so it is refused.
      const others = [outcome('a', '192.0.2.1'), outcome('b', '198.51.100.1'), outcome('a again', '192.0.2.1')];
      expect(await Promise.all(flood)).to.deep.equal(['hashed', 'hashed', 'hashed', 503, 503, 503]);
      expect(await Promise.all(others)).to.deep.equal(['hashed', 'hashed', 503]);
      expect(done).to.deep.equal(['flood 0', 'a', 'b', 'flood 1', 'flood 2']);
    } finally {
      await workers.close();
    }
  });

  it('fail what is still waiting when closed, and take nothing after', async () => {
    const workers = new HashWorkers({ workers: 1, maxQueued: 4 });
    const pending = [job('a'), job('b')].map((each) =>
      workers.derive(each).then(
        () => 'done',
        () => 'failed',
      ),
    );
    await workers.close();
    expect(await Promise.all(pending)).to.deep.equal(['failed', 'failed']);
    expect(
      await workers.derive(job('c')).then(
        () => 'done',
        () => 'failed',
      ),
    ).to.equal('failed');
  });

  it('never keep a process alive once idle, yet let it finish a hash it awaits', () => {
    const script = "import('./src/auth/password-hash.ts').then(({ hashPassword }) => hashPassword('pw')).then((hash) => console.log(hash.split('$')[0]))";
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(result.signal, 'exited by itself').to.equal(null);
    expect(result.status).to.equal(0);
    expect(result.stdout.trim()).to.equal('scrypt');
  });
});
