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

  it('refuses the headers that ask for rights no account here holds with Exchange’s fault, never answering from the caller’s own mailbox', async () => {
    const findContacts = `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds>${contactsIn('jane@contoso.example')}</m:ParentFolderIds></m:FindItem>`;
    const asking = {
      none: '',
      SerializedSecurityContext:
        '<t:SerializedSecurityContext><t:UserSid>S-1-5-21-1-2-3-500</t:UserSid><t:PrimarySmtpAddress>jane@contoso.example</t:PrimarySmtpAddress></t:SerializedSecurityContext>',
      OpenAsAdminOrSystemService:
        '<t:OpenAsAdminOrSystemService LogonType="SystemService"><t:ConnectingSID><t:PrimarySmtpAddress>jane@contoso.example</t:PrimarySmtpAddress></t:ConnectingSID></t:OpenAsAdminOrSystemService>',
      ManagementRole: '<t:ManagementRole><t:UserRoles><t:Role><t:Name>Mailbox Search</t:Name></t:Role></t:UserRoles></t:ManagementRole>',
    };
    const answers: Record<string, unknown[]> = {};
    for (const [name, header] of Object.entries(asking)) {
      const res = await post(findContacts, J_DOE, header);
      answers[name] = [res.status, res.text.match(/ResponseCode(?: [^>]*)?>(\w+)</)?.[1], /<t:Items>/.test(res.text)];
    }
    expect(answers).to.deep.equal({
      none: [200, 'ErrorFolderNotFound', false],
      SerializedSecurityContext: [500, 'ErrorTokenSerializationDenied', false],
      OpenAsAdminOrSystemService: [500, 'ErrorAccessDenied', false],
      ManagementRole: [500, 'ErrorInvalidManagementRoleHeader', false],
    });
    const own = await post(findContacts.replace('jane@', 'john.doe@'), J_DOE, asking.OpenAsAdminOrSystemService);
    expect(
      [own.status, own.text.match(/ResponseCode(?: [^>]*)?>(\w+)</)?.[1]],
      'asking for a privilege is refused whatever mailbox it is asked for',
    ).to.deep.equal([500, 'ErrorAccessDenied']);
  });
});
