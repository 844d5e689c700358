import { textOf } from '../ews/soap-args.js';
import { mapInTurns } from '../loop-turns.js';
import { element } from '../ews/xml.js';
import { findMailbox } from './mailboxes.js';
import { errorFields, NO_REDIRECT, responseMessage, settingLists, invalidRequest } from './soap-messages.js';
import {
  checkAnswerCount,
  MAX_ECHOED,
  MAX_NAMES_PER_REQUEST,
  requestChildren,
  requestedSettings,
  requiredRequestChild,
  soleRequestChild,
  type AutodiscoverOperation,
} from './soap-operation.js';
import { isUserSettingName, userSetting } from './settings-catalogue.js';

interface GetUserSettingsArgs {
  /** The mailboxes asked about, in request order: one UserResponse each, in the same order. */
  users: string[];
  /** The setting names asked for, each once, in request order. */
  settings: string[];
}

/**
 * GetUserSettings (MS-OXWSADISC): `Request/Users/User/Mailbox` and
 * `Request/RequestedSettings/Setting`. Every user gets exactly the settings asked for —
 * values, and a UserSettingError for each one the bridge cannot give — or, when the
 * address is no mailbox it knows, `InvalidUser`.
 */
export const getUserSettings: AutodiscoverOperation<GetUserSettingsArgs> = {
  name: 'GetUserSettings',

  read(request) {
    const body = soleRequestChild(request, 'Request');
    const users = requestChildren(soleRequestChild(body, 'Users'), 'User').map((user) => textOf(requiredRequestChild(user, 'Mailbox')));
    if (users.length === 0) throw invalidRequest('The request names no user.');
    if (users.length > MAX_NAMES_PER_REQUEST) throw invalidRequest(`The request names more than ${MAX_NAMES_PER_REQUEST} users.`);
    const settings = requestedSettings(body);
    checkAnswerCount(users.length, settings, isUserSettingName, 'users');
    return { users, settings };
  },

  refuse: (error) => responseMessage('GetUserSettings', '<UserResponses/>', error),

  async run({ users, settings }, context) {
    const mailboxes = await Promise.all(users.map((address) => findMailbox(context.store, address, context.callerMailbox)));
    // Written a user at a time, pausing once a turn has run long: 100 users with every setting
    // took some 60 ms in one turn, and one login asking it on 64 connections held /healthz 22 s.
    const responses = await mapInTurns(users, (address, i) => {
      const mailbox = mailboxes[i];
      if (!mailbox)
        return element(
          'UserResponse',
          {},
          errorFields('InvalidUser', `Invalid user: '${address.slice(0, MAX_ECHOED)}'`),
          NO_REDIRECT,
          '<UserSettingErrors/><UserSettings/>',
        );
      const { errors, settings: values } = settingLists(
        'User',
        settings.map((name) => userSetting(name, { mailbox, urls: context.urls })),
      );
      return element('UserResponse', {}, errorFields('NoError', 'No error.'), NO_REDIRECT, errors, values);
    });
    return responseMessage('GetUserSettings', element('UserResponses', {}, ...responses));
  },
};
