import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import pg from 'pg';
import { DIRECTORY_COLUMNS } from '../../src/import/directory-record.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { storeOpenProblem } from '../../src/store/open-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { makeReadOnly } from '../support/read-only-file.js';
import { freshDatabase } from '../support/postgres.js';
import { startPostgresTlsFront } from '../support/postgres-tls-front.js';
import { runCli, runCliInBackground, type CliResult } from '../support/run-cli.js';
import { makeSelfSignedCertificate } from '../support/self-signed.js';

/** One plain line on standard error and a failing exit: what a new administrator should see for a mistake. */
function expectOneLineFailure(result: CliResult, line: string | RegExp): void {
  expect(result.status).to.equal(1);
  expect(result.stdout).to.equal('');
  if (typeof line === 'string') expect(result.stderr).to.equal(`ews-photo-bridge: ${line}\n`);
  else expect(result.stderr.replace(/^ews-photo-bridge: /, '').trimEnd()).to.match(line);
}

describe('ews-photo-bridge command line, used wrongly on purpose', function () {
  // One node start per command; on a loaded machine each can take seconds.
  this.timeout(120_000);
  let dir: string;
  let db: string;
  const cli = (args: string[]) => runCli(['--db', db, ...args]);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-cli-failures-'));
    db = join(dir, 'bridge.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the version of package.json', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = runCli([flag]);
      expect(result.status).to.equal(0);
      expect(result.stdout).to.equal(`${version}\n`);
    }
  });

  it('refuses a photo file over the upload limit before reading it', () => {
    const big = join(dir, 'big.jpg');
    writeFileSync(big, Buffer.alloc(2048, 1));
    expectOneLineFailure(
      runCli(['--db', db, 'photo', 'set', 'someone@contoso.com', big], { env: { BRIDGE_MAX_UPLOAD_BYTES: '1024' } }),
      `'${big}' is 2048 bytes; the limit is 1024 (BRIDGE_MAX_UPLOAD_BYTES)`,
    );
  });

  it('names a file that is not there, or is a folder', () => {
    expectOneLineFailure(cli(['import', join(dir, 'missing.csv')]), `cannot read '${join(dir, 'missing.csv')}': no such file`);
    expectOneLineFailure(cli(['photo', 'set', 'a@contoso.com', join(dir, 'missing.jpg')]), `cannot read '${join(dir, 'missing.jpg')}': no such file`);
    expectOneLineFailure(cli(['contacts', 'import', 'a@contoso.com', join(dir, 'missing.vcf')]), `cannot read '${join(dir, 'missing.vcf')}': no such file`);
    expectOneLineFailure(cli(['import', '--format', 'csv', dir]), `cannot read '${dir}': it is a folder`);
  });

  it('says when a command upgraded an older store, which the version before can then no longer open', () => {
    const older = join(dir, 'older.db');
    const raw = new Database(older);
    for (const migration of MIGRATIONS.slice(0, -1)) raw.exec(migration.sqlite);
    raw.pragma(`user_version = ${MIGRATIONS.length - 1}`);
    raw.close();
    const listed = runCli(['--db', older, 'account', 'list']);
    expect([listed.status, listed.stderr]).to.deep.equal([
      0,
      `ews-photo-bridge: upgraded the database schema of ${older} from version ${MIGRATIONS.length - 1} to ${MIGRATIONS.length}; bridges older than this one can no longer open it\n`,
    ]);
    expect(runCli(['--db', older, 'account', 'list']).stderr, 'said once').to.equal('');
  });

  it('takes the store --db names over an exported BRIDGE_DATABASE_URL (a flag wins over the environment)', () => {
    const named = join(dir, 'named.db');
    const added = runCli(['--db', named, 'account', 'add', 'flag@contoso.com', '--password-stdin'], {
      input: 'a long enough password\n',
      env: { BRIDGE_DATABASE_URL: 'postgres://bridge:secret@127.0.0.1:1/bridge' },
    });
    expect([added.status, added.stderr]).to.deep.equal([0, '']);
    expect(runCli(['--db', named, 'account', 'list']).stdout).to.include('flag@contoso.com');
  });

  it('says in one line why a store cannot be opened: PostgreSQL not there, a newer schema, a file that is no database', async () => {
    const unreachable = runCli(['account', 'list'], { env: { BRIDGE_DATABASE_URL: 'postgres://bridge:secret@127.0.0.1:1/bridge' } });
    expectOneLineFailure(
      unreachable,
      'cannot reach the database at postgres://bridge:***@127.0.0.1:1/bridge (ECONNREFUSED); is PostgreSQL running and listening there?',
    );
    // A Unix socket with no server's socket file there: not reached, as over TCP (it was an 'unexpected error').
    expectOneLineFailure(
      runCli(['account', 'list'], { env: { BRIDGE_DATABASE_URL: 'postgres://bridge@localhost/bridge?host=/nonexistent-socket-dir' } }),
      /^cannot reach the database at postgres:\/\/bridge@localhost\/bridge\?host=\/nonexistent-socket-dir \(ENOENT\); is PostgreSQL running and listening there\?$/,
    );
    // The client key's password too, given as libpq's parameter.
    const keyed = runCli(['account', 'list'], { env: { BRIDGE_DATABASE_URL: 'postgres://bridge@127.0.0.1:1/bridge?sslpassword=KeySecret7&password=Pw9' } });
    expect(keyed.stderr).to.include('sslpassword=***').and.include('password=***').and.not.include('KeySecret7').and.not.include('Pw9');
    // A Unix socket's URL, its parameter's name percent-encoded: the driver decodes it, and reads a password.
    const socket = runCli(['account', 'list'], { env: { BRIDGE_DATABASE_URL: 'postgres://bridge@/bridge?host=/nonexistent-socket-dir&pass%77ord=Sock3t' } });
    expect(socket.stderr).to.include('password=***').and.not.include('Sock3t');
    const newer = join(dir, 'newer.db');
    await new SqliteStore(newer).close();
    const raw = new Database(newer);
    raw.pragma('user_version = 999');
    raw.close();
    expectOneLineFailure(
      runCli(['--db', newer, 'account', 'list']),
      /^database schema version 999 is newer than this bridge knows \(\d+\); upgrade the bridge, or \(rolling back\) restore the backup taken before the upgrade$/,
    );
    const text = join(dir, 'notes.db');
    writeFileSync(text, 'not a database at all, but long enough to be read as a header of one\n'.repeat(4));
    expectOneLineFailure(runCli(['--db', text, 'account', 'list']), `${text} is not a SQLite database`);
    const foreign = join(dir, 'other-app.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE x (y)');
    other.close();
    expectOneLineFailure(
      runCli(['--db', foreign, 'account', 'list']),
      `${foreign} holds another program's database, no store of this bridge; name the bridge's file, or a new one`,
    );
    const untouched = new Database(foreign, { readonly: true });
    expect(untouched.prepare('SELECT name FROM sqlite_master').pluck().all()).to.deep.equal(['x']);
    expect(untouched.pragma('journal_mode', { simple: true })).to.equal('delete');
    untouched.close();
    // export never writes over a database, the store included.
    expectOneLineFailure(runCli(['--db', newer.replace('newer', 'exported'), 'export', '-o', foreign]), /other-app\.db is a database \(the store itself\?\)/);
  });

  it('says that PostgreSQL asks for a password the URL does not give, in words, not as a surprise', () => {
    // pg's error when the server asks for SCRAM and the connection has no password.
    const error = new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string');
    expect(storeOpenProblem(error, 'postgres://bridge@db.example/bridge')?.message).to.equal(
      'PostgreSQL at postgres://bridge@db.example/bridge asks for a password, and the URL gives none (postgres://user:password@host/db, or PGPASSWORD)',
    );
  });

  describe('on PostgreSQL, in one line, what a role or a TLS setting lacks', () => {
    let url: URL;
    let database: string;
    const listWith = (databaseUrl: string) => runCliInBackground(['account', 'list'], { env: { BRIDGE_DATABASE_URL: databaseUrl } });

    before(async () => {
      url = new URL(await freshDatabase());
      database = url.pathname.slice(1);
    });

    it('a role without rights on schema public (PostgreSQL 15 gives them to the database owner only)', async () => {
      const role = `epb_norights_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url.toString() });
      await admin.connect();
      try {
        // PostgreSQL 15's default, made so whatever the version.
        await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
        await admin.query(`CREATE ROLE ${role} LOGIN`);
      } finally {
        await admin.end();
      }
      const asRole = `postgres://${role}@${url.host}/${database}`;
      expectOneLineFailure(
        await listWith(asRole),
        `PostgreSQL at ${asRole}: permission denied for schema public; ${role} is to own the database and the bridge's tables: as a superuser, ALTER DATABASE ${database} OWNER TO ${role} (tables another role made: REASSIGN OWNED BY that role TO ${role})`,
      );
    });

    it("sslmode=require on a server with ssl off, without the driver's warning of eight lines before it", async () => {
      const plainServer = `${url.toString()}?sslmode=require`;
      expectOneLineFailure(
        await listWith(plainServer),
        `PostgreSQL at ${plainServer} does not take TLS connections, which the URL asks for (sslmode); turn ssl on in its postgresql.conf`,
      );
    });

    it('a self-signed certificate: the CA to give as sslrootcert, which then works, without the warning for sslmode=require; a CA file not there', async () => {
      const certificate = makeSelfSignedCertificate(dir, { name: 'postgres', commonName: '127.0.0.1', altNames: 'IP:127.0.0.1' });
      const front = await startPostgresTlsFront(Number(url.port), certificate);
      try {
        const overTls = `postgres://postgres@127.0.0.1:${front.port}/${database}`;
        expectOneLineFailure(
          await listWith(`${overTls}?sslmode=require`),
          `PostgreSQL at ${overTls}?sslmode=require: TLS: self-signed certificate; give the CA that signed the server's certificate as ?sslmode=verify-full&sslrootcert=/path/to/ca.pem, and reach the server by a name its certificate has`,
        );
        const missing = join(dir, 'missing-ca.pem');
        expectOneLineFailure(
          await listWith(`${overTls}?sslmode=verify-full&sslrootcert=${missing}`),
          `PostgreSQL at ${overTls}?sslmode=verify-full&sslrootcert=${missing}: cannot read sslrootcert '${missing}': no such file`,
        );
        for (const mode of ['verify-full', 'require']) {
          const trusted = await listWith(`${overTls}?sslmode=${mode}&sslrootcert=${certificate.certFile}`);
          expect([trusted.status, trusted.stderr], mode).to.deep.equal([0, '']);
        }
      } finally {
        await front.close();
      }
    });
  });

  it('names the files a read-only store needs writable, for the user the bridge runs as', () => {
    // Tests run as root, whom file modes do not stop: the error is better-sqlite3's own for a write to a read-only database.
    const store = join(dir, 'read-only.db');
    new Database(store).close();
    const readOnly = new Database(store, { readonly: true });
    let error: unknown;
    try {
      readOnly.exec('CREATE TABLE x (y)');
    } catch (caught) {
      error = caught;
    } finally {
      readOnly.close();
    }
    expect((error as { code?: string }).code).to.match(/^SQLITE_READONLY/);
    expect(storeOpenProblem(error, store)?.message).to.equal(
      `${store} is read-only to this user: ${store}, ${store}-wal and ${store}-shm must be writable by the user the bridge runs as`,
    );
  });

  it('says in one line that the store is read-only when a write command finds the file made read-only while a server holds it; reading commands go on', async () => {
    const held = join(dir, 'held.db');
    const server = new SqliteStore(held);
    await server.putAccount('kept@contoso.com', 'x', 'user');
    const writable = makeReadOnly(held);
    try {
      expectOneLineFailure(
        runCli(['--db', held, 'account', 'add', 'new@contoso.com', '--password-stdin'], { input: 'a long enough password\n' }),
        'the store is read-only (a SQLite file this user may not write?); nothing was changed',
      );
      const listed = runCli(['--db', held, 'account', 'list']);
      expect([listed.status, listed.stdout]).to.deep.equal([0, 'kept@contoso.com\tuser\n']);
    } finally {
      writable();
      await server.close();
    }
  });

  it('answers an unknown command, a misspelt flag, a missing argument and a bad choice in one line', () => {
    expectOneLineFailure(cli(['imprt', 'people.csv']), "unknown command 'imprt' (did you mean import?); see ews-photo-bridge --help");
    expectOneLineFailure(cli(['import', '--formt', 'csv', 'people.csv']), "unknown option '--formt' (did you mean --format?); see ews-photo-bridge --help");
    expectOneLineFailure(cli(['import']), "missing required argument 'file'; see ews-photo-bridge --help");
    expectOneLineFailure(
      cli(['import', '--format', 'xml', 'people.xml']),
      "option '--format <format>' argument 'xml' is invalid. Allowed choices are csv, json, ldif; see ews-photo-bridge --help",
    );
    expectOneLineFailure(cli(['import', 'people.txt']), "cannot tell the format of 'people.txt'; pass --format csv|json|ldif");
  });

  it('names --port and says its range in plain words for a port that is no number or out of range; BRIDGE_PORT as well', () => {
    const serve = (...options: string[]) => runCli(['--db', db, 'serve', ...options]);
    expectOneLineFailure(
      serve('--port', 'abc'),
      "option '--port <port>' argument 'abc' is invalid. Must be a whole number in decimal digits, from 0 to 65535; see ews-photo-bridge --help",
    );
    expectOneLineFailure(
      serve('--port', '70000'),
      "option '--port <port>' argument '70000' is invalid. Must be a whole number from 0 to 65535; see ews-photo-bridge --help",
    );
    expectOneLineFailure(serve('--host', ''), "option '--host <address>' argument '' is invalid. Must not be empty; see ews-photo-bridge --help");
    expectOneLineFailure(
      runCli(['--db', db, 'serve'], { env: { BRIDGE_PORT: '70000' } }),
      'invalid configuration: BRIDGE_PORT: must be a whole number from 0 to 65535 (got "70000")',
    );
  });

  it('says which LDAP source import-ldap lacks: none in the config file, several, or none of the name given', () => {
    const ldap = (name: string) => ({ name, type: 'ldap', url: `ldap://${name}.contoso.com`, baseDn: 'DC=contoso,DC=com' });
    const configFile = (sources: object[]) => {
      const file = join(dir, `bridge-${sources.length}.json`);
      writeFileSync(file, JSON.stringify({ sources }));
      return file;
    };
    const importLdap = (config: string, ...options: string[]) => runCli(['--db', db, 'import-ldap', ...options], { env: { BRIDGE_CONFIG: config } });
    expectOneLineFailure(
      importLdap(''),
      'invalid configuration: the config file has no source of type ldap (BRIDGE_CONFIG names the file; see the README, "Active Directory and LDAP")',
    );
    const twoDirectories = configFile([ldap('ad'), ldap('openldap')]);
    expectOneLineFailure(importLdap(twoDirectories), 'invalid configuration: the config file has several ldap sources (ad, openldap); name one with --source');
    expectOneLineFailure(importLdap(twoDirectories, '--source', 'adds'), "invalid configuration: no source of type ldap is named 'adds' in the config file");
  });

  it('says the port is taken, with the flag to pick another, before it opens the store', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    const fresh = join(dir, 'port-taken.db');
    const said = `127.0.0.1:${port} is already in use (another bridge?); pick another port with --port or BRIDGE_PORT (BRIDGE_METRICS_LISTEN for /metrics)`;
    try {
      expectOneLineFailure(runCli(['--db', fresh, 'serve', '--no-demo', '--host', '127.0.0.1', '--port', String(port)]), said);
      const metrics = { BRIDGE_METRICS_LISTEN: `127.0.0.1:${port}` };
      expectOneLineFailure(runCli(['--db', fresh, 'serve', '--no-demo', '--host', '127.0.0.1', '--port', '0'], { env: metrics }), said);
      // Found before the store is opened: a store opened is a store upgraded, which the version rolled back to could not open.
      expect(existsSync(fresh), 'no store made').to.equal(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('says in one line what is wrong with a TLS pair, bearer token settings, a folder it cannot make, a host that does not resolve; opens no store first', () => {
    const one = makeSelfSignedCertificate(dir, { name: 'one', commonName: 'one.example', altNames: 'DNS:one.example' });
    const other = makeSelfSignedCertificate(dir, { name: 'other', commonName: 'other.example', altNames: 'DNS:other.example' });
    const tlsDb = join(dir, 'tls.db');
    const serve = (env: Record<string, string>, store = tlsDb) => runCli(['--db', store, 'serve', '--port', '0'], { env });
    expectOneLineFailure(
      serve({ BRIDGE_TLS_CERT_FILE: one.certFile, BRIDGE_TLS_KEY_FILE: other.keyFile }),
      /^invalid configuration: BRIDGE_TLS_CERT_FILE and BRIDGE_TLS_KEY_FILE \(.*\): .*key values mismatch/,
    );
    expectOneLineFailure(serve({ BRIDGE_TLS_CERT_FILE: join(dir, 'missing.pem'), BRIDGE_TLS_KEY_FILE: other.keyFile }), /ENOENT/);
    expectOneLineFailure(
      serve({ BRIDGE_JWT_PUBLIC_KEY_FILE: other.certFile }),
      'invalid configuration: bearer tokens need BRIDGE_JWT_ISSUER and BRIDGE_JWT_AUDIENCE',
    );
    // A key set URL of no scheme the bridge fetches: it had started, and then answered every bearer request 503.
    expectOneLineFailure(
      serve({ BRIDGE_JWT_JWKS_URL: 'htps://login.example/keys' }),
      'invalid configuration: BRIDGE_JWT_JWKS_URL: must start with https:// (http:// only to this host: localhost, 127.0.0.1, [::1]) (got "htps://login.example/keys")',
    );
    // Refused before the store is opened: a store opened is a store upgraded, which the version rolled back to could not open.
    expect(existsSync(tlsDb), 'no store made, nor an existing one upgraded').to.equal(false);
    expectOneLineFailure(
      runCli(['--db', '/proc/no-such-folder/bridge.db', 'account', 'add', 'ops@contoso.com']),
      'cannot create /proc/no-such-folder: a folder on the way does not exist',
    );
    // A command that only reads makes no store for a mistyped path.
    const mistyped = join(dir, 'brigde.db');
    for (const args of [['account', 'list'], ['export'], ['contacts', 'list', 'ops@contoso.com']]) {
      expectOneLineFailure(runCli(['--db', mistyped, ...args]), `there is no store at ${mistyped} (check --db or BRIDGE_DB)`);
    }
    expect(existsSync(mistyped)).to.equal(false);
    expectOneLineFailure(
      serve({ BRIDGE_HOST: 'no-such-host.invalid' }),
      "the host name 'no-such-host.invalid' does not resolve (BRIDGE_HOST, or a host in the config file)",
    );
  });

  it('reports every CSV row with the wrong number of fields, and imports none', async () => {
    const csv = [
      'email,displayName,department',
      'ok.one@contoso.com,Ok One,Sales',
      'short@contoso.com,Short',
      'ok.two@contoso.com,Ok Two,Sales',
      'long@contoso.com,Long,Sales,extra',
      'also.short@contoso.com',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'ragged.csv'), csv);
    const result = cli(['import', join(dir, 'ragged.csv')]);
    expect(result.status).to.equal(1);
    expect(result.stderr.split('\n').slice(1, -1)).to.deep.equal([
      '  line 3: 2 field(s), but the header has 3',
      '  line 5: 4 field(s), but the header has 3',
      '  line 6: 1 field(s), but the header has 3',
    ]);
    expect(result.stderr).to.match(/^ews-photo-bridge: 3 problem\(s\) in the file, nothing imported:/);
    const store = new SqliteStore(db);
    expect(await store.countUsers()).to.equal(0);
    await store.close();
  });
  it('shows the control characters a refused file holds as \\u escapes, never sent to the terminal, one line a problem', () => {
    const escapes = '\u001b[2J\u001b]0;PWNED\u0007';
    const shown = '\\u001b[2J\\u001b]0;PWNED\\u0007';
    writeFileSync(join(dir, 'escape.csv'), `email,displayName,"${escapes}x"\nesc@contoso.com,E,1\n`);
    expect(cli(['import', join(dir, 'escape.csv')]).stderr).to.equal(
      `ews-photo-bridge: 1 problem(s) in the file, nothing imported:\n  line 1: unknown column '${shown}x' (the columns are ${DIRECTORY_COLUMNS.join(', ')})\n`,
    );
    writeFileSync(join(dir, 'escape.json'), JSON.stringify([{ email: 'esc@contoso.com', displayName: 'E', [`${escapes}\n  item 9: forged`]: 1 }]));
    expect(
      cli(['import', join(dir, 'escape.json')])
        .stderr.split('\n')
        .slice(1),
    ).to.deep.equal([`  item 1: unknown column '${shown}\\u000a  item 9: forged'`, '']);
    writeFileSync(join(dir, 'escape.ldif'), `dn: cn=x\nmail: esc@contoso.com\nchangetype:: ${Buffer.from(`${escapes}modify`).toString('base64')}\n`);
    expect(cli(['import', join(dir, 'escape.ldif')]).stderr.split('\n')[1]).to.equal(
      `  line 3: a change record (changetype: ${shown}modify); export entries instead (ldapsearch -LLL, ldifde -f)`,
    );
  });

  it('shows format characters and characters that show nothing as \\u escapes: a direction override turns no line around, a zero-width space hides in no address', () => {
    writeFileSync(join(dir, 'override.csv'), 'email,displayName,"\u202Eeltit"\nesc@contoso.com,E,1\n');
    expect(cli(['import', join(dir, 'override.csv')]).stderr.split('\n')[1]).to.equal(
      `  line 1: unknown column '\\u202eeltit' (the columns are ${DIRECTORY_COLUMNS.join(', ')})`,
    );
    expect(cli(['user', 'remove', 'adele.vance\u200b@contoso.com']).stderr).to.equal("ews-photo-bridge: no directory user 'adele.vance\\u200b@contoso.com'\n");
    expect(cli(['user', 'remove', '\u{E0041}@contoso.com']).stderr).to.include("'\\u{e0041}@contoso.com'");
    expect(cli(['--bogus\u2066']).stderr).to.match(/^ews-photo-bridge: unknown option '--bogus\\u2066'; see ews-photo-bridge --help\n$/);
  });

  it('refuses a file that names nobody, which a failed export writes: empty, a header without email, a header or a list of nobody', async () => {
    const refused = (name: string, content: string, args: (file: string) => string[] = (file) => ['import', file]) => {
      writeFileSync(join(dir, name), content);
      const result = cli(args(join(dir, name)));
      expect(result.status, name).to.equal(1);
      expect(result.stdout, name).to.equal('');
      return result.stderr;
    };
    const nothingImported = 'ews-photo-bridge: 1 problem(s) in the file, nothing imported:\n';
    const nobody = (what: string, detail = '') =>
      `${nothingImported}  no ${what} in the file${detail}: nothing to import (did the export that wrote it fail?)\n`;
    const contactsImport = (file: string) => ['contacts', 'import', '--create', 'owner@contoso.com', file];
    for (const name of ['empty.csv', 'empty.json', 'empty.ldif']) expect(refused(name, '')).to.equal(`${nothingImported}  the file is empty (0 bytes)\n`);
    for (const name of ['empty.vcf', 'empty-contacts.csv']) {
      expect(refused(name, '', contactsImport)).to.equal(`${nothingImported}  the file is empty (0 bytes)\n`);
    }
    expect(refused('blank.csv', '\n\n')).to.equal(`${nothingImported}  no header row: the file holds only blank lines\n`);
    expect(refused('no-email.csv', 'displayName\n')).to.equal(`${nothingImported}  line 1: no 'email' column, which every row needs\n`);
    expect(refused('no-email-rows.csv', 'displayName\nAlex\nSam\n'), 'said once, at the header').to.equal(
      `${nothingImported}  line 1: no 'email' column, which every row needs\n`,
    );
    expect(refused('header-only.csv', 'email,displayName\r\n')).to.equal(nobody('users'));
    expect(refused('nobody.json', '[]')).to.equal(nobody('users'));
    expect(refused('nobody-users.json', '{"users": []}')).to.equal(nobody('users'));
    expect(refused('no-mail.ldif', 'dn: ou=People,dc=contoso,dc=com\nou: People\n\ndn: cn=svc,dc=contoso,dc=com\ncn: svc\n')).to.equal(
      nobody('users', ' (2 entr(y/ies), none with mail or a primary SMTP proxyAddress)'),
    );
    expect(refused('version-only.ldif', 'version: 1\n')).to.equal(nobody('users'));
    expect(refused('header-only-contacts.csv', 'displayName,email1\n', contactsImport)).to.equal(nobody('contacts'));
    const store = new SqliteStore(db);
    expect([await store.countUsers(), (await store.pageContacts('owner@contoso.com', undefined, 0, 0)).total]).to.deep.equal([0, 0]);
    await store.close();
  });
});
