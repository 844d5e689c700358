import { expect } from 'chai';
import { BridgeError } from '../../src/domain/errors.js';
import { LARGEST_PHOTO_SIZE, PHOTO_SIZES, parseSizeCode, sizeCodeOf } from '../../src/domain/size-code.js';

/** Calls parseSizeCode and returns the BridgeError it must throw. */
function rejectionOf(code: string): BridgeError {
  try {
    const parsed = parseSizeCode(code);
    expect.fail(`expected ${JSON.stringify(code)} to be rejected, but it parsed as ${parsed}`);
  } catch (error) {
    if (!(error instanceof BridgeError)) throw error;
    return error;
  }
}

describe('parseSizeCode', () => {
  const EXPECTED: ReadonlyArray<[string, number]> = [
    ['HR48x48', 48],
    ['HR64x64', 64],
    ['HR96x96', 96],
    ['HR120x120', 120],
    ['HR240x240', 240],
    ['HR360x360', 360],
    ['HR432x432', 432],
    ['HR504x504', 504],
    ['HR648x648', 648],
  ];

  it('knows exactly the nine Exchange sizes, largest 648', () => {
    expect([...PHOTO_SIZES]).to.deep.equal(EXPECTED.map(([, size]) => size));
    expect(LARGEST_PHOTO_SIZE).to.equal(648);
  });

  for (const [code, size] of EXPECTED) {
    it(`accepts ${code} as ${size}`, () => {
      expect(parseSizeCode(code)).to.equal(size);
    });
  }

  it('accepts the upper-case X that UCWA writes (HR64X64)', () => {
    expect(parseSizeCode('HR64X64')).to.equal(64);
    expect(parseSizeCode('HR648X648')).to.equal(648);
  });

  it('round-trips with sizeCodeOf for every size', () => {
    for (const size of PHOTO_SIZES) {
      expect(sizeCodeOf(size)).to.equal(`HR${size}x${size}`);
      expect(parseSizeCode(sizeCodeOf(size))).to.equal(size);
    }
  });

  const REJECTED: ReadonlyArray<[string, string]> = [
    ['HR1x1', 'a size Exchange does not serve'],
    ['HR96x48', 'a non-square size'],
    ['HR48x96', 'a non-square size the other way round'],
    ['HR97x97', 'a square size that is not one of the nine (no rounding)'],
    ['HR1000x1000', 'a size larger than the largest'],
    ['banana', 'not a size code at all'],
    ['', 'the empty string'],
    ['hr96x96', "a lower-case 'hr' prefix (the prefix is matched case-sensitively)"],
    [' HR96x96', 'leading whitespace'],
    ['HR96x96 ', 'trailing whitespace'],
    ['HR96x96\n', 'a trailing newline'],
    ['HR0096x0096', 'a zero-padded size (four digits)'],
    ['HR96', 'a code without the second dimension'],
    ['HR96x', 'a code with an empty second dimension'],
    ['96x96', 'a code without the HR prefix'],
    ['HR96*96', 'a wrong separator'],
    ['HR-96x-96', 'negative numbers'],
    ['HR96.0x96.0', 'decimals'],
  ];

  for (const [code, why] of REJECTED) {
    it(`rejects ${JSON.stringify(code)}: ${why}`, () => {
      const error = rejectionOf(code);
      expect(error.httpStatus).to.equal(400);
      expect(error.responseCode).to.equal('ErrorInvalidPhotoSize');
    });
  }

  // Same class of input as HR0096x0096: a zero-padded number. The regex allows three
  // digits, so 096 slips through and is read as 96; Exchange only knows the canonical codes.
  it('rejects a three-digit zero-padded size (HR096x096)', () => {
    const error = rejectionOf('HR096x096');
    expect(error.httpStatus).to.equal(400);
    expect(error.responseCode).to.equal('ErrorInvalidPhotoSize');
  });

  it('names the rejected code and the valid ones in the message', () => {
    const error = rejectionOf('HR97x97');
    expect(error).to.be.instanceOf(Error);
    expect(error.name).to.equal('BridgeError');
    expect(error.message).to.include("'HR97x97'");
    for (const [code] of EXPECTED) expect(error.message).to.include(code);
  });

  it('cuts a long hostile code short in the message', () => {
    const hostile = `HR${'9'.repeat(5000)}`;
    const error = rejectionOf(hostile);
    expect(error.message).to.not.include(hostile);
    expect(error.message.length).to.be.below(400);
  });
});
