import { expect } from 'chai';
import request from 'supertest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { envelope } from '../support/soap.js';
import { basic, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const J_DOE = { username: 'j.doe@contoso.example', password: 'j.doe secret' };
const ANNA = { username: 'anna@bücher.example', password: 'anna secret' };

/**
 * A mailbox a request names is the caller's own when it is the login, in any spelling of
 * it, or an address the directory finds the caller's user by: Autodiscover answers the login
 * j.doe@ with the primary address john.doe@, and exchangelib names that mailbox in every
 * request (GetFolder root, contacts).
 */
describe('EWS: the mailboxes a request names that are the caller’s own', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'john.doe@contoso.example', otherAddresses: ['j.doe@contoso.example', 'claimed@contoso.example'], displayName: 'John Doe', refs: {} },
      { email: 'claimed@contoso.example', displayName: 'Claimed Elsewhere', refs: {} },
      { email: 'jane@contoso.example', displayName: 'Jane', refs: {} },
    ]);
    for (const account of [J_DOE, ANNA]) await t.store.putAccount(account.username, await hashPassword(account.password), 'user');
    await t.store.addContacts(J_DOE.username, [{ displayName: 'A Contact', emailAddresses: [], phones: {}, refs: {} }]);
  });
  after(() => t.close());

  const post = (body: string, as: { username: string; password: string }, header?: string) =>
    request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', basic(as)).set('Content-Type', 'text/xml').send(envelope(body, header));
  const contactsIn = (mailbox: string) =>
    `<t:DistinguishedFolderId Id="contacts"><t:Mailbox><t:EmailAddress>${mailbox}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>`;
  const getFolder = async (as: { username: string; password: string }, ...mailboxes: string[]) => {
    const res = await post(
      `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>${mailboxes.map(contactsIn).join('')}</m:FolderIds></m:GetFolder>`,
      as,
    );
    expect(res.status).to.equal(200);
    return [...res.text.matchAll(/<m:ResponseCode>(\w+)<|<t:TotalCount>(\d+)</g)].map((match) => match[1] ?? match[2]);
  };

  it('finds the caller’s Contacts folder by the primary address the directory gives its login, in any case, and no one else’s', async () => {
    expect(
      await getFolder(
        J_DOE,
        'john.doe@contoso.example',
        'JOHN.DOE@Contoso.Example',
        'j.doe@contoso.example',
        'jane@contoso.example',
        'claimed@contoso.example',
      ),
    ).to.deep.equal(['NoError', '1', 'NoError', '1', 'NoError', '1', 'ErrorFolderNotFound', 'ErrorFolderNotFound']);
  });

  it('finds the caller’s own folder named with its domain as an A-label, without a directory entry', async () => {
    expect(await getFolder(ANNA, 'anna@xn--bcher-kva.example', 'Anna@Bücher.example')).to.deep.equal(['NoError', '0', 'NoError', '0']);
  });

  it('serves ExchangeImpersonation of the caller’s primary address, and refuses another user’s', async () => {
    const resolve = '<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>jane</m:UnresolvedEntry></m:ResolveNames>';
    const impersonating = (name: string) =>
      `<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${name}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`;
    const answers = [];
    for (const [as, name] of [
      [J_DOE, 'John.Doe@contoso.example'],
      [ANNA, 'anna@xn--bcher-kva.example'],
      [J_DOE, 'jane@contoso.example'],
      [J_DOE, 'claimed@contoso.example'],
    ] as const) {
      const res = await post(resolve, as, impersonating(name));
      answers.push([res.status, /ErrorImpersonateUserDenied/.test(res.text)]);
    }
    expect(answers).to.deep.equal([
      [200, false],
      [200, false],
      [500, true],
      [500, true],
    ]);
  });
});
