import { expect } from 'chai';
import { wholeMessages } from '../../src/sources/ldap-framing.js';

/** A BER SEQUENCE of `length` content bytes, each its index's low byte, with the shortest length form (X.690 §8.1.3). */
function sequence(length: number): Buffer {
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest & 0xff);
  const head = length < 0x80 ? [0x30, length] : [0x30, 0x80 | octets.length, ...octets];
  return Buffer.concat([Buffer.from(head), Buffer.from(Array.from({ length }, (_, index) => index & 0xff))]);
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  return Array.from({ length: Math.ceil(bytes.length / size) }, (_, index) => bytes.subarray(index * size, (index + 1) * size));
}

/** What a framed reader hands on, as it is fed `chunks`. */
function handedOn(chunks: Buffer[]): Buffer[] {
  const read: Buffer[] = [];
  const framed = wholeMessages((data) => void read.push(Buffer.from(data)));
  for (const chunk of chunks) framed(chunk, undefined);
  return read;
}

describe('LDAP messages are handed to ldapts whole', () => {
  it('joins a 1 MiB message sent in 64 KiB chunks once, when its last chunk is in', () => {
    const message = sequence(1024 * 1024);
    const read = handedOn(chunked(message, 64 * 1024));
    expect(read).to.have.length(1);
    expect(read[0]!.equals(message)).to.equal(true);
  });

  it('hands on each of several messages in one chunk, and one whose head is split across chunks', () => {
    const messages = [sequence(5), sequence(300), sequence(70_000)];
    const stream = Buffer.concat(messages);
    // The third message's head (0x30 0x83 and three length bytes) is cut after its second byte.
    const cut = messages[0]!.length + messages[1]!.length + 2;
    const read = handedOn([stream.subarray(0, cut), stream.subarray(cut, cut + 1), stream.subarray(cut + 1)]);
    expect(read.map((message) => message.toString('hex'))).to.deep.equal(messages.map((message) => message.toString('hex')));
  });

  it('passes on bytes that are not BER as they come, and everything after them', () => {
    const indefinite = Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01]);
    const tooLong = Buffer.from([0x30, 0x85, 1, 0, 0, 0, 0]);
    expect(handedOn([indefinite, sequence(3)]).map((bytes) => bytes.toString('hex'))).to.deep.equal(['3080020101', sequence(3).toString('hex')]);
    expect(handedOn([tooLong]).map((bytes) => bytes.toString('hex'))).to.deep.equal(['30850100000000']);
  });
});
