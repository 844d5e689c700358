import { expect } from 'chai';
import { isoInstant } from '../../src/domain/instant.js';

describe('an xs:dateTime or DateTimeOffset read as an instant', () => {
  it('takes a zone of at most 14 hours, in whole minutes, as XML Schema has it; refuses any other and a date that does not exist', () => {
    const read = (text: string) => isoInstant(text) ?? null;
    expect(
      ['2024-01-01T00:00:00+14:00', '2024-01-01T00:00:00-14:00', '2024-01-01T05:30:00+05:30', '2024-01-01T00:00', '2024-01-01T00:00:00.1234567Z'].map(read),
    ).to.deep.equal([
      '2023-12-31T10:00:00.000Z',
      '2024-01-01T14:00:00.000Z',
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:00:00.123Z',
    ]);
    expect(
      ['2024-01-01T00:00:00+14:59', '2024-01-01T00:00:00-14:01', '2024-01-01T00:00:00+15:00', '2024-01-01T00:00:00+05:60', '2021-02-30T00:00:00Z'].map(read),
    ).to.deep.equal([null, null, null, null, null]);
  });
});
