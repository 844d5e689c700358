import { expect } from 'chai';
import { matchPlainGetUserPhoto } from '../../src/ews/plain-get-user-photo.js';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';
const T = 'http://schemas.microsoft.com/exchange/services/2006/types';

const body = '<m:GetUserPhoto><m:Email>alex@contoso.com</m:Email><m:SizeRequested>HR96x96</m:SizeRequested></m:GetUserPhoto>';
const envelope = (inner = body, header = '<soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>', declarations = `xmlns:soap="${SOAP}" xmlns:m="${M}" xmlns:t="${T}"`) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope ${declarations}>${header}<soap:Body>${inner}</soap:Body></soap:Envelope>`;

describe('matchPlainGetUserPhoto (the SOAP fast path\'s recognizer)', () => {
  it('reads Email and SizeRequested from the envelopes clients send', () => {
    const shapes = [
      envelope(),
      envelope(body, ''),
      envelope(body, '<soap:Header/>'),
      // zeep and node-soap: default namespace on the operation, whitespace, no declaration
      `<soap-env:Envelope xmlns:soap-env="${SOAP}">\n  <soap-env:Body>\n    <ns0:GetUserPhoto xmlns:ns0="${M}">\n      <ns0:Email>alex@contoso.com</ns0:Email>\n      <ns0:SizeRequested>HR96x96</ns0:SizeRequested>\n    </ns0:GetUserPhoto>\n  </soap-env:Body>\n</soap-env:Envelope>`,
      `<s:Envelope xmlns:s="${SOAP}"><s:Body><GetUserPhoto xmlns="${M}"><Email> alex@contoso.com </Email><SizeRequested>HR96x96</SizeRequested></GetUserPhoto></s:Body></s:Envelope>`,
    ];
    for (const xml of shapes) expect(matchPlainGetUserPhoto(xml), xml).to.deep.equal({ email: 'alex@contoso.com', sizeCode: 'HR96x96' });
  });

  it('leaves everything unusual to the full parser', () => {
    const unusual = {
      'a DOCTYPE': `<!DOCTYPE x [<!ENTITY e "alex@contoso.com">]>${envelope()}`,
      'an entity reference': envelope(body.replace('alex@contoso.com', 'alex&#64;contoso.com')),
      'a comment': envelope(body.replace('<m:Email>', '<!-- hi --><m:Email>')),
      'CDATA': envelope(body.replace('alex@contoso.com', '<![CDATA[alex@contoso.com]]>')),
      'another operation': envelope(body.replaceAll('GetUserPhoto', 'ResolveNames')),
      'the messages namespace missing': envelope(body, '', `xmlns:soap="${SOAP}"`),
      'the wrong messages namespace': envelope(body, '', `xmlns:soap="${SOAP}" xmlns:m="urn:other"`),
      'a SOAP 1.2 envelope': envelope(body, '', `xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:m="${M}"`),
      'a header with content': envelope(body, '<soap:Header><t:ExchangeImpersonation><t:ConnectingSID/></t:ExchangeImpersonation></soap:Header>'),
      'elements in another order': envelope('<m:GetUserPhoto><m:SizeRequested>HR96x96</m:SizeRequested><m:Email>alex@contoso.com</m:Email></m:GetUserPhoto>'),
      'a mismatched closing tag': envelope(body.replace('</m:Email>', '</m:Emial>')),
      'trailing content': `${envelope()}<x/>`,
      'not XML at all': 'GetUserPhoto alex@contoso.com HR96x96',
    };
    for (const [what, xml] of Object.entries(unusual)) expect(matchPlainGetUserPhoto(xml), what).to.equal(undefined);
  });
});
