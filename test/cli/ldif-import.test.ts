import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { userOwner } from '../../src/domain/photo-owner.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runCli } from '../support/run-cli.js';
import { samplePhoto } from '../support/sample-images.js';

/** Base64 folded at 76 columns as ldifde and ldapsearch write it: continuation lines start with one space. */
function folded(name: string, bytes: Buffer): string {
  const line = `${name}:: ${bytes.toString('base64')}`;
  return (line.match(/.{1,76}/g) ?? []).join('\n ');
}

describe('ews-photo-bridge import --format ldif', function () {
  this.timeout(120_000);
  let dir: string;
  let db: string;
  const cli = (args: string[]) => runCli(['--db', db, ...args]);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-ldif-'));
    db = join(dir, 'bridge.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports the people of an export, with their thumbnailPhoto, as the LDAP importer maps them', async () => {
    const ldif = [
      'version: 1',
      '',
      '# the OU itself: no mail, passed over',
      'dn: OU=People,DC=contoso,DC=com',
      'objectClass: organizationalUnit',
      'ou: People',
      '',
      'dn: CN=Tânia Ivanova,OU=People,DC=contoso,DC=com',
      'objectClass: user',
      'mail: tania.ivanova@contoso.com',
      // Binary attributes the import does not read: bytes that are no UTF-8 pass unread.
      `objectGUID:: ${Buffer.from([0xb5, 0xd0, 0x0f, 0x9c, 0xff, 0xfe]).toString('base64')}`,
      // ldifde writes non-ASCII values in base64.
      `displayName:: ${Buffer.from('Tânia Ivanova').toString('base64')}`,
      'givenName: Tania',
      'sn: Ivanova',
      'title: Engineer',
      'department: R&D',
      'telephoneNumber: +1 425 555 0123',
      folded('thumbnailPhoto', await samplePhoto(96, 96)),
      '',
      'dn: uid=jdoe,ou=People,dc=contoso,dc=com',
      'objectClass: inetOrgPerson',
      'cn: John Doe',
      'mail: john.doe@contoso.com',
      'cn;lang-de: Johann Doe',
      // As ldifde writes a mailbox hidden from address lists.
      'msExchHideFromAddressLists: TRUE',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'people.ldif'), ldif);
    const result = cli(['import', join(dir, 'people.ldif')]);
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.equal(`imported 2 user(s) and 1 photo(s) from ${join(dir, 'people.ldif')}; passed over 1 entr(y/ies) without mail\n`);
    const store = new SqliteStore(db);
    expect(await store.getUser('tania.ivanova@contoso.com')).to.deep.include({
      displayName: 'Tânia Ivanova',
      givenName: 'Tania',
      surname: 'Ivanova',
      title: 'Engineer',
      department: 'R&D',
      businessPhone: '+1 425 555 0123',
      refs: { ldapDn: 'CN=Tânia Ivanova,OU=People,DC=contoso,DC=com' },
    });
    expect(await store.getUser('john.doe@contoso.com')).to.deep.include({ displayName: 'John Doe', hiddenFromAddressLists: true });
    expect((await store.getUser('tania.ivanova@contoso.com'))?.hiddenFromAddressLists).to.equal(undefined);
    const photo = await store.getPhoto(userOwner('tania.ivanova@contoso.com'));
    expect(photo).to.include({ width: 96, height: 96, source: 'ldif' });
    expect((await sharp(photo!.bytes).metadata()).format).to.equal('jpeg');
    await store.close();
  });

  it('minds text that is not UTF-8 only where it is read: an entry passed over, a cn beside a displayName', async () => {
    const latin1 = (text: string) => Buffer.from(text, 'latin1').toString('base64');
    const ldif = [
      'dn: cn=Comptabilite,ou=Groups,dc=contoso,dc=com',
      `cn:: ${latin1('Comptabilité')}`,
      '',
      'dn: cn=Zoe,dc=contoso,dc=com',
      'mail: zoe.garbled@contoso.com',
      `cn:: ${latin1('Zoë')}`,
      `displayName:: ${Buffer.from('Zoë Ångström').toString('base64')}`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'legacy.ldif'), ldif);
    // A garbled mail is a mailbox that would be lost: not passed over as one without mail.
    writeFileSync(join(dir, 'lost.ldif'), `${ldif}\ndn: cn=Cafe,dc=contoso,dc=com\nmail:: ${latin1('café@contoso.com')}\ndisplayName: Café\n`);
    const lost = cli(['import', join(dir, 'lost.ldif')]);
    expect([lost.status, lost.stderr.split('\n')[1]]).to.deep.equal([
      1,
      '  entry at line 9: mail is base64 of bytes that are not UTF-8; LDIF text is UTF-8 (RFC 2849 note 7)',
    ]);
    const result = cli(['import', join(dir, 'legacy.ldif')]);
    expect([result.stderr, result.stdout]).to.deep.equal([
      '',
      `imported 1 user(s) and 0 photo(s) from ${join(dir, 'legacy.ldif')}; passed over 1 entr(y/ies) without mail\n`,
    ]);
    const store = new SqliteStore(db);
    expect((await store.getUser('zoe.garbled@contoso.com'))?.displayName).to.equal('Zoë Ångström');
    await store.close();
  });

  it('refuses the whole file for a bad entry or photo, naming each by line', async () => {
    const ldif = [
      'dn: cn=Fine,dc=contoso,dc=com',
      'mail: fine@contoso.com',
      'cn: Fine',
      '',
      'dn: cn=Broken,dc=contoso,dc=com',
      'mail: not-an-address',
      '',
      'dn: cn=Bad Photo,dc=contoso,dc=com',
      'mail: bad.photo@contoso.com',
      'cn: Bad Photo',
      `jpegPhoto:: ${Buffer.from('hello world').toString('base64')}`,
      '',
      'dn: cn=New,dc=contoso,dc=com',
      'changetype: add',
      '',
      // An export written in Windows-1252, not UTF-8: read as UTF-8, "René" became "Ren\uFFFD".
      'dn: cn=Rene,dc=contoso,dc=com',
      'mail: rene@contoso.com',
      `displayName:: ${Buffer.from('René', 'latin1').toString('base64')}`,
      '',
      `dn:: ${Buffer.from('cn=Zoë,dc=contoso,dc=com', 'latin1').toString('base64')}`,
      'mail: zoe@contoso.com',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'bad.ldif'), ldif);
    const result = cli(['import', '--format', 'ldif', join(dir, 'bad.ldif')]);
    expect(result.status).to.equal(1);
    const problems = result.stderr.split('\n').slice(1, -1);
    const notUtf8 = 'is base64 of bytes that are not UTF-8; LDIF text is UTF-8 (RFC 2849 note 7)';
    expect(problems.slice(0, 3)).to.deep.equal([
      '  line 14: a change record (changetype: add); export entries instead (ldapsearch -LLL, ldifde -f)',
      `  line 20: dn ${notUtf8}`,
      '  entry at line 5: email is not an SMTP address',
    ]);
    expect(problems[3]).to.match(/^ {2}entry at line 8: photo: not a usable image/);
    expect(problems[4]).to.equal(`  entry at line 16: displayName ${notUtf8}`);
    expect(problems).to.have.length(5);
    const store = new SqliteStore(db);
    expect(await store.getUser('fine@contoso.com')).to.equal(undefined);
    await store.close();
  });

  it("names each entry's manager by the mail of the entry in the file its manager DN points to, as import-ldap does", async () => {
    // Managers set by an earlier CSV import, which this LDIF now speaks for.
    writeFileSync(
      join(dir, 'before.csv'),
      'email,displayName,manager\nreport@contoso.com,Report,old.boss@contoso.com\nboss@contoso.com,Boss,old.boss@contoso.com\n',
    );
    expect(cli(['import', join(dir, 'before.csv')]).status).to.equal(0);
    const ldif = [
      'dn: CN=Boss,OU=Users,DC=contoso,DC=com',
      'mail: boss@contoso.com',
      'displayName: Boss',
      // Outside the file, as a manager outside userFilter is to import-ldap: no manager.
      'manager: CN=Elsewhere,DC=contoso,DC=com',
      '',
      'dn: CN=Report,OU=Users,DC=contoso,DC=com',
      'mail: report@contoso.com',
      'displayName: Report',
      // DNs as servers may write them: another case, spaces after commas.
      'manager: cn=boss, ou=users, dc=contoso, dc=com',
      '',
      'dn: CN=Self,OU=Users,DC=contoso,DC=com',
      'mail: self@contoso.com',
      'displayName: Self',
      'manager: CN=Self,OU=Users,DC=contoso,DC=com',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'managers.ldif'), ldif);
    expect(cli(['import', join(dir, 'managers.ldif')]).status).to.equal(0);
    const store = new SqliteStore(db);
    const managerOf = async (email: string) => (await store.getUser(email))?.manager;
    expect([await managerOf('report@contoso.com'), await managerOf('boss@contoso.com'), await managerOf('self@contoso.com')]).to.deep.equal([
      'boss@contoso.com',
      undefined,
      undefined,
    ]);
    await store.close();
  });
  it('takes again an address the store holds with a character that shows nothing, in base64 as ldifde writes it, and refuses one new to it', async () => {
    const store = new SqliteStore(db);
    await store.upsertUsers([{ email: 'zero\u200bwidth@contoso.com', displayName: 'Zero Width', refs: {} }]);
    await store.close();
    const entry = (mail: string, name: string) => [
      `dn: CN=${name},OU=Users,DC=contoso,DC=com`,
      `mail:: ${Buffer.from(mail).toString('base64')}`,
      `displayName: ${name}`,
      '',
    ];
    writeFileSync(join(dir, 'known.ldif'), entry('zero\u200bwidth@contoso.com', 'Zero Width').join('\n'));
    expect(cli(['import', join(dir, 'known.ldif')]).status).to.equal(0);
    writeFileSync(join(dir, 'new.ldif'), entry('other\u200bwidth@contoso.com', 'Other Width').join('\n'));
    const refused = cli(['import', join(dir, 'new.ldif')]);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.include('U+200B');
  });

  it('refuses a file where a dn: follows an entry without a blank line, naming the line, rather than reading the next person as this one', async () => {
    const photo = folded('thumbnailPhoto', await samplePhoto(96, 96));
    const bobAt = 4 + photo.split('\n').length;
    const ldif = [
      'dn: cn=Alice,dc=example,dc=com',
      'cn: Alice',
      'mail: alice@example.com',
      photo,
      'dn: cn=Bob,dc=example,dc=com',
      'cn: Bob',
      'mail: bob@example.com',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'no-blank.ldif'), ldif);
    const result = cli(['import', join(dir, 'no-blank.ldif')]);
    expect([result.status, result.stderr.split('\n').slice(1, -1)]).to.deep.equal([1, [`  line ${bobAt}: a new dn: needs a blank line before it`]]);
    const store = new SqliteStore(db);
    expect([await store.getUser('alice@example.com'), await store.getUser('bob@example.com')]).to.deep.equal([undefined, undefined]);
    await store.close();
  });

  it('reads an attribute written in several cases as one, its values in file order (names are case-insensitive, RFC 4512 §2.5)', async () => {
    const ldif = [
      'dn: cn=Proxies,dc=example,dc=com',
      'cn: Proxies',
      'proxyAddresses: SMTP:p@example.com',
      'proxyaddresses: smtp:s@example.com',
      '',
      'dn: cn=Split,dc=example,dc=com',
      'cn: Split',
      'mail: split@example.com',
      'Mail: split2@example.com',
      'MAIL: split3@example.com',
      'mail: split4@example.com',
      // `;binary` is a transfer hint: the same attribute, whose first value is the photo.
      folded('thumbnailPhoto;binary', await samplePhoto(96, 96)),
      folded('ThumbnailPhoto', await samplePhoto(48, 48)),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'cases.ldif'), ldif);
    const result = cli(['import', join(dir, 'cases.ldif')]);
    expect([result.stderr, result.stdout]).to.deep.equal(['', `imported 2 user(s) and 1 photo(s) from ${join(dir, 'cases.ldif')}\n`]);
    const store = new SqliteStore(db);
    expect(await store.getUser('p@example.com')).to.deep.include({ displayName: 'Proxies', otherAddresses: ['s@example.com'] });
    expect(await store.getUser('split@example.com')).to.deep.include({
      displayName: 'Split',
      otherAddresses: ['split2@example.com', 'split3@example.com', 'split4@example.com'],
    });
    expect(await store.getPhoto(userOwner('split@example.com'))).to.include({ width: 96, height: 96 });
    await store.close();
  });

  it('finds a manager by DN as RFC 4514 reads it: \\2C and \\, alike, the blank after an escaped comma kept', async () => {
    const ldif = [
      'dn: cn=Boss\\2C Big,dc=example,dc=com',
      'cn: Boss, Big',
      'mail: boss.big@example.com',
      '',
      'dn: cn=Emp,dc=example,dc=com',
      'mail: emp@example.com',
      'manager: cn=Boss\\, Big,dc=example,dc=com',
      '',
      'dn: cn=A\\, B,dc=example,dc=com',
      'cn: A, B',
      'mail: ab1@example.com',
      '',
      'dn: cn=A\\,B,dc=example,dc=com',
      'cn: A,B',
      'mail: ab2@example.com',
      '',
      'dn: cn=Emp2,dc=example,dc=com',
      'mail: emp2@example.com',
      'manager: cn=A\\, B,dc=example,dc=com',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'escaped-dns.ldif'), ldif);
    expect(cli(['import', join(dir, 'escaped-dns.ldif')]).status).to.equal(0);
    const store = new SqliteStore(db);
    expect([(await store.getUser('emp@example.com'))?.manager, (await store.getUser('emp2@example.com'))?.manager]).to.deep.equal([
      'boss.big@example.com',
      'ab1@example.com',
    ]);
    await store.close();
  });
});
