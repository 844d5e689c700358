import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { startNodeFlags } from '../bench/start-flags.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('every way the server is shipped runs node with the flags npm start gives it', () => {
  it('gives the young generation room (README, "Memory and the young generation")', () => {
    expect(startNodeFlags()).to.deep.equal(['--max-semi-space-size=64']);
  });

  it('the systemd unit', () => {
    const execStart = /^ExecStart=(.*)$/m.exec(read('deploy/ews-photo-bridge.service'))?.[1];
    expect(execStart).to.equal(`/usr/bin/node ${startNodeFlags().join(' ')} /opt/ews-photo-bridge/dist/cli.js serve`);
  });

  it('the image', () => {
    const entrypoint = /^ENTRYPOINT (.*)$/m.exec(read('Dockerfile'))?.[1];
    expect(JSON.parse(entrypoint ?? 'null')).to.deep.equal(['node', ...startNodeFlags(), 'dist/cli.js']);
  });
});
