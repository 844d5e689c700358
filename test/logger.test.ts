import { expect } from 'chai';
import { BatchedLines } from '../src/logger.js';

describe('BatchedLines', () => {
  function collect(): { batches: Buffer[]; text: () => string } {
    const batches: Buffer[] = [];
    return { batches, text: () => Buffer.concat(batches).toString('utf8') };
  }

  it('writes nothing until flushed or full, then every line in order, whole', () => {
    const out = collect();
    const lines = new BatchedLines({ write: (bytes: Buffer) => out.batches.push(bytes) });
    lines.write('{"msg":"one"}\n');
    lines.write('{"msg":"two"}\n');
    expect(out.batches).to.have.length(0);
    lines.flush();
    lines.flush();
    expect(out.batches).to.have.length(1);
    expect(out.text()).to.equal('{"msg":"one"}\n{"msg":"two"}\n');
  });

  it('keeps letters outside ASCII intact across many batches', () => {
    const out = collect();
    const lines = new BatchedLines({ write: (bytes: Buffer) => out.batches.push(bytes) });
    const written = Array.from({ length: 3000 }, (_, i) => `{"user":"Zoë Ångström 😀 ${i}"}\n`);
    for (const line of written) lines.write(line);
    lines.flush();
    expect(out.batches.length).to.be.greaterThan(1);
    // Every batch ends at a line's end: no character or line is split between two writes.
    for (const batch of out.batches) expect(batch.toString('utf8').endsWith('\n')).to.equal(true);
    expect(out.text()).to.equal(written.join(''));
  });

  it('hands each batch over as its own buffer, not one it writes into again', () => {
    const out = collect();
    const lines = new BatchedLines({ write: (bytes: Buffer) => out.batches.push(bytes) });
    lines.write('first\n');
    lines.flush();
    lines.write('second\n');
    lines.flush();
    expect(out.batches.map((batch) => batch.toString())).to.deep.equal(['first\n', 'second\n']);
  });

  it('takes lines written as bytes between lines written as text, in order, each batch ending at a line', () => {
    const out = collect();
    const lines = new BatchedLines({ write: (bytes: Buffer) => out.batches.push(bytes) });
    const expected: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const asBytes = `{"reqId":"${i}","user":"Zoë"}\n`;
      const encoded = Buffer.from(asBytes);
      lines.reserve(encoded.length);
      encoded.copy(lines.buffer, lines.used);
      lines.commit(lines.used + encoded.length);
      const asText = `{"msg":"line ${i}"}\n`;
      lines.write(asText);
      expected.push(asBytes, asText);
    }
    lines.flush();
    expect(out.batches.length).to.be.greaterThan(1);
    for (const batch of out.batches) expect(batch.toString('utf8').endsWith('\n')).to.equal(true);
    expect(out.text()).to.equal(expected.join(''));
  });

  it('writes a line longer than a batch on its own, after the lines before it', () => {
    const out = collect();
    const lines = new BatchedLines({ write: (bytes: Buffer) => out.batches.push(bytes) });
    const long = `${'x'.repeat(100_000)}\n`;
    lines.write('before\n');
    lines.write(long);
    lines.write('after\n');
    lines.flush();
    expect(out.batches.map((batch) => batch.toString())).to.deep.equal(['before\n', long, 'after\n']);
  });
});
