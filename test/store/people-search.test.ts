import { expect } from 'chai';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { asciiLower } from '../../src/domain/plain-text.js';
import {
  compareKeys,
  foldedText,
  foldedWords,
  MATCHES_SORTED_MAX,
  NAME_TIERS,
  nameTierOf,
  peopleQuery,
  SORTED_MATCHES_MAX,
  WORD_TIER_WORDS_MAX,
} from '../../src/store/search-text.js';
import { LISTED_WORDS_MAX } from '../../src/store/postgres-name-words.js';
import { storeBackends, storePerTest } from './backends.js';

const person = (email: string, displayName: string, fields: Partial<DirectoryUser> = {}): DirectoryUser => ({ email, displayName, refs: {}, ...fields });

const PEOPLE = [
  person('tania.ivanova@contoso.com', 'Tânia Ivanova', { givenName: 'Tânia', surname: 'Ivanova', department: 'Finance' }),
  person('ana.almeida@contoso.com', 'Ana Almeida', { givenName: 'Ana', surname: 'Almeida', department: 'Sales' }),
  person('ana@contoso.com', 'Ana', { title: 'Intern' }),
  person('adele.vance@contoso.com', 'Adele Vance', { title: 'Retail Manager', department: 'Analytics' }),
  person('maria.souza@contoso.com', 'Maria Ana Souza', { department: 'Legal' }),
  person('bob.anand@contoso.com', 'Bob Anand'),
  person('lukasz@contoso.com', 'Łukasz Żółć', { alias: 'lzolc' }),
  person('jose@contoso.com', "José O'Brien-García", { company: 'Fabrikam' }),
  person('zoe@contoso.com', 'ZOË ÅSTRÖM'),
];

