import { expect } from 'chai';
import { BatchRequestContent, BatchResponseContent, type BatchResponseBody, type Client } from '@microsoft/microsoft-graph-client';
import { ExchangeService, ExchangeVersion, ItemView, Uri, WebCredentials, WellKnownFolderName, type Contact } from 'ews-javascript-api';
import { restIdOf } from '../../src/ews/exchange-id-forms.js';
import { ItemIds } from '../../src/ews/item-ids.js';
import { ADMIN, basic, READER } from '../support/test-bridge.js';
import { graphClient, graphErrorOf } from './graph-client-fixture.js';
import { READER_CONTACTS, startInteropBridge, type InteropWorld } from './js-client-fixture.js';

interface ConvertIdResult {
  sourceId: string;
  targetId?: string;
  errorDetails?: { code: string; message: string };
}

/**
 * A client moving from EWS to Graph, with two real clients: the ItemIds ews-javascript-api
 * finds in the Contacts folder, turned into Graph ids by Graph's translateExchangeIds (the
 * Graph JS client) or by hand as Office.js convertToRestId does, name the same contacts Graph
 * lists — and back.
 */
describe('interop: EWS ItemIds and Graph ids (ews-javascript-api, Graph JS client)', function () {
  this.timeout(60_000);
  let world: InteropWorld;
  let graph: Client;
  /** The reader's contacts by EWS: ItemId → display name. */
  let byEwsId: Map<string, string>;
  /** The reader's contacts by Graph: id → display name. */
  let byGraphId: Map<string, string>;

  const translate = async (inputIds: string[], sourceIdType: string, targetIdType: string) =>
    ((await graph.api('/me/translateExchangeIds').post({ inputIds, sourceIdType, targetIdType })) as { value: ConvertIdResult[] }).value;

  before(async () => {
    world = await startInteropBridge();
    graph = graphClient(`http://127.0.0.1:${world.address.port}/`, () => Promise.resolve(basic(READER)));
    const ews = new ExchangeService(ExchangeVersion.Exchange2013);
    ews.Credentials = new WebCredentials(READER.username, READER.password);
    ews.Url = new Uri(world.ewsUrl);
    const found = await ews.FindItems(WellKnownFolderName.Contacts, new ItemView(100));
    byEwsId = new Map(found.Items.map((item) => [item.Id.UniqueId, (item as Contact).DisplayName]));
    const listed = (await graph.api('/me/contacts').select('displayName').top(100).get()) as { value: { id: string; displayName: string }[] };
    byGraphId = new Map(listed.value.map((contact) => [contact.id, contact.displayName]));
    expect([...byEwsId.values()].sort()).to.deep.equal(
      Object.values(READER_CONTACTS)
        .map((contact) => contact.displayName)
        .sort(),
    );
  });
  after(() => world?.close());

  it('translates every ItemId into the Graph id of the same contact, and back', async () => {
    const ewsIds = [...byEwsId.keys()];
    const results = await translate(ewsIds, 'ewsId', 'restId');
    expect(results.map((result) => result.sourceId)).to.deep.equal(ewsIds);
    expect(results.map((result) => byGraphId.get(result.targetId!))).to.deep.equal(ewsIds.map((id) => byEwsId.get(id)));
    const back = await translate(
      results.map((result) => result.targetId!),
      'restId',
      'ewsId',
    );
    expect(back.map((result) => result.targetId)).to.deep.equal(ewsIds);
  });

  it('spells a Graph id as Exchange does, so an ItemId converted by hand (convertToRestId) finds its contact', async () => {
    // Exchange's REST form writes `+` as `_` and `/` as `-`; RFC 4648's base64url, the other way round, is not it.
    for (const [ewsId, name] of byEwsId) {
      expect(byGraphId.get(restIdOf(ewsId)), ewsId).to.equal(name);
      const contact = (await graph
        .api(`/me/contacts/${restIdOf(ewsId)}`)
        .select('displayName')
        .get()) as { displayName: string };
      expect(contact.displayName).to.equal(name);
    }
    // The keyed ids above may hold no `+` or `/`; fifty more ids of the same key surely do.
    const ids = new ItemIds(await world.t.store.secret('item-ids', 32));
    const many = Array.from({ length: 50 }, (_, i) => ids.encode('contact', i + 1));
    expect(many.join('')).to.match(/\+/).and.to.match(/\//);
    expect((await translate(many, 'ewsId', 'restId')).map((result) => result.targetId)).to.deep.equal(many.map(restIdOf));
  });

  it('still reads a Graph id in the base64url spelling the bridge used before', async () => {
    for (const [ewsId, name] of byEwsId) {
      const earlier = ewsId
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/={1,2}$/, '');
      const contact = (await graph.api(`/me/contacts/${earlier}`).select('displayName').get()) as { displayName: string };
      expect(contact.displayName).to.equal(name);
    }
  });

  it('translates ids inside a JSON batch as alone: BatchRequestContent sends the POST with its JSON body', async () => {
    const ewsIds = [...byEwsId.keys()];
    const asked = { inputIds: ewsIds, sourceIdType: 'ewsId', targetIdType: 'restId' };
    const post = new Request(`http://127.0.0.1:${world.address.port}/v1.0/me/translateExchangeIds`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(asked),
    });
    const batch = new BatchRequestContent([{ id: 'ids', request: post }]);
    const answer = new BatchResponseContent((await graph.api('/$batch').post(await batch.getContent())) as BatchResponseBody);
    const translated = answer.getResponseById('ids');
    expect(translated.status).to.equal(200);
    expect(((await translated.json()) as { value: ConvertIdResult[] }).value).to.deep.equal(await translate(ewsIds, 'ewsId', 'restId'));
  });

  it('writes the entry-id forms as translateExchangeIds documents them, and reads them back', async () => {
    const ewsIds = [...byEwsId.keys()];
    for (const form of ['entryId', 'immutableEntryId']) {
      const entryIds = (await translate(ewsIds, 'ewsId', form)).map((result) => result.targetId!);
      // URL-safe base64 without padding, then the padding's length.
      for (const [i, entryId] of entryIds.entries()) {
        const padding = ewsIds[i]!.length - ewsIds[i]!.replace(/={1,2}$/, '').length;
        expect(entryId).to.match(/^[A-Za-z0-9_-]+[012]$/);
        expect(Buffer.from(entryId.slice(0, -1), 'base64url').equals(Buffer.from(ewsIds[i]!, 'base64')), entryId).to.equal(true);
        expect(entryId.at(-1)).to.equal(String(padding));
      }
      expect((await translate(entryIds, form, 'restImmutableEntryId')).map((result) => byGraphId.get(result.targetId!))).to.deep.equal(
        ewsIds.map((id) => byEwsId.get(id)),
      );
    }
  });

  it('answers an id that is none of the bridge’s on its own, and a malformed request as a whole', async () => {
    const [ewsId] = [...byEwsId.keys()];
    const tampered = `${ewsId!.slice(0, 5)}${ewsId![5] === 'A' ? 'B' : 'A'}${ewsId!.slice(6)}`;
    const results = await translate([ewsId!, tampered, 'not an id', ''], 'ewsId', 'restId');
    expect(results.map((result) => result.targetId ?? result.errorDetails!.code)).to.deep.equal([
      restIdOf(ewsId!),
      'ErrorInvalidIdMalformed',
      'ErrorInvalidIdMalformed',
      'ErrorInvalidIdMalformed',
    ]);
    // An id of one form is not read as another's.
    expect((await translate([ewsId!], 'entryId', 'ewsId'))[0]!.errorDetails?.code).to.equal('ErrorInvalidIdMalformed');

    for (const body of [
      { inputIds: [ewsId], sourceIdType: 'ewsId', targetIdType: 'EwsId' },
      { inputIds: [ewsId], sourceIdType: 'toString', targetIdType: 'restId' },
      { inputIds: ewsId, sourceIdType: 'ewsId', targetIdType: 'restId' },
      { inputIds: [1], sourceIdType: 'ewsId', targetIdType: 'restId' },
      { inputIds: ['a\ud800b'], sourceIdType: 'ewsId', targetIdType: 'restId' },
      { inputIds: Array.from({ length: 1001 }, () => ewsId), sourceIdType: 'ewsId', targetIdType: 'restId' },
    ]) {
      const error = await graphErrorOf(graph.api('/me/translateExchangeIds').post(body));
      expect([error.statusCode, error.code], JSON.stringify(body).slice(0, 80)).to.deep.equal([400, 'BadRequest']);
    }
    const asUser = (await graph
      .api(`/users/${READER.username}/translateExchangeIds`)
      .post({ inputIds: [ewsId], sourceIdType: 'ewsId', targetIdType: 'restId' })) as { value: ConvertIdResult[] };
    expect(asUser.value[0]!.targetId).to.equal(restIdOf(ewsId!));
    const another = await graphErrorOf(
      graph.api(`/users/${ADMIN.username}/translateExchangeIds`).post({ inputIds: [ewsId], sourceIdType: 'ewsId', targetIdType: 'restId' }),
    );
    expect([another.statusCode, another.code]).to.deep.equal([403, 'ErrorAccessDenied']);
    const read = await graphErrorOf(graph.api('/me/translateExchangeIds').get());
    expect(read.statusCode).to.equal(405);
  });
});
