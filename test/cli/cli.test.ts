import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { parseBasicAuthorization } from '../../src/auth/basic-credentials.js';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runCli, spawnCli } from '../support/run-cli.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic } from '../support/test-bridge.js';
import { userOwner } from '../../src/domain/photo-owner.js';

const CSV = `email,displayName,givenName,surname,department,title,superOfficeId
alex.wilber@contoso.com,Alex Wilber,Alex,Wilber,Marketing,Marketing Assistant,17
"diego.siciliani@contoso.com","Siciliani, Diego",Diego,Siciliani,HR,HR Manager,
`;

describe('ews-photo-bridge command line', () => {
  let dir: string;
  let db: string;
  const cli = (args: string[], input?: string) => runCli(['--db', db, ...args], { input });
  const open = () => new SqliteStore(db);
  /** The users the store finds by these addresses, in their order, the store closed again. */
  const usersNamed = async (addresses: string[]) => {
    const store = open();
    try {
      return await Promise.all(addresses.map((address) => store.getUser(address)));
    } finally {
      await store.close();
    }
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-cli-'));
    db = join(dir, 'bridge.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows help for every command', function () {
    // One node start per command; on a loaded machine each can take seconds.
    this.timeout(300_000);
    for (const command of [
      [],
      ['serve'],
      ['import'],
      ['export'],
      ['photo', 'set'],
      ['photo', 'remove'],
      ['user', 'remove'],
      ['account', 'add'],
      ['account', 'list'],
    ]) {
      const result = runCli([...command, '--help']);
      expect(result.status, command.join(' ')).to.equal(0);
      expect(result.stdout).to.match(/^Usage: ews-photo-bridge/);
    }
  });

  it('imports a CSV directory', async () => {
    writeFileSync(join(dir, 'people.csv'), CSV);
    const result = cli(['import', join(dir, 'people.csv')]);
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.match(/imported 2 user\(s\)/);
    const store = open();
    expect(await store.getUser('diego.siciliani@contoso.com')).to.deep.include({ displayName: 'Siciliani, Diego', department: 'HR', refs: {} });
    expect((await store.getUser('alex.wilber@contoso.com'))?.refs).to.deep.equal({ superOfficeId: '17' });
    await store.close();
  });

  it('rejects a CSV with a broken row, naming its line, and imports none of it', async () => {
    writeFileSync(join(dir, 'broken.csv'), 'email,displayName\nnew.person@contoso.com,New Person\nnot-an-address,Broken Row\nother@contoso.com,\n');
    const result = cli(['import', join(dir, 'broken.csv')]);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.match(/line 3: email is not an SMTP address/);
    expect(result.stderr).to.match(/line 4: displayName is required/);
    expect(result.stderr).to.not.match(/at .*\.ts:\d+/);
    const store = open();
    expect(await store.getUser('new.person@contoso.com')).to.equal(undefined);
    expect(await store.countUsers()).to.equal(2);
    await store.close();
  });

  it('rejects unknown and repeated columns once, at the header, and duplicate addresses', () => {
    writeFileSync(join(dir, 'typo.csv'), 'email,displayNmae\na@contoso.com,A\nb@contoso.com,B\n');
    const typo = cli(['import', join(dir, 'typo.csv')]).stderr;
    expect(typo).to.match(/1 problem\(s\) in the file, nothing imported:\n {2}line 1: unknown column 'displayNmae' \(the columns are email, displayName, /);
    writeFileSync(join(dir, 'repeated.csv'), 'email,displayName,EMAIL\nh@contoso.com,H,h2@contoso.com\n');
    expect(cli(['import', join(dir, 'repeated.csv')]).stderr).to.match(/line 1: the column 'email' is named more than once/);
    writeFileSync(join(dir, 'twice.csv'), 'email,displayName\na@contoso.com,A\nA@Contoso.com,A again\n');
    expect(cli(['import', join(dir, 'twice.csv')]).stderr).to.match(/line 3: a@contoso.com already appears at line 2/);
  });

  it('imports the other addresses a mailbox is found by; one claimed twice is the first claimant’s, a primary address its owner’s', async () => {
    writeFileSync(
      join(dir, 'aliases.csv'),
      'email,displayName,otherAddresses\nmegan@contoso.com,Megan,"Megan.Bowen@Contoso.com; mbowen@corp.contoso.com"\nnestor@contoso.com,Nestor,\n',
    );
    expect(cli(['import', join(dir, 'aliases.csv')]).stdout).to.match(/imported 2 user/);
    writeFileSync(join(dir, 'bad.csv'), 'email,displayName,otherAddresses\na@contoso.com,A,not-an-address\n');
    expect(cli(['import', join(dir, 'bad.csv')]).stderr).to.match(/line 2: otherAddresses\.0 is not an SMTP address/);
    writeFileSync(
      join(dir, 'claimed.csv'),
      'email,displayName,otherAddresses\nfirst@contoso.com,First,shared@contoso.com megan@contoso.com\nsecond@contoso.com,Second,Shared@contoso.com\n',
    );
    expect(cli(['import', join(dir, 'claimed.csv')]).stdout).to.match(/imported 2 user/);
    const owners = async (...addresses: string[]) => (await usersNamed(addresses)).map((user) => user?.email);
    expect(await owners('mbowen@corp.contoso.com', 'shared@contoso.com', 'megan@contoso.com')).to.deep.equal([
      'megan@contoso.com',
      'first@contoso.com',
      'megan@contoso.com',
    ]);
    // The directory as exported imports again as it is.
    const exported = cli(['export', '--format', 'csv']).stdout;
    writeFileSync(join(dir, 'exported.csv'), exported);
    expect(cli(['import', join(dir, 'exported.csv')]).stderr).to.equal('');
    expect(await owners('shared@contoso.com')).to.deep.equal(['first@contoso.com']);
  });

  it('imports files as Excel and Windows write them: semicolons, Windows-1252, UTF-16, a byte-order mark before JSON', async () => {
    const names = async (...emails: string[]) => (await usersNamed(emails)).map((user) => user?.displayName);
    writeFileSync(join(dir, 'excel.csv'), Buffer.from('email;displayName\r\njose@contoso.com;Jos\xe9 M\xfcller \x80\r\n', 'latin1'));
    expect(cli(['import', join(dir, 'excel.csv')]).stdout).to.match(/imported 1 user/);
    writeFileSync(
      join(dir, 'unicode.csv'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('email\tdisplayName\nzoe@contoso.com\tZoë Ünïcode\n', 'utf16le')]),
    );
    expect(cli(['import', join(dir, 'unicode.csv')]).stdout).to.match(/imported 1 user/);
    writeFileSync(join(dir, 'bom.json'), `\uFEFF${JSON.stringify([{ email: 'bom@contoso.com', displayName: 'Bom Json' }])}`);
    expect(cli(['import', join(dir, 'bom.json')]).stdout).to.match(/imported 1 user/);
    expect(await names('jose@contoso.com', 'zoe@contoso.com', 'bom@contoso.com')).to.deep.equal(['José Müller €', 'Zoë Ünïcode', 'Bom Json']);
  });

  it('imports JSON (an array, with nested refs) and reports bad items by position', async () => {
    writeFileSync(
      join(dir, 'people.json'),
      JSON.stringify([{ email: 'lee.gu@contoso.com', displayName: 'Lee Gu', refs: { whatsappPhone: '+5511999990000' } }]),
    );
    expect(cli(['import', join(dir, 'people.json')]).status).to.equal(0);
    const store = open();
    expect((await store.getUser('lee.gu@contoso.com'))?.refs).to.deep.equal({ whatsappPhone: '+5511999990000' });
    await store.close();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([{ email: 'ok@contoso.com', displayName: 'Ok' }, 'nonsense']));
    expect(cli(['import', join(dir, 'bad.json')]).stderr).to.match(/item 2: not an object/);
    writeFileSync(join(dir, 'broken.json'), '[{"email": ');
    expect(cli(['import', join(dir, 'broken.json')]).stderr).to.match(/not JSON/);
  });

  it('imports who is hidden from address lists, as LDAP writes it (TRUE, FALSE), 1 or 0, or a JSON boolean, and refuses another value', async () => {
    writeFileSync(
      join(dir, 'hidden.csv'),
      'email,displayName,hiddenFromAddressLists\nhidden.csv@contoso.com,Hidden Csv,TRUE\nshown.csv@contoso.com,Shown Csv,false\none@contoso.com,One,1\nblank@contoso.com,Blank,\n',
    );
    expect(cli(['import', join(dir, 'hidden.csv')]).stdout).to.match(/imported 4 user/);
    writeFileSync(join(dir, 'hidden.json'), JSON.stringify([{ email: 'hidden.json@contoso.com', displayName: 'Hidden Json', hiddenFromAddressLists: true }]));
    expect(cli(['import', join(dir, 'hidden.json')]).stdout).to.match(/imported 1 user/);
    const users = await usersNamed(['hidden.csv@contoso.com', 'shown.csv@contoso.com', 'one@contoso.com', 'blank@contoso.com', 'hidden.json@contoso.com']);
    expect(users.map((user) => user?.hiddenFromAddressLists)).to.deep.equal([true, undefined, true, undefined, true]);
    writeFileSync(join(dir, 'hidden-bad.csv'), 'email,displayName,hiddenFromAddressLists\nx@contoso.com,X,maybe\n');
    expect(cli(['import', join(dir, 'hidden-bad.csv')]).stderr).to.match(/line 2: hiddenFromAddressLists is not TRUE, FALSE, 1 or 0/);
    const exported = cli(['export', '--format', 'csv']).stdout;
    expect(exported).to.match(/\nhidden\.csv@contoso\.com,Hidden Csv,{11}TRUE,/);
  });

  it('leaves as stored what a file has no column (JSON: no key) for, and clears what an empty cell or string empties', async () => {
    writeFileSync(
      join(dir, 'full.csv'),
      'email,displayName,title,manager,hiddenFromAddressLists,ldapDn,otherAddresses\nann@x.example,Ann,Eng,boss@x.example,TRUE,"CN=Ann,DC=x",ann.old@x.example\n',
    );
    expect(cli(['import', join(dir, 'full.csv')]).status).to.equal(0);
    writeFileSync(join(dir, 'fewer.csv'), 'email,displayName,mobilePhone,title\nann@x.example,Ann,+1 555 0199,\n');
    expect(cli(['import', join(dir, 'fewer.csv')]).stdout).to.match(/imported 1 user/);
    writeFileSync(join(dir, 'fewer.json'), JSON.stringify([{ email: 'ann@x.example', displayName: 'Ann Lee', refs: { graphId: 'g-7' }, manager: '' }]));
    expect(cli(['import', join(dir, 'fewer.json')]).stdout).to.match(/imported 1 user/);
    const [ann] = await usersNamed(['ann.old@x.example']);
    expect(ann).to.deep.equal({
      email: 'ann@x.example',
      displayName: 'Ann Lee',
      mobilePhone: '+1 555 0199',
      hiddenFromAddressLists: true,
      otherAddresses: ['ann.old@x.example'],
      refs: { ldapDn: 'CN=Ann,DC=x', graphId: 'g-7' },
    });
  });

  it('exports the directory as CSV that imports again unchanged, into a file only its owner reads', async () => {
    const exported = cli(['export', '--format', 'csv', '-o', join(dir, 'export.csv')]);
    expect(exported.status).to.equal(0);
    expect(statSync(join(dir, 'export.csv')).mode & 0o777).to.equal(0o600);
    const text = readFileSync(join(dir, 'export.csv'), 'utf8');
    expect(text.split('\n')[0]).to.match(/^email,displayName,givenName,surname/);
    const other = join(dir, 'copy.db');
    expect(runCli(['--db', other, 'import', join(dir, 'export.csv')]).status).to.equal(0);
    const [a, b] = [open(), new SqliteStore(other)];
    expect(await b.listUsers()).to.deep.equal(await a.listUsers());
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses an imported address new to the directory with a character that shows nothing, saying which, and takes again one it has', async () => {
    const other = join(dir, 'invisible.db');
    const run = (...args: string[]) => runCli(['--db', other, ...args]);
    writeFileSync(join(dir, 'invisible.csv'), 'email,displayName\nadele.vance@contoso.com,Adele Vance\nadele.vance\u200b@contoso.com,Adele Vance\n');
    const refused = run('import', join(dir, 'invisible.csv'));
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.include('line 3: email holds a character that shows nothing (U+200B) at position 12');
    // Persian: a ZWNJ between Arabic letters shows (it keeps them apart), and is taken.
    const persian = '\u0639\u0644\u06cc\u200c\u0631\u0636\u0627@contoso.com';
    writeFileSync(join(dir, 'persian.csv'), `email,displayName\n${persian},Alireza\n`);
    expect(run('import', join(dir, 'persian.csv')).status).to.equal(0);
    // Stored before imports refused it: found, exported, and imported again unchanged.
    const store = new SqliteStore(other);
    await store.upsertUsers([{ email: 'ali\u200creza@contoso.com', displayName: 'Alireza', refs: {}, otherAddresses: ['a\u200br@contoso.com'] }]);
    const before = await store.listUsers();
    await store.close();
    expect(run('export', '--format', 'csv', '-o', join(dir, 'invisible-export.csv')).status).to.equal(0);
    const again = run('import', join(dir, 'invisible-export.csv'));
    expect([again.status, again.stderr]).to.deep.equal([0, '']);
    const after = new SqliteStore(other);
    expect(await after.listUsers()).to.deep.equal(before);
    expect((await after.getUser('ali\u200creza@contoso.com'))?.displayName).to.equal('Alireza');
    await after.close();
  });

  describe('when standard output cannot be written', () => {
    let big: string;
    /** The exit status and standard error of the command, its standard output `stdout`, or with `pipedTo` a pipe into that command. */
    const exitOf = async (args: string[], stdout: number | 'ignore', pipedTo?: string) => {
      const child = spawnCli(['--db', big, ...args], stdout, pipedTo);
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [status] = (await once(child, 'close')) as [number | null];
      return { status, stderr };
    };
    const toDevFull = async (args: string[]) => {
      const full = openSync('/dev/full', 'w');
      try {
        return await exitOf(args, full);
      } finally {
        closeSync(full);
      }
    };

    before(async () => {
      // More than a pipe holds (64 KiB), so the writer is still writing when its reader goes away.
      big = join(dir, 'big.db');
      const store = new SqliteStore(big);
      const users = Array.from({ length: 3000 }, (_, i) => ({ email: `person.${i}@contoso.com`, displayName: `Person ${i}`, refs: {} }));
      await store.upsertUsers(users);
      await store.putAccount('admin@contoso.com', 'not-a-hash', 'admin');
      await store.close();
    });

    it('stops quietly, with the status of a tool SIGPIPE ended (141), when the reader goes away after a line (export | head -1)', async () => {
      const result = await exitOf(['export'], 'ignore', 'head -1');
      expect(result).to.deep.equal({ status: 141, stderr: '' });
    });

    it('says in one line that the disk is full, exit status 1: export and account list to /dev/full, and export -o /dev/full', async () => {
      expect(await toDevFull(['export'])).to.deep.equal({
        status: 1,
        stderr: 'ews-photo-bridge: cannot write to standard output: no space left on the device\n',
      });
      expect(await toDevFull(['account', 'list'])).to.deep.equal({
        status: 1,
        stderr: 'ews-photo-bridge: cannot write to standard output: no space left on the device\n',
      });
      const named = runCli(['--db', big, 'export', '-o', '/dev/full']);
      expect([named.status, named.stderr]).to.deep.equal([1, 'ews-photo-bridge: cannot write /dev/full: no space left on the device\n']);
    });

    it('replaces an existing export whole, owner-only, leaving no partial file beside it', () => {
      const folder = mkdtempSync(join(dir, 'replace-'));
      const file = join(folder, 'people.csv');
      writeFileSync(file, 'old\n', { mode: 0o644 });
      expect(runCli(['--db', big, 'export', '-o', file]).status).to.equal(0);
      expect(readFileSync(file, 'utf8').split('\n')).to.have.length(3002);
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      expect(readdirSync(folder)).to.deep.equal(['people.csv']);
    });
  });

  it('exports JSON to standard output', () => {
    const users = JSON.parse(cli(['export', '--format', 'json']).stdout) as { email: string }[];
    expect(users.map((u) => u.email)).to.include.members(['alex.wilber@contoso.com', 'lee.gu@contoso.com']);
  });

  it("sets a user's photo from a file, normalised to JPEG, and removes it", async () => {
    writeFileSync(join(dir, 'photo.png'), await samplePhoto(900, 900, 'png'));
    const set = cli(['photo', 'set', 'Alex.Wilber@contoso.com', join(dir, 'photo.png')]);
    expect(set.stdout).to.match(/stored a 648×648 photo for alex.wilber@contoso.com/);
    let store = open();
    const photo = await store.getPhoto(userOwner('alex.wilber@contoso.com'));
    expect((await sharp(photo!.bytes).metadata()).format).to.equal('jpeg');
    await store.close();
    expect(cli(['photo', 'remove', 'alex.wilber@contoso.com']).status).to.equal(0);
    store = open();
    expect(await store.getPhoto(userOwner('alex.wilber@contoso.com'))).to.equal(undefined);
    await store.close();
  });

  it('refuses a non-image and an unknown user with a one-line reason', () => {
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const notImage = cli(['photo', 'set', 'alex.wilber@contoso.com', join(dir, 'notes.txt')]);
    expect(notImage.status).to.equal(1);
    expect(notImage.stderr.trim().split('\n')).to.have.length(1);
    expect(notImage.stderr).to.match(/not a usable image/);
    writeFileSync(join(dir, 'photo.jpg'), Buffer.alloc(0));
    expect(cli(['photo', 'remove', 'ghost@contoso.com']).stderr).to.equal("ews-photo-bridge: no directory user 'ghost@contoso.com'\n");
  });

  it('removes a directory user with their photo, and says so for an unknown one', async () => {
    writeFileSync(join(dir, 'leaver.csv'), 'email,displayName\nleaver@contoso.com,Leaver\n');
    expect(cli(['import', join(dir, 'leaver.csv')]).status).to.equal(0);
    writeFileSync(join(dir, 'leaver.png'), await samplePhoto(100, 100, 'png'));
    expect(cli(['photo', 'set', 'leaver@contoso.com', join(dir, 'leaver.png')]).status).to.equal(0);
    expect(cli(['user', 'remove', 'Leaver@Contoso.com']).stdout).to.match(/removed leaver@contoso.com from the directory/);
    const store = open();
    expect(await store.getUser('leaver@contoso.com')).to.equal(undefined);
    expect(await store.getPhoto(userOwner('leaver@contoso.com'))).to.equal(undefined);
    await store.close();
    const again = cli(['user', 'remove', 'leaver@contoso.com']);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.match(/no directory user 'leaver@contoso.com'/);
  });

  it('refuses a chosen password of fewer than 8 characters, storing nothing', async () => {
    const refused = cli(['account', 'add', 'short@contoso.com', '--role', 'admin', '--password-stdin'], 'abcdefg\n');
    expect([refused.status, refused.stderr]).to.deep.equal([1, 'ews-photo-bridge: the password must have at least 8 characters\n']);
    const store = open();
    expect(await store.getAccount('short@contoso.com')).to.equal(undefined);
    await store.close();
  });

  it('refuses a password longer than a Basic login can send (its header is read up to 4096 characters), storing nothing; one of the most it can send is saved, and its header is read', async () => {
    // `Basic ` and base64 of `long@contoso.com:password`: 1022 groups of 4 characters, 3066 bytes, 17 of them the name and the colon.
    for (const [input, bytes] of [
      ['x'.repeat(3100), 3100],
      ['密'.repeat(1100), 3300],
      ['x'.repeat(3050), 3050],
    ] as const) {
      const refused = cli(['account', 'add', 'long@contoso.com', '--password-stdin'], `${input}\n`);
      expect([refused.status, refused.stderr]).to.deep.equal([
        1,
        `ews-photo-bridge: the password is ${bytes} bytes in UTF-8; a login as long@contoso.com can send at most 3049\n`,
      ]);
    }
    const store = open();
    expect(await store.getAccount('long@contoso.com')).to.equal(undefined);
    await store.close();
    const password = 'x'.repeat(3049);
    expect(cli(['account', 'add', 'long@contoso.com', '--password-stdin'], `${password}\n`).status).to.equal(0);
    const header = basic({ username: 'long@contoso.com', password });
    expect(header.length).to.be.at.most(4096);
    expect(parseBasicAuthorization(header)).to.deep.equal({ username: 'long@contoso.com', password });
  });

  it('refuses a password of two lines or with another control character, storing nothing (the second line had been kept in it)', async () => {
    for (const input of ['twolines1\nsecondline2\n', 'tab\tinside it\n']) {
      const refused = cli(['account', 'add', 'lines@contoso.com', '--password-stdin'], input);
      expect([refused.status, refused.stderr], JSON.stringify(input)).to.deep.equal([
        1,
        'ews-photo-bridge: the password holds a line break or another control character: give it on one line\n',
      ]);
    }
    const store = open();
    expect(await store.getAccount('lines@contoso.com')).to.equal(undefined);
    await store.close();
  });

  it('adds accounts with a password from standard input, hashed, and lists and removes them', async () => {
    const added = cli(['account', 'add', 'ops@contoso.com', '--role', 'admin', '--password-stdin'], 's3cret pass\n');
    expect(added.stdout).to.match(/account ops@contoso.com \(admin\) saved/);
    expect(added.stdout).to.not.include('s3cret');
    const store = open();
    const account = await store.getAccount('ops@contoso.com');
    expect(account?.passwordHash).to.not.include('s3cret');
    expect(await verifyPassword('s3cret pass', account!.passwordHash)).to.equal(true);
    await store.close();
    expect(cli(['account', 'list']).stdout).to.match(/^ops@contoso.com\tadmin$/m);
    expect(cli(['account', 'remove', 'ops@contoso.com']).status).to.equal(0);
    expect(cli(['account', 'remove', 'ops@contoso.com']).stderr).to.match(/no account 'ops@contoso.com'/);
  });

  it("keeps an existing login's role when its password is changed without --role, and refuses names no login could be", function () {
    // Seven node starts, each a scrypt or two; on a loaded machine each can take seconds.
    this.timeout(300_000);
    expect(cli(['account', 'add', 'boss@contoso.com', '--role', 'admin']).status).to.equal(0);
    const reset = cli(['account', 'add', 'boss@contoso.com']);
    expect(reset.stdout).to.match(/account boss@contoso.com \(admin\) saved/);
    expect(cli(['account', 'list']).stdout).to.match(/^boss@contoso.com\tadmin$/m);
    expect(cli(['account', 'add', 'boss@contoso.com', '--role', 'user']).stdout).to.match(/\(user\) saved/);
    expect(cli(['account', 'add', 'new@contoso.com']).stdout).to.match(/\(user\) saved/);
    expect(cli(['account', 'add', 'bell\u0001@contoso.com']).stderr).to.match(/contains control characters/);
    expect(cli(['account', 'add', `${'a'.repeat(5000)}@contoso.com`]).stderr).to.match(/longer than 320 characters/);
  });

  it('generates and prints a password when none is given', async () => {
    const added = cli(['account', 'add', 'gen@contoso.com']);
    const password = /password: (\S+)/.exec(added.stdout)?.[1];
    expect(password).to.have.length.greaterThan(11);
    const store = open();
    expect(await verifyPassword(password!, (await store.getAccount('gen@contoso.com'))!.passwordHash)).to.equal(true);
    await store.close();
  });

  it('reports a wrong configuration value clearly', () => {
    const result = runCli(['export'], { env: { BRIDGE_DB: join(dir, 'x.db'), BRIDGE_JPEG_QUALITY: 'high' } });
    expect(result.status).to.equal(1);
    expect(result.stderr).to.match(/BRIDGE_JPEG_QUALITY: .*\(got "high"\)/);
  });

  it('names a BRIDGE_ variable that is no setting (a misspelt one), and goes on without it', () => {
    const result = runCli(['--db', db, 'sources', 'check'], { env: { BRIDGE_DATABSE_URL: 'postgres://photos@db.example/photos' } });
    expect(result.status).to.equal(0);
    expect(result.stderr).to.equal("ews-photo-bridge: BRIDGE_DATABSE_URL is not a setting of the bridge: ignored (see the README's settings)\n");
  });

  it('says plainly when no photo sources are configured', () => {
    const result = cli(['sources', 'check']);
    expect(result.status).to.equal(0);
    expect(result.stdout).to.match(/no photo sources are configured/);
  });
});
