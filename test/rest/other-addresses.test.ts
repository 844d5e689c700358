import { expect } from 'chai';
import request from 'supertest';
import { samplePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { hashPassword } from '../../src/auth/password-hash.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const PRIMARY = 'megan.bowen@contoso.com';
const SECONDARY = 'megan@legacy.contoso.com';
const UPN = 'mbowen@corp.contoso.com';

/** Exchange finds a mailbox by any of its proxy addresses, Graph a user by their userPrincipalName. */
describe('a mailbox asked for by another of its addresses', () => {
  let t: TestBridge;
  const reader = basic(READER);
  const restPhoto = (address: string) =>
    request(t.bridge.server).get(`/ews/exchange.asmx/s/GetUserPhoto?email=${address}&size=HR96x96`).set('Authorization', reader);
  const upload = async (size: number) =>
    request(t.bridge.server)
      .put(`/admin/users/${PRIMARY}/photo`)
      .set('Authorization', basic(ADMIN))
      .set('Content-Type', 'application/octet-stream')
      .send(await samplePhoto(size, size))
      .expect(200);

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: PRIMARY, otherAddresses: [SECONDARY, UPN], sipAddress: `sip:${PRIMARY}`, displayName: 'Megan Bowen', refs: {} },
      { email: 'elise@contoso.com', sipAddress: 'sip:Élise.Éclair@contoso.com', displayName: 'Élise Éclair', refs: {} },
    ]);
    // Megan signs in by her userPrincipalName, as a bearer token's preferred_username names her.
    await t.store.putAccount(UPN, await hashPassword('megan secret'), 'user');
    await upload(300);
  });
  after(() => t.close());

  it('serves the same photo by a secondary proxy address, Graph by the userPrincipalName', async () => {
    const byPrimary = await restPhoto(PRIMARY).expect(200);
    const bySecondary = await restPhoto(SECONDARY.toUpperCase()).expect(200);
    expect(bySecondary.headers.etag).to.equal(byPrimary.headers.etag);
    const byUpn = await request(t.bridge.server).get(`/v1.0/users/${UPN}/photos/96x96/$value`).set('Authorization', reader).buffer(true).expect(200);
    expect(byUpn.headers.etag).to.equal(byPrimary.headers.etag);
  });

  it('shows the new photo by every address as soon as it changes', async () => {
    const before = (await restPhoto(SECONDARY).expect(200)).headers.etag;
    await upload(200);
    const after = (await restPhoto(SECONDARY).expect(200)).headers.etag;
    expect(after).to.not.equal(before);
    expect((await restPhoto(UPN).expect(200)).headers.etag).to.equal(after);
  });

  // UnresolvedEntry: with the smtp routing type every address of the mailbox is matched; without one, the primary alone.
  it('resolves another address given as smtp: (and the SIP address as sip:) to the mailbox under its primary address, and not without it', async () => {
    const resolve = async (entry: string) => {
      const res = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', reader)
        .send(envelope(`<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>${entry}</m:UnresolvedEntry></m:ResolveNames>`))
        .expect(200);
      return (await parseSoap(res.text)).Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage;
    };
    for (const entry of [`smtp:${SECONDARY}`, `SMTP:${UPN}`, 'sip:Megan.B']) {
      const message = await resolve(entry);
      expect(message.ResponseCode, entry).to.equal('NoError');
      expect(message.ResolutionSet.Resolution.Mailbox.EmailAddress, entry).to.equal(PRIMARY);
    }
    expect((await resolve(SECONDARY)).ResponseCode).to.equal('ErrorNameResolutionNoResults');
    // A SIP address is kept in one spelling, lower case outside ASCII too: a capital É is found typed either way.
    for (const entry of ['sip:Élise', 'sip:élise'])
      expect((await resolve(entry)).ResolutionSet.Resolution.Mailbox.EmailAddress, entry).to.equal('elise@contoso.com');
  });

  it('lets a login by another address read its own contacts by the id /me gives, not another user’s', async () => {
    const megan = basic({ username: UPN, password: 'megan secret' });
    const me = await request(t.bridge.server).get('/v1.0/me').set('Authorization', megan).expect(200);
    expect(me.body.id).to.equal(PRIMARY);
    await request(t.bridge.server).get(`/v1.0/users/${me.body.id}/contacts`).set('Authorization', megan).expect(200);
    await request(t.bridge.server).get('/v1.0/users/elise@contoso.com/contacts').set('Authorization', megan).expect(403);
    await request(t.bridge.server).get(`/v1.0/users/${PRIMARY}/contacts`).set('Authorization', reader).expect(403);
    // A segment that does not percent-decode names nobody (it was a 500 with the URIError in the log).
    await request(t.bridge.server).get('/v1.0/users/%E0%A4%A/contacts').set('Authorization', megan).expect(403);
    await request(t.bridge.server).get('/v1.0/me/contactFolders/%ZZ/contacts').set('Authorization', megan).expect(404);
  });

  it('lets a login whose domain is Unicode read its own contacts by the address in A-labels, with no directory entry', async () => {
    await t.store.putAccount('anna@bücher.example', await hashPassword('anna secret'), 'user');
    const anna = basic({ username: 'anna@bücher.example', password: 'anna secret' });
    for (const named of ['anna@xn--bcher-kva.example', 'Anna@B%C3%BCcher.example'])
      await request(t.bridge.server).get(`/v1.0/users/${named}/contacts`).set('Authorization', anna).expect(200);
  });

  it('discovers the mailbox by another address and answers with its primary one', async () => {
    const res = await request(t.bridge.server)
      .post('/autodiscover/autodiscover.xml')
      .set('Authorization', reader)
      .set('Content-Type', 'text/xml')
      .send(
        '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">' +
          `<Request><EMailAddress>${SECONDARY}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`,
      )
      .expect(200);
    expect(res.text).to.include(`<AutoDiscoverSMTPAddress>${PRIMARY}</AutoDiscoverSMTPAddress>`);
  });

  it('removes the user named by another address, and their photo with every address', async () => {
    await restPhoto(UPN).expect(200);
    await request(t.bridge.server).delete(`/admin/users/${SECONDARY}`).set('Authorization', basic(ADMIN)).expect(204);
    for (const address of [PRIMARY, SECONDARY, UPN]) await restPhoto(address).expect(404);
  });
});
