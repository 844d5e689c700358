import { expect } from 'chai';
import request from 'supertest';
import { accountNameOf, normalizeUsername } from '../../src/auth/username.js';
import { BridgeError } from '../../src/domain/errors.js';
import { runCli } from '../support/run-cli.js';
import { loadConfig } from '../../src/config.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe('login names', () => {
  it('are the same whether typed composed or decomposed, in any case', () => {
    const composed = 'Émile.Dupont@Contoso.com';
    const decomposed = 'E\u0301mile.Dupont@Contoso.com';
    expect(decomposed).to.not.equal(composed);
    expect(normalizeUsername(decomposed)).to.equal('émile.dupont@contoso.com');
    expect(normalizeUsername('ÉMILE.DUPONT@CONTOSO.COM')).to.equal(normalizeUsername(composed));
  });

  it('fold beyond toLowerCase when they are no address: ß, ẞ and SS are one name, so are a ligature and its letters', () => {
    expect(['Straße', 'STRASSE', 'STRAẞE', 'strasse'].map(normalizeUsername)).to.deep.equal(['strasse', 'strasse', 'strasse', 'strasse']);
    expect(normalizeUsername('ﬁona')).to.equal('fiona');
    expect(normalizeUsername('ΟΔΥΣΣΕΥΣ')).to.equal(normalizeUsername('οδυσσευς'));
  });

  it('fold an address as the directory compares addresses: straße@ and strasse@ are two mailboxes, never one login', () => {
    expect(['Straße@Contoso.com', 'STRAẞE@contoso.com', 'STRASSE@contoso.com'].map(normalizeUsername)).to.deep.equal([
      'straße@contoso.com',
      'straße@contoso.com',
      'strasse@contoso.com',
    ]);
  });

  it("name an address's domain by its U-label, as the store keeps the mailbox's contacts (an xn-- login saw none of them)", () => {
    expect(normalizeUsername('Anna@XN--BCHER-KVA.example')).to.equal('anna@bücher.example');
    expect(normalizeUsername('anna@bücher.example')).to.equal('anna@bücher.example');
    expect(normalizeUsername('service-xn--account')).to.equal('service-xn--account');
  });

  it('leave a domain as written when a label of it only looks like an A-label (it decodes to no letter outside ASCII), not fold it onto the plain domain', () => {
    expect(['anna@xn--contoso-.com', 'anna@mail.XN--CONTOSO-.com', 'anna@xn--bcher-kva.xn--contoso-.com'].map(normalizeUsername)).to.deep.equal([
      'anna@xn--contoso-.com',
      'anna@mail.xn--contoso-.com',
      'anna@xn--bcher-kva.xn--contoso-.com',
    ]);
  });

  it('normalise idempotently, for every code point', () => {
    const unstable: string[] = [];
    for (let code = 0; code <= 0x2ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const once = normalizeUsername(String.fromCodePoint(code));
      if (normalizeUsername(once) !== once) unstable.push(code.toString(16));
    }
    expect(unstable).to.deep.equal([]);
  });

  it("refuse a name containing ':' or nothing, with a reason", () => {
    expect(() => accountNameOf('ops:team@contoso.com')).to.throw(BridgeError, /contains ':'/);
    expect(() => accountNameOf('  ')).to.throw(BridgeError, /must not be empty/);
    for (const name of ['signed-out', 'Signed-Out']) expect(() => accountNameOf(name)).to.throw(BridgeError, /the name the directory page signs out as/);
  });

  it('refuse a name with a character that shows nothing, saying which and where, and take a ZWNJ that shows', () => {
    expect(() => accountNameOf('admin\u200b')).to.throw(BridgeError, /^the account name holds a character that shows nothing \(U\+200B\) at position 6$/);
    expect(() => accountNameOf('adele.vance\u00ad@contoso.com')).to.throw(BridgeError, /\(U\+00AD\) at position 12$/);
    expect(accountNameOf('\u0639\u0644\u06cc\u200c\u0631\u0636\u0627@contoso.com')).to.equal('\u0639\u0644\u06cc\u200c\u0631\u0636\u0627@contoso.com');
  });

  describe('made with the command line and used to log in', () => {
    let t: TestBridge;
    before(async () => {
      t = await startTestBridge();
    });
    after(() => t.close());

    const cli = (args: string[], input?: string) => runCli(['--db', t.databasePath, ...args], { input });
    const me = (username: string, password: string) => request(t.bridge.server).get('/api/me').set('Authorization', basic({ username, password }));

    it("refuses at account add a name with ':' that Basic authentication could never carry", () => {
      const result = cli(['account', 'add', 'ops:team@contoso.com', '--password-stdin'], 'long password\n');
      expect(result.status).to.equal(1);
      expect(result.stderr).to.match(/contains ':', which a Basic login can never carry/);
    });

    it('stores the normalised name, and logs in typed composed, decomposed or in capitals', async () => {
      const added = cli(['account', 'add', 'E\u0301mile.Dupont@Contoso.com', '--password-stdin'], 'pâssword\n');
      expect(added.stdout).to.include('account émile.dupont@contoso.com (user) saved');
      for (const typed of ['émile.dupont@contoso.com', 'E\u0301MILE.DUPONT@CONTOSO.COM', 'Émile.Dupont@contoso.com']) {
        expect((await me(typed, 'pâssword').expect(200)).body.username, typed).to.equal('émile.dupont@contoso.com');
      }
      await me('émile.dupont@contoso.com', 'pa\u0302ssword').expect(200); // the password is NFC-normalised too
    });

    it("logs in 'STRAẞE@' to an account made as 'Straße@', not 'STRASSE@', another mailbox, whose self-service photo it had changed", async () => {
      cli(['account', 'add', 'Straße@contoso.com', '--password-stdin'], 'street pass\n');
      expect((await me('STRAẞE@contoso.com', 'street pass').expect(200)).body.username).to.equal('straße@contoso.com');
      await me('STRASSE@contoso.com', 'street pass').expect(401);
      expect(cli(['account', 'remove', 'STRAẞE@CONTOSO.com']).status).to.equal(0);
      expect(await t.store.getAccount('straße@contoso.com')).to.equal(undefined);
    });
  });

  describe('as a Windows logon name, DOMAIN\\user (BRIDGE_LOGIN_DOMAINS)', () => {
    let t: TestBridge;
    before(async () => {
      t = await startTestBridge({ BRIDGE_LOGIN_DOMAINS: 'EXAMPLE=example.com, FABRIKAM=fabrikam.com' });
    });
    after(() => t.close());
    const me = (username: string, password: string) => request(t.bridge.server).get('/api/me').set('Authorization', basic({ username, password }));

    it("logs 'EXAMPLE\\reader' in as reader@example.com, the domain in any case; another domain or none is read as typed", async () => {
      for (const typed of ['EXAMPLE\\reader', 'example\\Reader']) {
        expect((await me(typed, READER.password).expect(200)).body.username, typed).to.equal(READER.username);
      }
      for (const typed of ['FABRIKAM\\reader', 'OTHER\\reader', '\\reader']) await me(typed, READER.password).expect(401);
      await me('EXAMPLE\\reader', 'wrong').expect(401);
    });

    it('refuses a setting that is not NETBIOS=dns.domain pairs at start', () => {
      for (const value of ['CONTOSO', 'CONTOSO=', 'A=b=c', 'MUCHTOOLONGNETBIOSNAME=contoso.com', 'CONTOSO=localhost']) {
        expect(() => loadConfig({ BRIDGE_LOGIN_DOMAINS: value }), value).to.throw(/BRIDGE_LOGIN_DOMAINS/);
      }
    });
  });
});
