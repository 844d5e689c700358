import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { contactOwner } from '../../src/domain/photo-owner.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runCli } from '../support/run-cli.js';
import { samplePhoto } from '../support/sample-images.js';

/** vCard lines are folded at 75 octets with CRLF and a space, as RFC 6350 writes them. */
function fold(line: string): string {
  return line.match(/.{1,74}/g)!.join('\r\n ');
}

describe('ews-photo-bridge contacts', () => {
  let dir: string;
  let db: string;
  const mailbox = 'adele.vance@contoso.com';
  const cli = (args: string[]) => runCli(['--db', db, ...args]);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-contacts-'));
    db = join(dir, 'bridge.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports vCard 3 and 4 contacts with their embedded photos, normalised to JPEG', async () => {
    const jpeg = (await samplePhoto(300, 200)).toString('base64');
    const png = (await samplePhoto(120, 120, 'png')).toString('base64');
    const vcf = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'N:Gu;Lee;;;',
      'FN:Lee Gu',
      'ORG:Fabrikam;Manufacturing',
      'TITLE:Director',
      'EMAIL;TYPE=INTERNET,WORK:lee.gu@fabrikam.com',
      'EMAIL;TYPE=INTERNET,HOME:lee@example.org',
      'TEL;TYPE=WORK,VOICE:+1 425 555 0100',
      'TEL;TYPE=CELL:+1 425 555 0199',
      fold(`PHOTO;ENCODING=b;TYPE=JPEG:${jpeg}`),
      'END:VCARD',
      'BEGIN:VCARD',
      'VERSION:4.0',
      'FN:Megan Bowen',
      'N:Bowen;Megan;;;',
      'EMAIL:megan@tailspin.com',
      'TEL;VALUE=uri;TYPE=home:tel:+1-425-555-0111',
      fold(`PHOTO:data:image/png;base64,${png}`),
      'END:VCARD',
      'BEGIN:VCARD',
      'VERSION:3.0',
      'FN:No Photo',
      'EMAIL:nophoto@example.org',
      'END:VCARD',
      '',
    ].join('\r\n');
    writeFileSync(join(dir, 'people.vcf'), vcf);
    const result = cli(['contacts', 'import', mailbox, join(dir, 'people.vcf')]);
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.match(/imported 3 contact\(s\) into adele.vance@contoso.com/);

    const store = new SqliteStore(db);
    const [lee, megan, none] = await store.listContacts(mailbox);
    expect(lee).to.deep.include({
      displayName: 'Lee Gu',
      givenName: 'Lee',
      surname: 'Gu',
      company: 'Fabrikam',
      department: 'Manufacturing',
      jobTitle: 'Director',
      emailAddresses: ['lee.gu@fabrikam.com', 'lee@example.org'],
      phones: { business: '+1 425 555 0100', mobile: '+1 425 555 0199' },
    });
    expect(lee!.photo).to.include({ width: 300, height: 200 });
    expect(megan).to.deep.include({ displayName: 'Megan Bowen', emailAddresses: ['megan@tailspin.com'], phones: { home: '+1-425-555-0111' } });
    const meganPhoto = await store.getPhoto(contactOwner(megan!.id));
    expect((await sharp(meganPhoto!.bytes).metadata()).format).to.equal('jpeg');
    expect(none!.photo).to.equal(undefined);
    await store.close();
  });

  it('imports contacts from CSV, with references to other systems', async () => {
    writeFileSync(
      join(dir, 'crm.csv'),
      'displayName,company,email1,mobilePhone,whatsappPhone,superOfficeId\nPatti Fernandez,Contoso,patti@contoso.com,+55 11 99999 0000,+5511999990000,42\n',
    );
    expect(cli(['contacts', 'import', mailbox, join(dir, 'crm.csv')]).status).to.equal(0);
    const store = new SqliteStore(db);
    const patti = (await store.searchContacts(mailbox, 'Patti', 10))[0];
    expect(patti?.refs).to.deep.equal({ whatsappPhone: '+5511999990000', superOfficeId: '42' });
    await store.close();
  });

  it('rejects a file with a bad card or a broken photo, naming it, and imports none of its contacts', async () => {
    const vcf = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'FN:Good One',
      'EMAIL:good@example.org',
      'END:VCARD',
      'BEGIN:VCARD',
      'VERSION:3.0',
      'FN:Bad Address',
      'EMAIL:not-an-address',
      'END:VCARD',
      'BEGIN:VCARD',
      'VERSION:3.0',
      'FN:Bad Photo',
      'PHOTO;ENCODING=b;TYPE=JPEG:aGVsbG8gd29ybGQ=',
      'END:VCARD',
      '',
    ].join('\r\n');
    writeFileSync(join(dir, 'bad.vcf'), vcf);
    const result = cli(['contacts', 'import', mailbox, join(dir, 'bad.vcf')]);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.match(/card 2 \(line 6\): email1 is not an SMTP address/);
    expect(result.stderr).to.match(/card 3 \(line 11\): photo: not a usable image/);
    const store = new SqliteStore(db);
    expect(await store.searchContacts(mailbox, 'Good', 10)).to.have.length(0);
    await store.close();
  });

  it("lists a mailbox's contacts and removes one; another mailbox sees none of them", () => {
    const listed = cli(['contacts', 'list', mailbox]).stdout.trim().split('\n');
    expect(listed).to.have.length(4);
    const lee = listed.find((line) => line.includes('Lee Gu'))!;
    expect(lee).to.match(/\tphoto$/);
    expect(cli(['contacts', 'list', 'someone.else@contoso.com']).stdout).to.equal('');
    const id = lee.split('\t')[0]!;
    expect(cli(['contacts', 'remove', 'someone.else@contoso.com', id]).stderr).to.match(/no contact/);
    expect(cli(['contacts', 'remove', mailbox, id]).status).to.equal(0);
    expect(cli(['contacts', 'list', mailbox]).stdout).to.not.include('Lee Gu');
  });
});
