import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { contactOwner } from '../../src/domain/photo-owner.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { noiseJpeg, outlookVcardWithPhoto } from '../abuse/hostile-files.js';
import { runCli } from '../support/run-cli.js';
import { samplePhoto } from '../support/sample-images.js';

/** vCard lines are folded at 75 octets with CRLF and a space, as RFC 6350 writes them. */
function fold(line: string): string {
  return line.match(/.{1,74}/g)!.join('\r\n ');
}

/** A line folded every 75 octets whatever character they split, as RFC 6350 §3.2 warns very simple writers do. */
function foldAtOctets(line: string): Buffer {
  const bytes = Buffer.from(line, 'utf8');
  const lines: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 75) lines.push(bytes.subarray(at, at + 75));
  return Buffer.concat(lines.flatMap((part, i) => (i === 0 ? [part] : [Buffer.from('\r\n '), part])));
}

describe('ews-photo-bridge contacts', function () {
  // One node start per command; on a loaded machine each can take seconds.
  this.timeout(120_000);
  let dir: string;
  let db: string;
  const mailbox = 'adele.vance@contoso.com';
  const cli = (args: string[]) => runCli(['--db', db, ...args]);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-contacts-'));
    db = join(dir, 'bridge.db');
    expect(runCli(['--db', db, 'account', 'add', mailbox]).status).to.equal(0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports a vCard file that starts with a byte-order mark, as Windows tools write them', () => {
    writeFileSync(join(dir, 'bom.vcf'), '\uFEFFBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bom Card\r\nN:Card;Bom;;;\r\nEND:VCARD\r\n');
    const result = cli(['contacts', 'import', 'bom.owner@contoso.com', join(dir, 'bom.vcf'), '--create']);
    expect([result.stderr, result.stdout]).to.deep.equal(['', 'imported 1 contact(s) into bom.owner@contoso.com: 1 added, 0 updated\n']);
  });

  it('imports a card with fields a contact has no place for, and says on stderr which, by how many cards', () => {
    writeFileSync(
      join(dir, 'rich.vcf'),
      'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Rich Card\r\nBDAY:1990-01-01\r\nNICKNAME:Richie\r\nTEL;TYPE=WORK,FAX:+1 555 0100\r\nEND:VCARD\r\n',
    );
    const result = cli(['contacts', 'import', 'rich.owner@contoso.com', join(dir, 'rich.vcf'), '--create']);
    expect([result.status, result.stdout, result.stderr]).to.deep.equal([
      0,
      'imported 1 contact(s) into rich.owner@contoso.com: 1 added, 0 updated\n',
      'ews-photo-bridge: not kept, as a contact has no field for it: BDAY (1 card), NICKNAME (1 card), TEL of type fax (1 card)\n',
    ]);
  });

  it('reads vCard 2.1 as Outlook exports it (quoted-printable in each charset, bare types, a base64 photo), and an escaped line break in a field as a space', async () => {
    const photo = (await samplePhoto(64, 48)).toString('base64');
    const card21 = [
      'BEGIN:VCARD',
      'VERSION:2.1',
      'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=B6rg',
      'FN;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:J=F6rg M=FCller, Sr.',
      'ORG:Fabrikam;Sales',
      'TITLE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Gesch=C3=A4fts=',
      'f=C3=BChrer',
      'TEL;WORK;VOICE:+49 30 1234',
      'TEL;CELL:+49 170 5555',
      'EMAIL;PREF;INTERNET:joerg@fabrikam.example',
      'PHOTO;ENCODING=BASE64;TYPE=JPEG:',
      ...(photo.match(/.{1,72}/g) ?? []).map((part) => ` ${part}`),
      '',
      'END:VCARD',
      '',
    ].join('\r\n');
    writeFileSync(join(dir, 'outlook.vcf'), card21);
    const imported = cli(['contacts', 'import', 'v21.owner@contoso.com', join(dir, 'outlook.vcf'), '--create']);
    expect([imported.stderr, imported.stdout]).to.deep.equal(['', 'imported 1 contact(s) into v21.owner@contoso.com: 1 added, 0 updated\n']);
    const store = new SqliteStore(db);
    try {
      const [joerg] = await store.listContacts('v21.owner@contoso.com');
      expect(joerg).to.deep.include({
        displayName: 'Jörg Müller, Sr.',
        givenName: 'Jörg',
        surname: 'Müller',
        company: 'Fabrikam',
        department: 'Sales',
        jobTitle: 'Geschäftsführer',
        emailAddresses: ['joerg@fabrikam.example'],
        phones: { business: '+49 30 1234', mobile: '+49 170 5555' },
      });
      expect(joerg!.photo).to.include({ width: 64, height: 48 });
    } finally {
      await store.close();
    }
    writeFileSync(join(dir, 'title.vcf'), 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Two Lines\r\nTITLE:Eng\\nineer\r\nEND:VCARD\r\n');
    expect(cli(['contacts', 'import', 'v21.owner@contoso.com', join(dir, 'title.vcf'), '--create']).status).to.equal(0);
    expect(cli(['contacts', 'list', 'v21.owner@contoso.com']).stdout).to.match(/Two Lines/);
  });

  it('reads a vCard 2.1 photo of 2.5 MB in the 47,000 lines Outlook folds it into, in one pass (it took minutes)', async () => {
    const photo = await noiseJpeg();
    expect(photo.length).to.be.above(2.5e6);
    writeFileSync(join(dir, 'large-photo.vcf'), outlookVcardWithPhoto('Large Photo', photo));
    const imported = cli(['contacts', 'import', 'v21.large@contoso.com', join(dir, 'large-photo.vcf'), '--create']);
    expect([imported.stderr, imported.stdout]).to.deep.equal(['', 'imported 1 contact(s) into v21.large@contoso.com: 1 added, 0 updated\n']);
    const store = new SqliteStore(db);
    try {
      const [contact] = await store.listContacts('v21.large@contoso.com');
      expect(contact!.photo).to.include({ width: 648, height: 648 });
    } finally {
      await store.close();
    }
  });

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
    expect(result.stdout).to.equal('imported 3 contact(s) into adele.vance@contoso.com: 3 added, 0 updated\n');

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
    for (const spelling of [`0x${Number(id).toString(16)}`, `${id}.0`, ` ${id}`, `${id}e0`]) {
      expect(cli(['contacts', 'remove', mailbox, spelling]).stderr, spelling).to.match(/is not a contact id/);
    }
    expect(cli(['contacts', 'remove', mailbox, id]).status).to.equal(0);
    expect(cli(['contacts', 'list', mailbox]).stdout).to.not.include('Lee Gu');
  });

  it('lists names a store from before they were checked holds with their controls and direction overrides escaped, not run by the terminal', async () => {
    const owner = 'terminal.owner@contoso.com';
    const store = new SqliteStore(db);
    const [id] = await store.saveContacts(
      owner,
      [],
      [{ displayName: 'Eve\u001b]0;owned\u0007\u202Egnp.exe', emailAddresses: ['eve@fabrikam.com'], phones: {}, refs: {} }],
    );
    await store.close();
    expect(cli(['contacts', 'list', owner]).stdout).to.equal(`${id}\tEve\\u001b]0;owned\\u0007\\u202egnp.exe\teve@fabrikam.com\t\n`);
  });

  it('updates a contact imported again — by its vCard UID, else by its address — instead of adding it twice', async () => {
    const card = (uid: string | undefined, name: string, email: string, extra: string[] = []) =>
      ['BEGIN:VCARD', 'VERSION:4.0', ...(uid ? [`UID:${uid}`] : []), `FN:${name}`, `EMAIL:${email}`, ...extra, 'END:VCARD'].join('\r\n');
    const photo = (await samplePhoto(80, 80, 'png')).toString('base64');
    const first = [
      card('urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1', 'Isaiah Langer', 'isaiah@old.example', [`PHOTO:data:image/png;base64,${photo}`]),
      card(undefined, 'Johanna Lorenz', 'johanna@fabrikam.com'),
    ];
    writeFileSync(join(dir, 'first.vcf'), `${first.join('\r\n')}\r\n`);
    expect(cli(['contacts', 'import', mailbox, join(dir, 'first.vcf')]).stdout).to.match(/: 2 added, 0 updated/);
    let store = new SqliteStore(db);
    const before = await store.listContacts(mailbox);
    await store.close();
    const isaiah = before.find((c) => c.displayName === 'Isaiah Langer')!;
    const johanna = before.find((c) => c.displayName === 'Johanna Lorenz')!;
    expect(isaiah.refs).to.deep.equal({ vcardUid: 'urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1' });

    // The same people exported again: Isaiah moved (new address, same UID, no photo any more);
    // Johanna's card has no UID but the same address, in other capitals; Lidia is new.
    const second = [
      card('urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1', 'Isaiah Langer', 'isaiah@new.example', ['TITLE:Sales Rep']),
      card(undefined, 'Johanna Lorenz-Weber', 'Johanna@Fabrikam.com'),
      card('urn:uuid:other', 'Lidia Holloway', 'lidia@contoso.com'),
    ];
    writeFileSync(join(dir, 'second.vcf'), `${second.join('\r\n')}\r\n`);
    const result = cli(['contacts', 'import', mailbox, join(dir, 'second.vcf')]);
    expect(result.stdout).to.equal('imported 3 contact(s) into adele.vance@contoso.com: 1 added, 2 updated\n');
    store = new SqliteStore(db);
    const after = await store.listContacts(mailbox);
    expect(after).to.have.length(before.length + 1);
    const isaiahAfter = after.find((c) => c.id === isaiah.id);
    expect(isaiahAfter).to.deep.include({ emailAddresses: ['isaiah@new.example'], jobTitle: 'Sales Rep' });
    expect(isaiahAfter!.photo).to.equal(undefined);
    expect(after.find((c) => c.id === johanna.id)).to.deep.include({ displayName: 'Johanna Lorenz-Weber', emailAddresses: ['Johanna@Fabrikam.com'] });
    expect(after.filter((c) => c.displayName === 'Lidia Holloway')).to.have.length(1);
    await store.close();

    // The first file again: Isaiah and Johanna change back; the same file once more changes no one, not even their times.
    expect(cli(['contacts', 'import', mailbox, join(dir, 'first.vcf')]).stdout).to.match(/: 0 added, 2 updated\n$/);
    store = new SqliteStore(db);
    const reverted = await store.listContacts(mailbox);
    await store.close();
    expect(cli(['contacts', 'import', mailbox, join(dir, 'first.vcf')]).stdout).to.equal(
      'imported 2 contact(s) into adele.vance@contoso.com: 0 added, 0 updated, 2 unchanged\n',
    );
    store = new SqliteStore(db);
    expect(await store.listContacts(mailbox)).to.deep.equal(reverted);
    await store.close();

    // Twice the same card in one file cannot say which version is right.
    writeFileSync(join(dir, 'twice.vcf'), `${[second[0]!, second[0]!].join('\r\n')}\r\n`);
    const twice = cli(['contacts', 'import', mailbox, join(dir, 'twice.vcf')]);
    expect(twice.status).to.equal(1);
    expect(twice.stderr).to.equal(
      'ews-photo-bridge: 1 problem(s) in the file, nothing imported:\n  card 2 (line 8): UID urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1 already appears at card 1 (line 1)\n',
    );
  });

  it('reads every card of a UTF-8 file as UTF-8 when a line in it is folded inside a character (RFC 6350 §3.2)', async () => {
    const owner = 'folded.owner@contoso.com';
    const greek = 'Κώστας Ι. Παπαδόπουλος-Αθανασόπουλος του Γεωργίου';
    const folded = foldAtOctets(`FN:${greek}`);
    expect([folded.subarray(75, 78).toString(), folded[78]! & 0xc0], 'the fold splits a letter').to.deep.equal(['\r\n ', 0x80]);
    const lines = (...text: string[]) => Buffer.from(text.map((line) => `${line}\r\n`).join(''), 'utf8');
    const vcf = Buffer.concat([
      lines('BEGIN:VCARD', 'VERSION:3.0', 'FN:Zoë Ström', 'END:VCARD'),
      lines('BEGIN:VCARD', 'VERSION:4.0'),
      folded,
      lines('', 'N:Παπαδόπουλος-Αθανασόπουλος;Κώστας;;;', 'END:VCARD'),
      lines('BEGIN:VCARD', 'VERSION:3.0', 'FN:José Müller', 'END:VCARD'),
      lines('BEGIN:VCARD', 'VERSION:4.0', 'FN:Anders Ångström', 'END:VCARD'),
    ]);
    writeFileSync(join(dir, 'folded.vcf'), vcf);
    const result = cli(['contacts', 'import', owner, join(dir, 'folded.vcf'), '--create']);
    expect([result.stderr, result.stdout]).to.deep.equal(['', `imported 4 contact(s) into ${owner}: 4 added, 0 updated\n`]);
    const store = new SqliteStore(db);
    try {
      const contacts = await store.listContacts(owner);
      expect(contacts.map((c) => c.displayName).sort()).to.deep.equal(['Anders Ångström', 'José Müller', 'Zoë Ström', greek].sort());
      expect(contacts.find((c) => c.displayName === greek)).to.deep.include({ givenName: 'Κώστας', surname: 'Παπαδόπουλος-Αθανασόπουλος' });
    } finally {
      await store.close();
    }
  });

  it("undoes a vCard text value's escaped commas, semicolons and backslashes, in 3.0 and 4.0 (RFC 6350 §3.4)", async () => {
    const owner = 'escapes.owner@contoso.com';
    const card = (version: string, email: string) =>
      ['BEGIN:VCARD', `VERSION:${version}`, 'FN:Smith\\, John \\; Jr. \\\\ III', 'TITLE:Sales\\; Marketing', `EMAIL:${email}`, 'END:VCARD'].join('\r\n');
    writeFileSync(join(dir, 'escapes.vcf'), `${card('3.0', 'john3@example.org')}\r\n${card('4.0', 'john4@example.org')}\r\n`);
    expect(cli(['contacts', 'import', owner, join(dir, 'escapes.vcf'), '--create']).stdout).to.match(/: 2 added, 0 updated/);
    const store = new SqliteStore(db);
    try {
      const contacts = await store.listContacts(owner);
      expect(contacts.map((c) => [c.displayName, c.jobTitle])).to.deep.equal([
        ['Smith, John ; Jr. \\ III', 'Sales; Marketing'],
        ['Smith, John ; Jr. \\ III', 'Sales; Marketing'],
      ]);
    } finally {
      await store.close();
    }
  });

  it("stores a vCard 4 tel: URI's number with its extension as ' ext. ', not its URI parameters (RFC 3966)", async () => {
    const owner = 'tel.owner@contoso.com';
    const vcf = [
      'BEGIN:VCARD',
      'VERSION:4.0',
      'FN:Ext Ension',
      'TEL;VALUE=uri;TYPE="voice,cell":tel:+1-555-555-5555;ext=5555',
      'TEL;VALUE=uri;TYPE=work:tel:863-1234;phone-context=+1-914-555',
      'TEL;VALUE=uri;TYPE=home:tel:+1-555-555-0100;isub=8;ext=12',
      'END:VCARD',
      '',
    ].join('\r\n');
    writeFileSync(join(dir, 'tel.vcf'), vcf);
    expect(cli(['contacts', 'import', owner, join(dir, 'tel.vcf'), '--create']).stdout).to.match(/: 1 added, 0 updated/);
    const store = new SqliteStore(db);
    try {
      const [contact] = await store.listContacts(owner);
      expect(contact!.phones).to.deep.equal({ mobile: '+1-555-555-5555 ext. 5555', business: '+1-914-555-863-1234', home: '+1-555-555-0100 ext. 12' });
    } finally {
      await store.close();
    }
  });

  it('refuses, on its first import as on any later one, a file with two contacts sharing an address', () => {
    writeFileSync(join(dir, 'shared.csv'), 'displayName,email1\nDup A,dup@x.example\nDup B,DUP@x.example\n');
    const result = cli(['contacts', 'import', 'shared.owner@contoso.com', join(dir, 'shared.csv'), '--create']);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.match(/line 3: is the same contact as line 2 \(Dup A\): they share an address/);
    expect(cli(['contacts', 'list', 'shared.owner@contoso.com']).stdout).to.equal('');
  });

  it("keeps a card's addresses in one spelling, so the same person imported in another (composed, the domain's U-label) is updated, not added", async () => {
    const owner = 'spelling.owner@contoso.com';
    const card = (name: string, email: string) => `BEGIN:VCARD\r\nVERSION:4.0\r\nFN:${name}\r\nEMAIL:${email}\r\nEND:VCARD\r\n`;
    writeFileSync(join(dir, 'decomposed.vcf'), card('Jürgen Müller', 'Ju\u0308rgen@xn--mller-kva.example'));
    expect(cli(['contacts', 'import', owner, join(dir, 'decomposed.vcf'), '--create']).stdout).to.match(/: 1 added, 0 updated/);
    writeFileSync(join(dir, 'composed.vcf'), card('Jürgen Müller (Fabrikam)', 'jürgen@müller.example'));
    expect(cli(['contacts', 'import', owner, join(dir, 'composed.vcf'), '--create']).stdout).to.match(/: 0 added, 1 updated/);
    const store = new SqliteStore(db);
    try {
      const contacts = await store.listContacts(owner);
      expect(contacts.map((c) => [c.displayName, c.emailAddresses])).to.deep.equal([['Jürgen Müller (Fabrikam)', ['jürgen@müller.example']]]);
    } finally {
      await store.close();
    }
    // Two cards of one file, one person in two spellings, are refused as any two sharing an address are.
    writeFileSync(join(dir, 'both.vcf'), card('Jürgen', 'ju\u0308rgen@müller.example') + card('Jürgen M.', 'jürgen@xn--mller-kva.example'));
    expect(cli(['contacts', 'import', owner, join(dir, 'both.vcf'), '--create']).stderr).to.match(
      /card 2 \(line 6\): is the same contact as card 1 \(line 1\) \(Jürgen\): they share an address/,
    );
  });

  it('refuses contacts for a mailbox nobody can sign in as, unless --create', async () => {
    writeFileSync(join(dir, 'one.csv'), 'displayName,email1\nPradeep Gupta,pradeep@contoso.com\n');
    const refused = cli(['contacts', 'import', 'adele.vanse@contoso.com', join(dir, 'one.csv')]);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.equal(
      'ews-photo-bridge: no login adele.vanse@contoso.com, so nobody would see these contacts; check the address, or pass --create to import them anyway\n',
    );
    let store = new SqliteStore(db);
    expect(await store.listContacts('adele.vanse@contoso.com')).to.deep.equal([]);
    await store.close();
    const created = cli(['contacts', 'import', '--create', 'grady.archie@contoso.com', join(dir, 'one.csv')]);
    expect(created.stdout).to.equal('imported 1 contact(s) into grady.archie@contoso.com: 1 added, 0 updated\n');
    store = new SqliteStore(db);
    expect((await store.listContacts('grady.archie@contoso.com')).map((c) => c.displayName)).to.deep.equal(['Pradeep Gupta']);
    await store.close();
  });

  it('says what a mailbox past 20,000 contacts costs to search and sync, once an import makes it that large', () => {
    const rows = Array.from({ length: 20_001 }, (_, i) => `Bulk Person ${i},bulk${i}@fabrikam.com`);
    writeFileSync(join(dir, 'bulk.csv'), `displayName,email1\n${rows.slice(0, 20_000).join('\n')}\n`);
    const full = cli(['contacts', 'import', '--create', 'bulk@contoso.com', join(dir, 'bulk.csv')]);
    expect([full.status, full.stderr]).to.deep.equal([0, '']);
    writeFileSync(join(dir, 'one-more.csv'), `displayName,email1\n${rows[20_000]}\n`);
    const past = cli(['contacts', 'import', '--create', 'bulk@contoso.com', join(dir, 'one-more.csv')]);
    expect(past.status).to.equal(0);
    expect(past.stderr).to.match(
      /^ews-photo-bridge: bulk@contoso\.com now holds 20001 contacts: a search or sync that reads all of a mailbox's contacts takes/,
    );
  });
});
