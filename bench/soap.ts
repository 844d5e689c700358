import { BASIC_AUTHORIZATION, BENCH_CONTACT, BENCH_USER } from './fixture.js';

/** The SOAP requests the bench drives, written as EWS clients write them (see shared/ews-wire.md). */
function envelope(body: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"' +
    ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>' +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

/** A plain envelope as zeep or node-soap write it. */
export const GET_USER_PHOTO = envelope(`<m:GetUserPhoto><m:Email>${BENCH_USER.email}</m:Email><m:SizeRequested>HR96x96</m:SizeRequested></m:GetUserPhoto>`);

/** exchangelib's ResolveNames: the full contact, photo included. */
export const RESOLVE_NAMES = envelope(
  '<m:ResolveNames ReturnFullContactData="true" ContactDataShape="AllProperties">' +
    `<m:UnresolvedEntry>${BENCH_CONTACT.displayName}</m:UnresolvedEntry></m:ResolveNames>`,
);

/** ews-javascript-api's GetItem: AllProperties of one contact, its id without a ChangeKey. */
export function getItem(itemId: string): string {
  return envelope(
    `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${itemId}"/></m:ItemIds></m:GetItem>`,
  );
}

export const SOAP_HEADERS = { authorization: BASIC_AUTHORIZATION, 'content-type': 'text/xml; charset=utf-8' };

/** One call, its status and body. */
export async function callSoap(endpoint: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(endpoint, { method: 'POST', headers: SOAP_HEADERS, body });
  return { status: response.status, text: await response.text() };
}

/**
 * The contact's ItemId from a ResolveNames answer, when the answer resolved exactly the
 * bench contact with its full data (a Contact with its photo); else undefined.
 */
export function resolvedContactId(answer: string): string | undefined {
  if (!/ResponseClass="Success"/.test(answer) || !answer.includes(`${BENCH_CONTACT.email}<`) || !/<t:Photo>[A-Za-z0-9+/=]{100,}<\/t:Photo>/.test(answer))
    return undefined;
  return /<t:ItemId Id="([^"]+)"/.exec(answer)?.[1];
}

/** Whether a GetItem answer is a success carrying the contact and its photo attachment. */
export function isContactItem(answer: string): boolean {
  return (
    /ResponseClass="Success"/.test(answer) &&
    answer.includes(`<t:DisplayName>${BENCH_CONTACT.displayName}</t:DisplayName>`) &&
    /<t:IsContactPhoto>true</.test(answer)
  );
}
