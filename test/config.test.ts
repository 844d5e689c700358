import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig, SETTINGS, unknownEnvironmentSettings } from '../src/config.js';

describe('configuration', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const problems = (env: NodeJS.ProcessEnv, overrides = {}): string[] => {
    try {
      loadConfig(env, overrides);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('has safe defaults: loopback only, authentication on, demo on', () => {
    const config = loadConfig({});
    expect(config).to.include({ host: '127.0.0.1', port: 8080, allowAnonymousRead: false, seedDemo: true, databasePath: 'data/bridge.db' });
  });

  it('reads the environment, converting numbers and flags', () => {
    const config = loadConfig({ BRIDGE_PORT: '9000', BRIDGE_ANONYMOUS_READ: 'yes', BRIDGE_DEMO: '0', BRIDGE_JPEG_QUALITY: '70' });
    expect(config).to.include({ port: 9000, allowAnonymousRead: true, seedDemo: false, jpegQuality: 70 });
  });

  it('reports every wrong value, one line each, naming the variable and the value', () => {
    try {
      loadConfig({ BRIDGE_PORT: '70000', BRIDGE_ANONYMOUS_READ: 'maybe', BRIDGE_LOG_LEVEL: 'loud', BRIDGE_METRICS_LISTEN: '127.0.0.1:99999' });
      expect.fail('should have thrown');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).to.have.length(4);
      expect(problems.join('\n'))
        .to.match(/BRIDGE_PORT: .*\(got "70000"\)/)
        .and.match(/BRIDGE_METRICS_LISTEN: the port must be at most 65535 \(got "127.0.0.1:99999"\)/)
        .and.match(/BRIDGE_ANONYMOUS_READ: .*\(got "maybe"\)/)
        .and.match(/BRIDGE_LOG_LEVEL: .*\(got "loud"\)/);
    }
  });

  it('takes whole numbers only as numbers or decimal digits: a blank, hex, an exponent, true or a list is refused, never 0 or a guess', () => {
    for (const value of [' ', '0x46AC', '1.8104e4', '12abc']) {
      expect(() => loadConfig({ BRIDGE_PORT: value }), JSON.stringify(value)).to.throw(ConfigError, /BRIDGE_PORT: must be a whole number in decimal digits/);
    }
    expect(() => loadConfig({ BRIDGE_SHUTDOWN_GRACE_MS: '  ' })).to.throw(ConfigError, /BRIDGE_SHUTDOWN_GRACE_MS/);
    expect(loadConfig({ BRIDGE_PORT: ' 9001 ' }).port).to.equal(9001);
    const file = join(dir, 'numbers.json');
    for (const value of ['', null, true, [9002], 9002.5]) {
      writeFileSync(file, JSON.stringify({ port: value }));
      expect(() => loadConfig({ BRIDGE_CONFIG: file }), JSON.stringify(value)).to.throw(ConfigError, /: port: /);
    }
    writeFileSync(file, JSON.stringify({ jpegQuality: true }));
    expect(() => loadConfig({ BRIDGE_CONFIG: file })).to.throw(ConfigError, /jpegQuality: must be a whole number \(got true\)/); // Text as a variable gives it, as files written for earlier versions have it: an upgrade keeps them working.
    writeFileSync(file, JSON.stringify({ port: '9003', accessLog: 'false' }));
    expect(loadConfig({ BRIDGE_CONFIG: file })).to.include({ port: 9003, accessLog: false });
  });

  it('takes BRIDGE_EWS_MAX_ANSWER_BYTES of 3 MiB or more: below it a contact with the largest photo is never answered', () => {
    expect(loadConfig({ BRIDGE_EWS_MAX_ANSWER_BYTES: String(3 * 1024 * 1024) }).ewsMaxAnswerBytes).to.equal(3 * 1024 * 1024);
    for (const bytes of [65_536, 3 * 1024 * 1024 - 1]) {
      expect(() => loadConfig({ BRIDGE_EWS_MAX_ANSWER_BYTES: String(bytes) }), String(bytes)).to.throw(
        ConfigError,
        /BRIDGE_EWS_MAX_ANSWER_BYTES: must be a whole number from 3145728/,
      );
    }
  });

  it('takes CORS origins as browsers send them, written as they write them, and refuses what no Origin could equal', () => {
    expect(loadConfig({ BRIDGE_CORS_ORIGINS: 'HTTPS://Addin.Example.com:443/, http://intranet:8080' }).corsOrigins).to.equal(
      'https://addin.example.com,http://intranet:8080',
    );
    for (const origin of [
      '*',
      'addin.example.com',
      'https://addin.example.com/add-in',
      'ftp://addin.example.com',
      'https:addin.example.com',
      'https://user@addin.example.com',
    ]) {
      expect(() => loadConfig({ BRIDGE_CORS_ORIGINS: origin }), origin).to.throw(ConfigError, /BRIDGE_CORS_ORIGINS: '/);
    }
  });

  it('takes a realm a header can carry: printable ASCII, no quote or backslash (an en dash made every 401 crash the process)', () => {
    expect(loadConfig({ BRIDGE_AUTH_REALM: 'Contoso Photos (EU)' }).authRealm).to.equal('Contoso Photos (EU)');
    for (const realm of ['Contoso – Fotos', 'Zoë', 'a"b', 'a\\b', 'line\nbreak']) {
      expect(() => loadConfig({ BRIDGE_AUTH_REALM: realm }), JSON.stringify(realm)).to.throw(ConfigError, /BRIDGE_AUTH_REALM/);
    }
  });

  it('names the BRIDGE_ variables of the environment that are no setting (a misspelt one is otherwise ignored)', () => {
    expect(unknownEnvironmentSettings({ BRIDGE_ANONYMUS_READ: 'true', BRIDGE_PORT: '1', BRIDGE_CONFIG: 'x', PATH: '/bin' })).to.deep.equal([
      'BRIDGE_ANONYMUS_READ',
    ]);
  });

  it('never repeats the value of a setting that holds a secret, however wrong it is', () => {
    const problems = (() => {
      try {
        loadConfig({ BRIDGE_DATABASE_URL: 'mysql://bridge:S3cretPW@db/bridge', BRIDGE_METRICS_TOKEN: 'shortSecret' });
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      return expect.fail('should have thrown');
    })();
    expect(problems)
      .to.match(/BRIDGE_DATABASE_URL: a postgres:\/\/ URL \(got a value not shown: it holds a secret\)/)
      .and.match(/BRIDGE_METRICS_TOKEN: at least 16 characters \(got a value not shown: it holds a secret\)/)
      .and.not.match(/S3cretPW|shortSecret/);
  });

  it('refuses a URL as the SQLite file (it was served from a new file named after it), quoted without its password', () => {
    for (const [env, overrides, origin] of [
      [{ BRIDGE_DB: 'postgres://bridge:S3cretPW@db:5432/bridge' }, {}, 'BRIDGE_DB'],
      [{}, { databasePath: 'postgresql://bridge:S3cretPW@/bridge?host=/run/postgresql' }, 'option'],
      [{ BRIDGE_DB: ' \tpostgres://bridge:S3cretPW@db/bridge' }, {}, 'BRIDGE_DB'],
    ] as const) {
      let message = '';
      try {
        loadConfig(env, overrides);
      } catch (error) {
        message = (error as ConfigError).problems.join('\n');
      }
      expect(message, origin)
        .to.match(
          new RegExp(`^${origin}: a SQLite file, not a URL: a PostgreSQL database is named by BRIDGE_DATABASE_URL \\(got "postgres(ql)?://bridge:\\*\\*\\*@`),
        )
        .and.not.match(/S3cretPW/);
    }
    expect(loadConfig({ BRIDGE_DB: 'C:/data/bridge.db' }).databasePath).to.equal('C:/data/bridge.db');
  });

  it('names a postgres:// URL that does not parse (a space in its password) by its variable, before any connection, without the value', () => {
    let message = '';
    try {
      loadConfig({ BRIDGE_DATABASE_URL: 'postgres://bridge:Pg Pass@db:x/bridge' });
    } catch (error) {
      message = (error as ConfigError).problems.join('\n');
    }
    expect(message)
      .to.match(/^BRIDGE_DATABASE_URL: a postgres:\/\/ URL that parses: percent-encode a space/)
      .and.not.match(/Pg Pass/);
    // No host before the path, as a Unix socket's URL is written: the driver reads it, so the check does.
    expect(loadConfig({ BRIDGE_DATABASE_URL: 'postgres://bridge:pw@/bridge?host=/run/postgresql' }).databaseUrl).to.equal(
      'postgres://bridge:pw@/bridge?host=/run/postgresql',
    );
  });

  it('reads a JSON config file by key; the environment and explicit options win over it', () => {
    const file = join(dir, 'bridge.json');
    writeFileSync(file, JSON.stringify({ port: 7000, jpegQuality: 60, host: '0.0.0.0' }));
    const config = loadConfig({ BRIDGE_CONFIG: file, BRIDGE_JPEG_QUALITY: '90' }, { host: '::1' });
    expect(config).to.include({ port: 7000, jpegQuality: 90, host: '::1' });
  });

  it('reports a wrong value where a winning one hides it: BRIDGE_PORT beside --port, the file beside the environment', () => {
    const file = join(dir, 'wrong-port.json');
    writeFileSync(file, JSON.stringify({ port: 'abc' }));
    const beside = problems({ BRIDGE_PORT: 'abc' }, { port: '8081' });
    expect(beside).to.have.length(1);
    expect(beside[0]).to.match(/^BRIDGE_PORT: .* \(got "abc"\)$/);
    const under = problems({ BRIDGE_CONFIG: file, BRIDGE_PORT: '8081' });
    expect(under).to.have.length(1);
    expect(under[0]).to.match(/wrong-port\.json: port: .* \(got "abc"\)$/);
  });

  it('refuses an unreadable file and unknown keys in it', () => {
    const file = join(dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ prot: 7000 }));
    expect(() => loadConfig({ BRIDGE_CONFIG: file })).to.throw(ConfigError, /unknown setting 'prot'/);
    expect(() => loadConfig({ BRIDGE_CONFIG: join(dir, 'missing.json') })).to.throw(ConfigError, /ENOENT/);
  });

  it('never accepts alg none for bearer tokens, and takes only https URLs for the JWKS (http to this host only)', () => {
    expect(() => loadConfig({ BRIDGE_JWT_ALGORITHMS: 'RS256,none' })).to.throw(ConfigError, /never none/);
    expect(() => loadConfig({ BRIDGE_JWT_JWKS_URL: 'not a url' })).to.throw(ConfigError, /BRIDGE_JWT_JWKS_URL/);
    // Each was taken, and every bearer request then answered 503: the key set's host "cannot be reached".
    for (const url of ['htps://login.example/keys', 'file:///etc/passwd', 'ldap://dc.example/', 'http://login.example/keys', 'https:login.example/keys']) {
      expect(problems({ BRIDGE_JWT_JWKS_URL: url }), url).to.deep.equal([
        `BRIDGE_JWT_JWKS_URL: must start with https:// (http:// only to this host: localhost, 127.0.0.1, [::1]) (got ${JSON.stringify(url)})`,
      ]);
    }
    for (const url of [
      'https://login.example/keys',
      'HTTPS://login.example/keys',
      'http://127.0.0.1:8080/keys',
      'http://[::1]/keys',
      'http://localhost/keys',
    ]) {
      expect(loadConfig({ BRIDGE_JWT_JWKS_URL: url }).jwtJwksUrl, url).to.equal(url);
    }
    expect(loadConfig({ BRIDGE_JWT_ALGORITHMS: 'ES256' }).jwtAlgorithms).to.equal('ES256');
  });

  it('is documented: the README table names every variable', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const setting of Object.values(SETTINGS)) expect(readme).to.include(`| \`${setting.env}\` |`);
  });

  it('reads no photo sources by default, and reports bad source settings one line each', () => {
    expect(loadConfig({}).sources).to.deep.equal({ sources: [], order: { users: [], contacts: [] } });
    const file = join(dir, 'sources.json');
    writeFileSync(
      file,
      JSON.stringify({
        sources: [{ name: 'crm', type: 'nonsense' }, { type: 'ldap' }, { name: 'wa', type: 'zapi', baseUrl: 'htps://api.z-api.io', instance: 'i', token: 't' }],
        sourceOrder: { users: ['ghost'], contacts: [] },
      }),
    );
    try {
      loadConfig({ BRIDGE_CONFIG: file });
      expect.fail('should have thrown');
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).to.match(/sources\[0\] \(crm\): unknown type 'nonsense'/);
      expect(problems).to.match(/sources\[1\]: name/);
      expect(problems).to.include('sources[2] (wa): baseUrl: must start with https:// (or http://)');
      expect(problems).to.match(/sourceOrder: no source is named 'ghost'/);
    }
  });

  it('accepts the example source settings the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /## Photo sources[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    const file = join(dir, 'readme-example.json');
    writeFileSync(file, example!.replaceAll('…', 'x'));
    const config = loadConfig({ BRIDGE_CONFIG: file });
    expect(config.sources.sources.map((source) => source.type)).to.deep.equal(['ldap', 'graph', 'zapi']);
    expect(config.sources.order).to.deep.equal({ users: ['ad', 'm365'], contacts: ['whatsapp'] });
  });
});
