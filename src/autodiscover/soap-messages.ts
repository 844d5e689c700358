import { element, text } from '../ews/xml.js';
import { AUTODISCOVER_NS, XSI_NS } from './namespaces.js';
import type { SettingAnswer } from './settings-catalogue.js';

/**
 * A request-wide ErrorCode (MS-OXWSADISC ErrorCode, InvalidRequest: "The request is
 * invalid"): the whole request is refused, on HTTP 200 still. Thrown by an operation's read.
 */
export class RequestError extends Error {
  readonly code = 'InvalidRequest';
}

export const invalidRequest = (message: string): RequestError => new RequestError(message);

/**
 * `{Op}ResponseMessage/Response` as Exchange writes it: ErrorCode, ErrorMessage (empty
 * when there is no error), then the operation's list (UserResponses, DomainResponses).
 */
export function responseMessage(operation: string, list: string, error?: RequestError): string {
  return element(
    `${operation}ResponseMessage`,
    { xmlns: AUTODISCOVER_NS },
    element(
      'Response',
      { 'xmlns:i': XSI_NS },
      text('ErrorCode', error?.code ?? 'NoError'),
      error ? text('ErrorMessage', error.message) : '<ErrorMessage/>',
      list,
    ),
  );
}

/** One user's or domain's ErrorCode and ErrorMessage; "No error." is what Exchange says when all went well. */
export function errorFields(code: string, message: string): string {
  return `${text('ErrorCode', code)}${text('ErrorMessage', message)}`;
}

/** A nil RedirectTarget: the bridge never redirects. */
export const NO_REDIRECT = '<RedirectTarget i:nil="true"/>';

/**
 * The settings of one user or domain: the values as `{kind}Settings/{kind}Setting` with
 * `i:type` (StringSetting, DomainStringSetting — clients skip a setting whose type they
 * do not know), the refusals as `{kind}SettingErrors/{kind}SettingError`. Both lists are
 * always written, empty or not: a client reads them without checking they are there.
 */
export function settingLists(kind: 'User' | 'Domain', answers: readonly SettingAnswer[]): { errors: string; settings: string } {
  let errors = '';
  let settings = '';
  for (const answer of answers) {
    if ('value' in answer) {
      settings += element(
        `${kind}Setting`,
        { 'i:type': kind === 'User' ? 'StringSetting' : 'DomainStringSetting' },
        text('Name', answer.name),
        text('Value', answer.value),
      );
    } else {
      errors += element(`${kind}SettingError`, {}, errorFields(answer.error, answer.message), text('SettingName', answer.name));
    }
  }
  return { errors: element(`${kind}SettingErrors`, {}, errors), settings: element(`${kind}Settings`, {}, settings) };
}
