import { expect } from 'chai';
import request from 'supertest';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { parseSoap, postEws } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const BOSS: DirectoryUser = { email: 'dana.boss@contoso.com', displayName: 'Dana Boss', refs: {} };
const SHOWN: DirectoryUser = { email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', department: 'Legal', manager: BOSS.email, refs: {} };
const HIDDEN: DirectoryUser = {
  email: 'megan.hidden@contoso.com',
  displayName: 'Megan Hidden',
  alias: 'meganh',
  department: 'Legal',
  sipAddress: 'sip:megan.hidden@contoso.com',
  manager: BOSS.email,
  hiddenFromAddressLists: true,
  refs: {},
};
const HIDDEN_REPORT: DirectoryUser = { email: 'lee.gu@contoso.com', displayName: 'Lee Gu', manager: HIDDEN.email, refs: {} };

describe('a mailbox hidden from address lists: in no list or search, its photo and its own entry found by its address', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([BOSS, SHOWN, HIDDEN, HIDDEN_REPORT]);
    await t.bridge.photos.setPhoto(userOwner(HIDDEN.email), await samplePhoto(120, 120), 'test');
  });
  after(() => t.close());

  const get = (path: string) => request(t.bridge.server).get(path).set('Authorization', basic(READER)).set('ConsistencyLevel', 'eventual');
  const resolved = async (entry: string) => {
    const res = await postEws(
      t.bridge.server,
      `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>${entry}</m:UnresolvedEntry></m:ResolveNames>`,
      READER,
    );
    const message = (await parseSoap(res.text)).Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage;
    const resolutions = message.ResolutionSet?.Resolution;
    const list = resolutions === undefined ? [] : [resolutions].flat();
    return [message.ResponseCode, ...list.map((resolution: { Mailbox: { EmailAddress: string } }) => resolution.Mailbox.EmailAddress)];
  };

  it('ResolveNames finds no one by their name, alias, address or SIP address', async () => {
    expect(await resolved('Megan')).to.deep.equal(['NoError', SHOWN.email]);
    for (const entry of ['Megan Hidden', 'meganh', HIDDEN.email, `smtp:${HIDDEN.email}`, 'sip:megan.hidden']) {
      expect(await resolved(entry), entry).to.deep.equal(['ErrorNameResolutionNoResults']);
    }
  });

  it('GetUserPhoto (SOAP and REST) and Graph answer their photo by their address', async () => {
    const soap = await postEws(
      t.bridge.server,
      `<m:GetUserPhoto><m:Email>${HIDDEN.email}</m:Email><m:SizeRequested>HR48x48</m:SizeRequested></m:GetUserPhoto>`,
      READER,
    ).expect(200);
    const message = (await parseSoap(soap.text)).Envelope.Body.GetUserPhotoResponse;
    expect([message.ResponseCode, message.HasChanged, message.PictureData.length > 0]).to.deep.equal(['NoError', 'true', true]);
    await get(`/ews/exchange.asmx/s/GetUserPhoto?email=${HIDDEN.email}&size=HR48x48`).expect(200).expect('Content-Type', 'image/jpeg');
    await get(`/v1.0/users/${HIDDEN.email}/photo/$value`).expect(200).expect('Content-Type', 'image/jpeg');
  });

  it("the directory page's search and its browsing leave them out, and so does their manager's list of reports", async () => {
    const people = async (q: string) => ((await get(`/api/people?q=${q}`).expect(200)).body.people as { email: string }[]).map((person) => person.email);
    expect(await people('megan')).to.deep.equal([SHOWN.email]);
    expect(await people('legal')).to.deep.equal([SHOWN.email]);
    expect(await people('')).to.deep.equal([BOSS.email, HIDDEN_REPORT.email, SHOWN.email]);
    const boss = (await get('/api/people?q=dana').expect(200)).body.people[0] as { directReports: { email: string }[] };
    expect(boss.directReports.map((report) => report.email)).to.deep.equal([SHOWN.email]);
    await get('/api/people/photo?name=Megan Hidden').expect(404);
  });

  it('Graph lists, searches and counts the directory without them, and answers their own entry and manager', async () => {
    const mails = async (path: string) => ((await get(path).expect(200)).body.value as { mail: string }[]).map((user) => user.mail);
    expect(await mails('/v1.0/users')).to.deep.equal([BOSS.email, HIDDEN_REPORT.email, SHOWN.email]);
    expect(await mails("/v1.0/users?$filter=startswith(displayName,'megan')")).to.deep.equal([SHOWN.email]);
    expect(await mails("/v1.0/users?$filter=startswith(mail,'megan')")).to.deep.equal([SHOWN.email]);
    expect(await mails('/v1.0/users?$search="displayName:hidden"')).to.deep.equal([]);
    expect(await mails(`/v1.0/users/${BOSS.email}/directReports`)).to.deep.equal([SHOWN.email]);
    expect((await get('/v1.0/users/$count').expect(200)).text).to.equal('3');
    expect((await get(`/v1.0/users/${HIDDEN.email}`).expect(200)).body.mail).to.equal(HIDDEN.email);
    expect((await get(`/v1.0/users/${HIDDEN.email}/manager`).expect(200)).body.mail).to.equal(BOSS.email);
  });

  it("is no one's manager on any door: walking everyone's managers does not find them", async () => {
    expect((await get(`/v1.0/users/${HIDDEN_REPORT.email}/manager`).expect(404)).body.error.code).to.equal('Request_ResourceNotFound');
    const expanded = (await get(`/v1.0/users/${HIDDEN_REPORT.email}?$expand=manager`).expect(200)).body as Record<string, unknown>;
    expect([expanded.mail, 'manager' in expanded]).to.deep.equal([HIDDEN_REPORT.email, false]);
    const person = (await get('/api/people?q=lee').expect(200)).body.people[0] as { email: string; manager: unknown };
    expect([person.email, person.manager]).to.deep.equal([HIDDEN_REPORT.email, null]);
  });
});
