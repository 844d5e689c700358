import { expect } from 'chai';
import { isoInstant, type InstantForm } from '../../src/domain/instant.js';

describe('an xs:dateTime or DateTimeOffset read as an instant', () => {
  const reader = (form: InstantForm) => (text: string) => isoInstant(text, form) ?? null;

  it('takes a zone of at most 14 hours, in whole minutes, as XML Schema has it; refuses any other and a date that does not exist', () => {
    for (const form of ['xs:dateTime', 'OData'] as const) {
      expect(
        ['2024-01-01T00:00:00+14:00', '2024-01-01T00:00:00-14:00', '2024-01-01T05:30:00+05:30', '2024-01-01T00:00:00.1234567Z'].map(reader(form)),
        form,
      ).to.deep.equal(['2023-12-31T10:00:00.000Z', '2024-01-01T14:00:00.000Z', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.123Z']);
      expect(
        ['2024-01-01T00:00:00+14:59', '2024-01-01T00:00:00-14:01', '2024-01-01T00:00:00+15:00', '2024-01-01T00:00:00+05:60', '2021-02-30T00:00:00Z'].map(
          reader(form),
        ),
        form,
      ).to.deep.equal([null, null, null, null, null]);
    }
  });

  it('refuses hour 24 and year 0000 in both forms: .NET reads neither, and the OData ABNF has neither', () => {
    for (const form of ['xs:dateTime', 'OData'] as const) {
      expect(['2024-01-01T24:00:00Z', '0000-01-01T00:00:00Z', '2024-01-01T23:59:59Z', '0001-01-01T00:00:00Z'].map(reader(form)), form).to.deep.equal([
        null,
        null,
        '2024-01-01T23:59:59.000Z',
        '0001-01-01T00:00:00.000Z',
      ]);
    }
  });

  it('xs:dateTime: seconds required, any number of fraction digits (XML Schema allows them, .NET reads them)', () => {
    expect(['2024-01-01T00:00Z', '2024-01-01T00:00:00.123456789Z', '2024-01-01T00:00:00.5'].map(reader('xs:dateTime'))).to.deep.equal([
      null,
      '2024-01-01T00:00:00.123Z',
      '2024-01-01T00:00:00.500Z',
    ]);
  });

  it('OData DateTimeOffset: seconds optional, a fraction of at most 12 digits and only after seconds', () => {
    expect(
      ['2024-01-01T00:00Z', '2024-01-01T00:00', '2024-01-01T00:00:00.123456789012Z', '2024-01-01T00:00:00.1234567890123Z', '2024-01-01T10:00.5Z'].map(
        reader('OData'),
      ),
    ).to.deep.equal(['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.123Z', null, null]);
  });
});
