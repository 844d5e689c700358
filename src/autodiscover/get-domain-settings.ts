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
import { domainSetting } from './settings-catalogue.js';

interface GetDomainSettingsArgs {
  domains: string[];
  settings: string[];
}

const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;

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
    checkAnswerCount(domains.length, settings.length, 'domains');
    return { domains, settings };
  },

  refuse: (error) => responseMessage('GetDomainSettings', '<DomainResponses/>', error),

  run({ domains, settings }, context) {
    // Schema order of DomainResponse: ErrorCode, ErrorMessage, DomainSettingErrors, DomainSettings, RedirectTarget.
    const responses = domains.map((domain) => {
      if (!DOMAIN.test(domain))
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