for (const backend of storeBackends()) {
  describe(`People search on ${backend.name}`, () => {
    const t = storePerTest(backend, (store) => store.upsertUsers(PEOPLE));

    const names = async (q: string, offset = 0, limit = 20) => (await t.store.searchDirectory(q, offset, limit)).map((entry) => entry.user.displayName);
    const resolved = async (q: string) => (await t.store.searchUsers(q, 20)).map((user) => user.displayName);

    it('ignores accents and case, in the query and in the names', async () => {
      expect(await names('tania ivanova')).to.deep.equal(['Tânia Ivanova']);
      expect(await names('TÂNIA')).to.deep.equal(['Tânia Ivanova']);
      expect(await names('lukasz zolc')).to.deep.equal(['Łukasz Żółć']);
      expect(await names('zoe astrom')).to.deep.equal(['ZOË ÅSTRÖM']);
      expect(await names('garcia')).to.deep.equal(["José O'Brien-García"]);
    });

    it('finds names as people type them: a final Σ in capitals, a name with an apostrophe, hyphen or ZWNJ joined or in parts', async () => {
      await t.store.upsertUsers([
        person('kostas@contoso.com', 'Κώστας Σαμαράς'),
        person('mary@contoso.com', "Mary O'Neill"),
        person('pat@contoso.com', 'Pat O’Brien'),
        person('marie@contoso.com', 'Marie-Claire Dubois'),
        person('kirsten@contoso.com', 'Kirsten McDonald-Smith'),
        person('alireza@contoso.com', 'علی\u200cرضا رضایی'),
      ]);
      for (const q of ['ΚΩΣ', 'κωσ', 'ΚΏΣΤΑΣ', 'ΣΑΜΑΡΑΣ κωστας']) expect(await names(q), q).to.deep.equal(['Κώστας Σαμαράς']);
      expect(await resolved('ΚΩΣ')).to.deep.equal(['Κώστας Σαμαράς']);
      for (const q of ['oneill', 'ONeill', "O'Neill", 'o neill', 'mary o’neill', 'Mary ONeill']) expect(await names(q), q).to.deep.equal(["Mary O'Neill"]);
      expect(await resolved('oneill')).to.deep.equal(["Mary O'Neill"]);
      for (const q of ['obrien', "o'brien", 'o brien']) expect(await names(q), q).to.deep.equal(["José O'Brien-García", 'Pat O’Brien']);
      for (const q of ['marieclaire', 'Marie-Claire', 'marie claire', 'claire']) expect(await names(q), q).to.deep.equal(['Marie-Claire Dubois']);
      for (const q of ['mcdonaldsmith', 'McDonald-Smith', 'smith kirsten']) expect(await names(q), q).to.deep.equal(['Kirsten McDonald-Smith']);
      for (const q of ['علیرضا', 'علی\u200cرضا', 'علی']) expect(await names(q), q).to.deep.equal(['علی\u200cرضا رضایی']);
      expect(await resolved('علیرضا')).to.deep.equal(['علی\u200cرضا رضایی']);
    });

    it('finds a joined name or a final Σ among more people than a word tier sorts', async () => {
      const count = SORTED_MATCHES_MAX + 20;
      const given = (n: number) => `Given${String(n).padStart(5, '0')}`;
      await t.store.upsertUsers(
        Array.from({ length: count }, (_, n) => [
          person(`o${n}@contoso.com`, `${given(n)} O'Neill`),
          person(`s${n}@contoso.com`, `${given(n)} Σαμαράς`),
        ]).flat(),
      );
      expect(await names('oneill', 0, 3)).to.deep.equal([0, 1, 2].map((n) => `${given(n)} O'Neill`));
      expect(await names('ΣΑΜΑΡΑΣ', 0, 3)).to.deep.equal([0, 1, 2].map((n) => `${given(n)} Σαμαράς`));
    });

    it('matches the start of each word, in any order', async () => {
      expect(await names('tan iva')).to.deep.equal(['Tânia Ivanova']);
      expect(await names('iva tan')).to.deep.equal(['Tânia Ivanova']);
      expect(await names('Almeida Ana')).to.deep.equal(['Ana Almeida']);
      expect(await names("o'bri jo")).to.deep.equal(["José O'Brien-García"]);
      expect(await names('nia')).to.deep.equal([]);
    });

    it('finds with a word repeated, or starting another, whom that word alone finds, on both stores alike', async () => {
      await t.store.upsertUsers([
        person('andrea@contoso.com', 'Andrea'),
        person('anna@contoso.com', 'Anna'),
        person('ann.anna@contoso.com', 'Ann Anna'),
        person('anna.anna@contoso.com', 'Anna Anna'),
        person('zed.andrea@contoso.com', 'Zed Andrea'),
      ]);
      // Each the same people as the word it comes to: "an andr" is "andr", "ann anna" and "anna anna" are "anna".
      for (const [query, alone] of [
        ['an andr', 'andr'],
        ['ann anna', 'anna'],
        ['anna anna', 'anna'],
        ['an an', 'an'],
      ] as const) {
        const found = (await names(alone)).sort();
        expect((await names(query)).sort(), query).to.deep.equal(found);
        expect((await resolved(query)).sort(), query).to.deep.equal((await resolved(alone)).sort());
      }
      expect((await names('an andr')).sort()).to.deep.equal(['Andrea', 'Zed Andrea']);
    });

    it('ranks exact names, then names that start with the query, then word starts in names, then other fields', async () => {
      // "Ana" exactly; a name starting "Ana"; an address starting "ana" would come next; names with a word
      // starting "ana" in name order; last, Adele Vance for her department (Analytics).
      expect(await names('ana')).to.deep.equal(['Ana', 'Ana Almeida', 'Bob Anand', 'Maria Ana Souza', 'Adele Vance']);
      expect(await names('Ana Almeida')).to.deep.equal(['Ana Almeida']);
    });

    it('finds people by the start of their address, alias, department, title or company', async () => {
      expect(await names('ana.alm')).to.deep.equal(['Ana Almeida']);
      expect(await names('lzol')).to.deep.equal(['Łukasz Żółć']);
      expect(await names('sales')).to.deep.equal(['Ana Almeida']);
      expect(await names('retail man')).to.deep.equal(['Adele Vance']);
      expect(await names('fabri')).to.deep.equal(["José O'Brien-García"]);
    });

    it('pages the ranked list without repeating or losing anyone across tiers', async () => {
      const all = await names('ana');
      const paged = [...(await names('ana', 0, 2)), ...(await names('ana', 2, 2)), ...(await names('ana', 4, 2))];
      expect(paged).to.deep.equal(all);
      expect(await names('ana', 5, 2)).to.deep.equal([]);
    });

    it('puts address matches right after name matches, also on a page that ends or begins between them', async () => {
      await t.store.upsertUsers([person('anaheim.desk@contoso.com', 'Front Desk'), person('analytics@contoso.com', 'Reports Mailbox')]);
      const ranked = ['Ana', 'Ana Almeida', 'Front Desk', 'Reports Mailbox', 'Bob Anand', 'Maria Ana Souza', 'Adele Vance'];
      expect(await names('ana')).to.deep.equal(ranked);
      expect(await names('ana', 1, 2)).to.deep.equal(ranked.slice(1, 3));
      expect(await names('ana', 2, 1)).to.deep.equal(ranked.slice(2, 3));
      expect(await names('ana', 3, 2)).to.deep.equal(ranked.slice(3, 5));
      expect(await resolved('ana')).to.deep.equal(ranked.slice(0, -1));
    });

    it('resolves in the tiers nameTierOf tells, the address tier in address order and the others in name order: the order Graph pages a search by', async () => {
      // The address tier's two in the other order by name; Bob Anand and Maria Ana Souza in the word tier.
      await t.store.upsertUsers([person('ana.x@contoso.com', 'Zed X'), person('ana.y@contoso.com', 'Aaron Y')]);
      for (const q of ['ana', 'an', 'a', 'ana.', 'zoe', 'ivanova']) {
        const query = peopleQuery(q)!;
        const placed = (await t.store.searchUsers(q, 100)).map((user) => {
          const [nameKey, address] = [foldedText(user.displayName), asciiLower(user.email)];
          const tier = nameTierOf(query, nameKey, address);
          return { tier: NAME_TIERS.indexOf(tier), key: tier === 'addressPrefix' ? '' : nameKey, address };
        });
        const ranked = [...placed].sort((a, b) => a.tier - b.tier || compareKeys(a.key, b.key) || compareKeys(a.address, b.address));
        expect(placed, q).to.deep.equal(ranked);
      }
      expect((await t.store.searchUsers('ana', 100)).map((user) => user.email)).to.deep.equal([
        'ana@contoso.com',
        'ana.almeida@contoso.com',
        'ana.x@contoso.com',
        'ana.y@contoso.com',
        'bob.anand@contoso.com',
        'maria.souza@contoso.com',
      ]);
    });

    it('lists everyone in name order for an empty query', async () => {
      expect(await names('')).to.deep.equal([
        'Adele Vance',
        'Ana',
        'Ana Almeida',
        'Bob Anand',
        "José O'Brien-García",
        'Łukasz Żółć',
        'Maria Ana Souza',
        'Tânia Ivanova',
        'ZOË ÅSTRÖM',
      ]);
    });

    it('resolves names for ResolveNames in the same order, without other fields', async () => {
      expect(await resolved('ana')).to.deep.equal(['Ana', 'Ana Almeida', 'Bob Anand', 'Maria Ana Souza']);
      expect(await resolved('tania iva')).to.deep.equal(['Tânia Ivanova']);
      expect(await resolved('sales')).to.deep.equal([]);
    });

    it('takes FTS and tsquery syntax as plain text: never an error, never everyone', async () => {
      const hostile = [
        '"',
        '"ana',
        'ana*',
        '*',
        'NEAR(ana almeida)',
        'ana OR bob',
        '-ana',
        'NOT ana',
        '(ana',
        'ana)',
        '{search_other}: sales',
        "ana' & !bob",
        'a:*',
        '^ana',
        '+',
        '%',
        '_',
        '\\',
      ];
      for (const q of hostile) {
        const found = await names(q);
        expect(found.length, q).to.be.below(PEOPLE.length);
      }
      expect(await names('"ana')).to.deep.equal(await names('ana'));
      expect(await names('NEAR(ana almeida)')).to.deep.equal([]);
      expect(await names('{search_other}: sales')).to.deep.equal([]);
    });

    it('takes up to WORD_TIER_WORDS_MAX words in any order; a longer query finds only the names and addresses it starts', async () => {
      const words = Array.from({ length: WORD_TIER_WORDS_MAX + 1 }, (_, i) => `W${String.fromCharCode(97 + i)}x`);
      await t.store.upsertUsers([person('long.name@contoso.com', words.join(' '))]);
      const reversed = [...words].reverse();
      expect(await names(reversed.slice(0, WORD_TIER_WORDS_MAX).join(' ')), 'as many words as the word tiers take').to.deep.equal([words.join(' ')]);
      expect(await names(reversed.join(' ')), 'one more').to.deep.equal([]);
      expect(await resolved(reversed.join(' '))).to.deep.equal([]);
      expect(await names(words.join(' ')), 'the whole name, in order').to.deep.equal([words.join(' ')]);
    });

    it('follows every write: import, rename, removal', async () => {
      await t.store.upsertUsers([person('new.hire@contoso.com', 'Ånika Newhire')]);
      expect(await names('anik')).to.deep.equal(['Ånika Newhire']);
      await t.store.upsertUsers([person('new.hire@contoso.com', 'Annika Renamed', { department: 'Research' })]);
      expect(await names('anik')).to.deep.equal([]);
      expect(await names('renamed')).to.deep.equal(['Annika Renamed']);
      expect(await names('research')).to.deep.equal(['Annika Renamed']);
      expect(await t.store.removeUser('new.hire@contoso.com')).to.equal(true);
      expect(await names('renamed')).to.deep.equal([]);
      expect(await resolved('annika')).to.deep.equal([]);
      expect(await names('research')).to.deep.equal([]);
    });

    it('rolls the search back with a failed import', async () => {
      const broken = person('broken@contoso.com', null as unknown as string);
      await t.store.upsertUsers([person('ghost@contoso.com', 'Ghostly Person'), broken]).catch(() => undefined);
      expect(await names('ghostly')).to.deep.equal([]);
    });

    it('ranks a word thousands share as one few share: earlier tiers first, then name order, page after page', async () => {
      // More people than a word tier sorts (SORTED_MATCHES_MAX), written out of name order.
      const count = SORTED_MATCHES_MAX + 20;
      const given = (n: number) => `Given${String(n).padStart(5, '0')}`;
      await t.store.upsertUsers([
        ...Array.from({ length: count }, (_, i) => {
          const n = (i * 7919) % count;
          return person(`p${n}@contoso.com`, `${given(n)} Becker`, { department: 'Finance' });
        }),
        person('zed@contoso.com', 'Becker Zed'),
      ]);
      const beckers = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${given(from + i)} Becker`);

      expect(await names('becker', 0, 5)).to.deep.equal(['Becker Zed', ...beckers(0, 4)]);
      expect(await names('becker', 4, 5)).to.deep.equal(beckers(3, 8));
      expect(await resolved('beck')).to.deep.equal(['Becker Zed', ...beckers(0, 19)]);
      expect(await names('finance', 0, 3)).to.deep.equal(beckers(0, 3));
      expect(await names('becker fin', 0, 4)).to.deep.equal(beckers(0, 4));
      expect(await names('fin becker', count - 2, 5)).to.deep.equal(beckers(count - 2, count));
    });

    it('finds word matches past the first rows of the name order, after those among them', async () => {
      // A thousand people first in the name order, none of them a match.
      const others = Array.from({ length: 1000 }, (_, i) => person(`m${i}@contoso.com`, `Mid${String(i).padStart(5, '0')} Smith`));
      const early = ['Abe Becker', 'Abel Becker'];
      const late = ['Zack Becker', 'Zane Becker', 'Zora Becker'];
      await t.store.upsertUsers([...others, ...[...late, ...early].map((name, i) => person(`b${i}@contoso.com`, name, { department: 'Finance' }))]);

      expect(await names('becker', 0, 4)).to.deep.equal([...early, ...late.slice(0, 2)]);
      expect(await names('fin beck', 1, 3)).to.deep.equal([early[1], ...late.slice(0, 2)]);
      expect(await resolved('zo beck')).to.deep.equal(['Zora Becker']);
    });

    it('finds word matches far into the name order, after those among the first rows, when too many share the words to sort', async () => {
      // Two matches first, then more rows than a walk takes at once (WALK_ROWS_MAX, 50,000 on
      // PostgreSQL), none of them a match, then more matches than a word tier sorts.
      const early = ['Abe Becker', 'Abel Becker'].map((name, i) => person(`early${i}@contoso.com`, name, { department: 'Finance' }));
      const fillers = Array.from({ length: 49_998 }, (_, i) => person(`f${i}@contoso.com`, `Filler${String(i).padStart(5, '0')} Smith`));
      const late = Array.from({ length: 2 * SORTED_MATCHES_MAX }, (_, i) =>
        person(`late${i}@contoso.com`, `Given${String(i).padStart(5, '0')} Becker`, { department: 'Finance' }),
      );
      // Into an empty directory, as an import of a large one goes: PostgreSQL analyzes it, so that the word tier guesses "becker" common.
      await t.store.close();
      await backend.reset();
      t.store = await backend.open();
      await t.store.upsertUsers([...late, ...fillers, ...early]);

      expect(await names('becker', 0, 4)).to.deep.equal(['Abe Becker', 'Abel Becker', 'Given00000 Becker', 'Given00001 Becker']);
      expect(await names('becker', 3, 2)).to.deep.equal(['Given00001 Becker', 'Given00002 Becker']);
      // A word of the other fields has no name word lists: the name index is walked.
      expect(await names('finance', 0, 4)).to.deep.equal(['Abe Becker', 'Abel Becker', 'Given00000 Becker', 'Given00001 Becker']);
    });

    it('past the matches it sorts, all sorting late, gives the walk’s matches, then those it sorted, in name order, page after page', async () => {
      // As above, with more late matches than a word tier sorts once its walk came short
      // (MATCHES_SORTED_MAX), found last first: walking on would read the whole index.
      const early = ['Abe Becker', 'Abel Becker'].map((name, i) => person(`early${i}@contoso.com`, name, { department: 'Finance' }));
      const fillers = Array.from({ length: 49_998 }, (_, i) => person(`f${i}@contoso.com`, `Filler${String(i).padStart(5, '0')} Smith`));
      const late = Array.from({ length: MATCHES_SORTED_MAX + 200 }, (_, i) =>
        person(`late${i}@contoso.com`, `Given${String(MATCHES_SORTED_MAX + 199 - i).padStart(5, '0')} Becker`, { department: 'Finance' }),
      );
      await t.store.close();
      await backend.reset();
      t.store = await backend.open();
      await t.store.upsertUsers([...late, ...fillers, ...early]);

      const pages: string[] = [];
      for (let offset = 0; offset < 300; offset += 100) pages.push(...(await names('finance', offset, 100)));
      expect(pages).to.have.length(300);
      expect(new Set(pages).size, 'no one twice').to.equal(300);
      expect(pages.slice(0, 2)).to.deep.equal(['Abe Becker', 'Abel Becker']);
      expect(pages.slice(2).every((name) => /^Given\d{5} Becker$/.test(name))).to.equal(true);
      expect(pages.slice(2)).to.deep.equal([...pages.slice(2)].sort());
    });

    it('reads the people many share a word with in name order, whichever word of their names it starts', async () => {
      // More matches than a word tier sorts: "sharp" starts the display name of some
      // (Sharpe Anton), a later word of others, two such words of a few; "an" another word.
      const people: DirectoryUser[] = [];
      const add = (displayName: string, fields: Partial<DirectoryUser> = {}) => people.push(person(`p${people.length}@contoso.com`, displayName, fields));
      for (let i = 0; i < SORTED_MATCHES_MAX; i++) add(`${i % 2 ? 'Anna' : 'Andre'}${String(i).padStart(5, '0')} ${i % 3 ? 'Sharpe' : 'Sharpless'}`);
      for (let i = 0; i < 300; i++) add(`Sharpe${i % 2 ? 'r' : ''} Anton${String(i).padStart(3, '0')}`);
      for (let i = 0; i < 50; i++) add(`Carl${String(i).padStart(2, '0')} Sharpe Sharpless Andersen`);
      for (let i = 0; i < 200; i++) add(`Bob${String(i).padStart(3, '0')} Sharpe`, { surname: i % 4 ? 'Sharpe' : 'Anand' });
      for (let i = 0; i < 300; i++) add(`Anna${String(i).padStart(3, '0')} Sharp${i % 2 ? 'ly' : ''}`, { department: 'Antiques' });
      await t.store.upsertUsers(people);
      // What the search must give: everyone a word of whose names starts each query word, in name order.
      const folded = (user: DirectoryUser) => foldedWords([user.displayName, user.givenName, user.surname, user.alias, user.email.split('@')[0]].join(' '));
      const expected = (query: string) =>
        people
          .filter((user) => foldedWords(query).every((word) => folded(user).some((own) => own.startsWith(word))))
          .map((user) => [foldedWords(user.displayName).join(' '), user.email, user.displayName] as const)
          .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : 1))
          .map(([, , name]) => name);
      const everyPage = async (query: string, size: number) => {
        const found: string[] = [];
        for (let page: string[]; (page = await names(query, found.length, size)).length > 0;) found.push(...page);
        return found;
      };

      const both = expected('an sharp');
      expect(both.length).to.be.greaterThan(SORTED_MATCHES_MAX);
      expect(await everyPage('an sharp', 400)).to.deep.equal(both);
      expect(await everyPage('sharp an', 400)).to.deep.equal(both);
      expect(await everyPage('a an and andr sharp', 400), 'five words').to.deep.equal(expected('a an and andr sharp'));
      expect((await t.store.searchUsers('sharp an', 100)).map((user) => user.displayName)).to.deep.equal(both.slice(0, 100));
      // One word: those whose display name starts with it come first (the prefix tier).
      const sharp = expected('sharp');
      const prefixFirst = [...sharp.filter((name) => name.startsWith('Sharp')), ...sharp.filter((name) => !name.startsWith('Sharp'))];
      expect(await everyPage('sharp', 500)).to.deep.equal(prefixFirst);
      expect(await everyPage('sharp', 50), 'pages within the first list, then past it').to.deep.equal(prefixFirst);
      expect(await everyPage('sharpl', 500)).to.deep.equal(expected('sharpl'));

      // Two words, one a given name few lists hold: the people who have each as the first word of their
      // display name, as another word, or both as other words; one whose display name starts with the query first.
      const pairs: DirectoryUser[] = [];
      const pair = (displayName: string, fields: Partial<DirectoryUser> = {}) => pairs.push(person(`y${pairs.length}@contoso.com`, displayName, fields));
      for (let i = 0; i < 7; i++) pair(`Yuki${i % 3 ? '' : 'o'} Sato${i % 2 ? '' : 'h'}`);
      for (let i = 0; i < 5; i++) pair(`Sato${i % 2 ? '' : 'u'} Yuki${i}`);
      for (let i = 0; i < 5; i++) pair(`Ken${i} Sato-Yukimura`);
      for (let i = 0; i < 3; i++) pair(`Sato Ken${i}`, { alias: 'yuki' });
      for (let i = 0; i < 3; i++) pair(`Yukio${i} Tanaka`, { surname: 'Sato' });
      pair('Yuki Tanaka');
      pair('Sato Ken');
      pair('Yuk Satoshi');
      people.push(...pairs);
      await t.store.upsertUsers(pairs);
      for (const query of ['yuk sat', 'sat yuk', 'sato yuki', 'yuk sat ken']) {
        const matches = expected(query);
        const byPrefix = [
          ...matches.filter((name) => foldedText(name).startsWith(foldedText(query))),
          ...matches.filter((name) => !foldedText(name).startsWith(foldedText(query))),
        ];
        expect(await everyPage(query, 3), query).to.deep.equal(byPrefix);
      }
      expect(expected('yuk sat')).to.have.length(24);

      // A word that starts more words than the lists are read for, and a number, are found by the other plans.
      const many = Array.from({ length: LISTED_WORDS_MAX + 4 }, (_, i) => person(`z${i}@contoso.com`, `Zed${i % 20} Sharpz${String(i).padStart(3, '0')}`));
      await t.store.upsertUsers([...many, person('n@contoso.com', 'Numbered Person', { alias: 'x4711' }), person('m@contoso.com', 'Mo 4711')]);
      const sharpz = many.map((user) => user.displayName).sort();
      expect(await everyPage('sharpz', 7)).to.deep.equal(sharpz);
      expect(await everyPage('zed sharpz', 7)).to.deep.equal(sharpz);
      expect(await names('4711')).to.deep.equal(['Mo 4711']);

      // The lists follow every write: a rename, a removal, a new person.
      await t.store.upsertUsers([person('p0@contoso.com', 'Andre00000 Smith'), person('new@contoso.com', 'Anakin Sharpe')]);
      await t.store.removeUser('p1@contoso.com');
      const now = await everyPage('an sharp', 400);
      expect(now.slice(0, 3)).to.deep.equal(['Anakin Sharpe', 'Andre00002 Sharpe', 'Andre00004 Sharpe']);
      expect(now).to.not.include.members(['Andre00000 Smith', 'Anna00001 Sharpe']);
      expect(now.length, 'one in, two out').to.equal(both.length - 1);
    });

    it('gives each entry its manager and direct reports, as the directory knows them', async () => {
      await t.store.upsertUsers([
        person('adele.vance@contoso.com', 'Adele Vance', { manager: 'Ana.Almeida@contoso.com' }),
        person('bob.anand@contoso.com', 'Bob Anand', { manager: 'ana.almeida@contoso.com' }),
        person('ana.almeida@contoso.com', 'Ana Almeida', { manager: 'gone@contoso.com' }),
      ]);
      const [ana] = await t.store.searchDirectory('ana almeida', 0, 1);
      expect(ana?.user.manager).to.equal('gone@contoso.com');
      expect(ana?.manager).to.equal(undefined);
      expect(ana?.directReports).to.deep.equal([
        { email: 'adele.vance@contoso.com', displayName: 'Adele Vance' },
        { email: 'bob.anand@contoso.com', displayName: 'Bob Anand' },
      ]);
      const [bob] = await t.store.searchDirectory('bob', 0, 1);
      expect(bob?.manager).to.deep.equal({ email: 'ana.almeida@contoso.com', displayName: 'Ana Almeida' });
      expect(bob?.directReports).to.deep.equal([]);
      await t.store.removeUser('bob.anand@contoso.com');
      expect((await t.store.searchDirectory('ana almeida', 0, 1))[0]?.directReports).to.have.length(1);
    });
  });
}
