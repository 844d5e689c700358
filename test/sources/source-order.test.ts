import { expect } from 'chai';
import { createLogger } from '../../src/logger.js';
import { buildSources, parseSourceSettings } from '../../src/sources/source-settings.js';

const AD = { name: 'ad', type: 'ldap', url: 'ldaps://dc1.contoso.com', baseDn: 'DC=contoso,DC=com' };
const DIRECTORY = { name: 'dir2', type: 'ldap', url: 'ldaps://dc2.contoso.com', baseDn: 'DC=contoso,DC=com' };

function parse(order: unknown, sources: unknown[] = [AD, DIRECTORY]) {
  const problems: string[] = [];
  const settings = parseSourceSettings(sources, order, problems);
  return { settings, problems };
}

describe('sourceOrder', () => {
  it('reads a size code with an order of its own, for users, contacts or both', () => {
    const { settings, problems } = parse({ users: ['ad'], bySize: { HR48x48: { users: ['ad', 'store'] }, HR96X96: { contacts: ['store', 'dir2'] } } });
    expect(problems).to.deep.equal([]);
    expect(settings.order).to.deep.equal({ users: ['ad'], contacts: [] });
    expect(settings.orderBySize).to.deep.equal([
      { size: 48, users: ['ad', 'store'] },
      { size: 96, contacts: ['store', 'dir2'] },
    ]);
  });

  it("accepts 'store' first in the usual orders, where the bridge's own photos always come first", () => {
    const { settings, problems } = parse({ users: ['store', 'ad'], contacts: ['store'] });
    expect(problems).to.deep.equal([]);
    expect(settings.order).to.deep.equal({ users: ['ad'], contacts: [] });
  });

  it('without sourceOrder asks every source for both kinds, and no size has an order of its own', () => {
    const { settings, problems } = parse(undefined);
    expect(problems).to.deep.equal([]);
    expect(settings.order).to.deep.equal({ users: ['ad', 'dir2'], contacts: ['ad', 'dir2'] });
    expect(settings.orderBySize).to.equal(undefined);
  });

  it('refuses what cannot work, one line each, naming where', () => {
    const { problems } = parse({ users: ['ad', 'store', 'ad'], contacts: ['ghost'] });
    expect(problems).to.deep.equal([
      "sourceOrder: 'store' (the bridge's own photos) can only come first here; place it later for one size under sourceOrder.bySize",
      "sourceOrder: 'ad' is listed twice",
      "sourceOrder: no source is named 'ghost'",
    ]);
  });

  it('refuses a key it does not know inside a size order, naming it', () => {
    const { problems } = parse({ bySize: { HR48x48: { users: ['ad'], others: [] } } });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^sourceOrder: bySize\.HR48x48 .*"others"/);
  });

  it('names an unknown size code, a missing source and a repeated name inside a size order', () => {
    const { problems } = parse({ bySize: { HR47x47: { users: ['ad'] }, HR48x48: { users: ['ad', 'phantom'] }, HR64x64: { users: ['store', 'ad', 'store'] } } });
    expect(problems).to.have.length(3);
    expect(problems[0]).to.match(/^sourceOrder\.bySize: unknown size code 'HR47x47'; use one of HR48x48, /);
    expect(problems[1]).to.equal("sourceOrder.bySize.HR48x48.users: no source is named 'phantom'");
    expect(problems[2]).to.equal("sourceOrder.bySize.HR64x64.users: 'store' is listed twice");
  });

  it('refuses the same size written twice', () => {
    const { problems } = parse({ bySize: { HR48x48: { users: ['ad'] }, HR48X48: { users: ['store'] } } });
    expect(problems).to.deep.equal(['sourceOrder.bySize: HR48x48 is given twice']);
  });

  it("refuses a source named 'store', the name of the bridge's own photos", () => {
    const { problems } = parse({ users: [] }, [{ ...AD, name: 'store' }]);
    expect(problems).to.deep.equal(["sources: the name 'store' stands for the bridge's own photos in sourceOrder; name that source otherwise"]);
  });
});

describe('sources whose credentials would cross the network in clear', () => {
  it('are said at start, one warning per plain http:// origin, the origin alone (a gateway token is in its paths)', () => {
    const problems: string[] = [];
    const settings = parseSourceSettings(
      [
        { name: 'wa', type: 'zapi', baseUrl: 'http://gateway.example:8080/base', instance: 'i1', token: 'tok-in-the-path' },
        { name: 'm365', type: 'graph', tenant: 'contoso.onmicrosoft.com', clientId: 'app', clientSecret: 'sec', authorityUrl: 'https://login.example' },
      ],
      { users: ['m365'], contacts: ['wa'] },
      problems,
    );
    expect(problems).to.deep.equal([]);
    const lines: string[] = [];
    buildSources(
      settings,
      { timeoutMs: 1000, retries: 0, breakerThreshold: 5, breakerHalfOpenMs: 1000 },
      createLogger('info', { write: (line: string) => void lines.push(line) }),
    );
    const entries = lines.map((line) => JSON.parse(line) as { source: string; origin: string; msg: string });
    expect(entries.map(({ source, origin, msg }) => ({ source, origin, msg }))).to.deep.equal([
      { source: 'wa', origin: 'http://gateway.example:8080', msg: "the source's credentials cross the network in clear to this origin; use https://" },
    ]);
    expect(lines.join('\n')).to.not.include('tok-in-the-path');
  });
});
