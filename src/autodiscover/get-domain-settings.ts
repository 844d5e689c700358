import { domainToASCII } from 'node:url';
import { isSmtpAddress } from '../domain/email.js';
import { textOf } from '../ews/soap-args.js';
import { element } from '../ews/xml.js';
import { errorFields, NO_REDIRECT, responseMessage, settingLists, invalidRequest } from './soap-messages.js';
import {
  checkAnswerCount,
  MAX_ECHOED,
  MAX_NAMES_PER_REQUEST,
  requestChildren,
  requestedSettings,
  soleRequestChild,
  type AutodiscoverOperation,
} from './soap-operation.js';
import { domainSetting, isDomainSettingName } from './settings-catalogue.js';

interface GetDomainSettingsArgs {
  domains: string[];
  settings: string[];
}

/** A domain in ASCII: two labels or more of letters, digits and inner hyphens, each at most 63 octets (RFC 1035 §2.3.1, §2.3.4). */
const ASCII_DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * Whether the text is a domain, read as the bridge reads an address's (isSmtpAddress: labels
 * of any script, so `bücher.example` as its A-label `xn--bcher-kva.example` is, RFC 5890
 * §2.3.2.1), then in ASCII as IDNA writes it (UTS #46 ToASCII, node:url's domainToASCII: ""
 * for one it refuses). An absolute domain's final dot is no label (RFC 1034 §3.1: a name
 * "ending with a dot" is absolute), so `contoso.example.` is contoso.example. Every domain has
 * a postmaster address (RFC 5321 §4.5.1), whose grammar is the one checked.
 */
function isDomain(written: string): boolean {
  const domain = written.endsWith('.') ? written.slice(0, -1) : written;
  return isSmtpAddress(`postmaster@${domain}`) && ASCII_DOMAIN.test(domainToASCII(domain));
}

/**
 * GetDomainSettings (MS-OXWSADISC): `Request/Domains/Domain` and
 * `Request/RequestedSettings/Setting`. The bridge is the EWS server for whichever
 * domain asks it — it keeps no list of accepted domains — so every well-formed domain
 * gets ExternalEwsUrl and ExternalEwsVersion; anything else is `InvalidDomain`.
 */
export const getDomainSettings: AutodiscoverOperation<GetDomainSettingsArgs> = {
  name: 'GetDomainSettings',

  read(request) {
    const body = soleRequestChild(request, 'Request');
    const domains = requestChildren(soleRequestChild(body, 'Domains'), 'Domain').map(textOf);
    if (domains.length === 0) throw invalidRequest('The request names no domain.');
    if (domains.length > MAX_NAMES_PER_REQUEST) throw invalidRequest(`The request names more than ${MAX_NAMES_PER_REQUEST} domains.`);
    const settings = requestedSettings(body);
    checkAnswerCount(domains.length, settings, isDomainSettingName, 'domains');
    return { domains, settings };
  },

  refuse: (error) => responseMessage('GetDomainSettings', '<DomainResponses/>', error),

  run({ domains, settings }, context) {
    // Schema order of DomainResponse: ErrorCode, ErrorMessage, DomainSettingErrors, DomainSettings, RedirectTarget.
    const responses = domains.map((domain) => {
      if (!isDomain(domain))
        return element(
          'DomainResponse',
          {},
          errorFields('InvalidDomain', `Invalid domain: '${domain.slice(0, MAX_ECHOED)}'`),
          '<DomainSettingErrors/><DomainSettings/>',
          NO_REDIRECT,
        );
      const { errors, settings: values } = settingLists(
        'Domain',
        settings.map((name) => domainSetting(name, context.urls)),
      );
      return element('DomainResponse', {}, errorFields('NoError', 'No error.'), errors, values, NO_REDIRECT);
    });
    return responseMessage('GetDomainSettings', element('DomainResponses', {}, ...responses));
  },
};
