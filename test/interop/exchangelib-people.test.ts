import { expect } from 'chai';
import { READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { ALEX, ALLAN, YUSUF, ZOE, seedInteropFixture } from './python/fixture.js';
import { pythonScript, runPythonClient } from './python/run-python.js';

/** A Persona as test/interop/python/exchangelib_people.py prints it. */
interface PersonaJson {
  display_name: string | null;
  display_name_first_last: string | null;
  display_name_last_first: string | null;
  file_as: string | null;
  given_name: string | null;
  surname: string | null;
  title: string | null;
  department: string | null;
  company_name: string | null;
  email_address?: [name: string, address: string, mailboxType: string] | null;
}
interface PeopleJson {
  people: PersonaJson[];
  fetched: string[];
  listed: PersonaJson[];
  searched: string[];
  restricted: string[];
  by_address: string[];
  ordered: string[];
  directory: PersonaJson[];
  directory_persona: PersonaJson;
  hidden: string[];
  directory_listed: { people?: number; error?: string };
  directory_folder: [string, string];
}

const persona = (person: { displayName: string; givenName?: string; surname?: string; company?: string }, title?: string, department?: string) => ({
  display_name: person.displayName,
  // The name's two orders when it has both parts, else the display name (Learn, "FindPeople operation": "Terry Adams", "Adams Terry").
  display_name_first_last: person.givenName && person.surname ? `${person.givenName} ${person.surname}` : person.displayName,
  display_name_last_first: person.givenName && person.surname ? `${person.surname} ${person.givenName}` : person.displayName,
  file_as: person.displayName,
  given_name: person.givenName ?? null,
  surname: person.surname ?? null,
  title: title ?? null,
  department: department ?? null,
  company_name: person.company ?? null,
});

describe('exchangelib: folder.people() (FindPeople, GetPersona)', () => {
  let t: TestBridge;
  let observed: PeopleJson;
  before(async () => {
    t = await startTestBridge();
    const fixture = await seedInteropFixture(t);
    observed = (await runPythonClient(
      pythonScript('exchangelib_people.py'),
      [fixture.endpoint, READER.username, READER.password, READER.username.toLowerCase(), 'zimmer', 'al', 'ava', 'North', ZOE.emailAddresses[1]!],
      90_000,
    )) as PeopleJson;
  });
  after(() => t?.close());

  it('lists the Contacts folder as personas, each fetched by GetPersona, their ids items GetItem reads', () => {
    expect(observed.people).to.deep.equal([
      { ...persona(YUSUF), email_address: [YUSUF.displayName, YUSUF.emailAddresses[0], 'Contact'] },
      { ...persona(ZOE, ZOE.jobTitle), email_address: [ZOE.displayName, ZOE.emailAddresses[0], 'Contact'] },
    ]);
    expect(observed.fetched).to.deep.equal([YUSUF.displayName, ZOE.displayName]);
    expect(observed.listed).to.deep.equal([persona(YUSUF), persona(ZOE, ZOE.jobTitle)]);
  });

  it('lists the Contacts folder restricted by a persona property (filter: a company, an address) and sorted by one (order_by)', () => {
    expect(observed.restricted).to.deep.equal([YUSUF.displayName]);
    expect(observed.by_address).to.deep.equal([ZOE.displayName]);
    expect(observed.ordered).to.deep.equal([ZOE.displayName, YUSUF.displayName]);
  });

  it('searches the contacts and the directory (account.directory) by a QueryString, leaves the hidden out, and fetches a directory persona', () => {
    expect(observed.directory_folder).to.deep.equal(['Directory', 'Directory']);
    expect(observed.searched).to.deep.equal([ZOE.displayName]);
    expect(observed.directory).to.deep.equal([persona(ALEX, ALEX.title, ALEX.department), persona(ALLAN)]);
    expect(observed.directory_persona).to.deep.equal({
      ...persona(ALEX, ALEX.title, ALEX.department),
      email_address: [ALEX.displayName, ALEX.email, 'Mailbox'],
    });
    expect(observed.hidden).to.deep.equal([]);
  });

  it('raises the error FindPeople answers when the directory is listed without a query', () => {
    expect(observed.directory_listed).to.deep.equal({ error: 'ErrorInvalidRequest' });
  });
});
