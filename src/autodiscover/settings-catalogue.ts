import { CAS_VERSION, EWS_SUPPORTED_SCHEMAS, mailboxDatabaseDn, userDn, type AdvertisedUrls } from './exchange-server.js';
import type { Mailbox } from './mailboxes.js';

/** What a user setting is computed from. */
interface UserSettingSource {
  mailbox: Mailbox;
  urls: AdvertisedUrls;
}

/**
 * The user settings the bridge answers (MS-OXWSADISC UserSettingName), each a string —
 * written as `StringSetting`, the type every client reads. They are what a photo client
 * needs: who the user is, where EWS is, where the photos are, which EWS versions it speaks.
 * The bridge is one server for everyone, so internal and external URLs are the same.
 */
const USER_SETTINGS: ReadonlyMap<string, (source: UserSettingSource) => string> = new Map<string, (source: UserSettingSource) => string>([
  ['UserDisplayName', ({ mailbox }) => mailbox.displayName],
  ['UserDN', ({ mailbox }) => userDn(mailbox.alias)],
  ['AutoDiscoverSMTPAddress', ({ mailbox }) => mailbox.email],
  ['MailboxDN', ({ urls }) => mailboxDatabaseDn(urls.server)],
  ['InternalMailboxServer', ({ urls }) => urls.server],
  ['InternalEwsUrl', ({ urls }) => urls.ews],
  ['ExternalEwsUrl', ({ urls }) => urls.ews],
  ['InternalPhotosUrl', ({ urls }) => urls.photos],
  ['ExternalPhotosUrl', ({ urls }) => urls.photos],
  ['EwsSupportedSchemas', () => EWS_SUPPORTED_SCHEMAS],
  ['CasVersion', () => CAS_VERSION],
  ['ExternalEwsVersion', () => CAS_VERSION],
]);

/**
 * The other names Exchange defines (the UserSettingName list of MS-OXWSADISC and the EWS
 * Managed API): asked for, they are `SettingIsNotAvailable` — a real setting this server
 * has no value for. Any name outside both lists is `InvalidSetting`.
 */
const UNAVAILABLE_USER_SETTINGS: ReadonlySet<string> = new Set([
  'UserDeploymentId',
  'InternalRpcClientServer',
  'InternalMailboxServerDN',
  'InternalEcpUrl',
  'InternalEcpVoicemailUrl',
  'InternalEcpEmailSubscriptionsUrl',
  'InternalEcpTextMessagingUrl',
  'InternalEcpDeliveryReportUrl',
  'InternalEcpRetentionPolicyTagsUrl',
  'InternalEcpPublishingUrl',
  'InternalEcpPhotoUrl',
  'InternalEcpConnectUrl',
  'InternalEcpTeamMailboxUrl',
  'InternalEcpTeamMailboxCreatingUrl',
  'InternalEcpTeamMailboxEditingUrl',
  'InternalEcpTeamMailboxHidingUrl',
  'InternalEcpExtensionInstallationUrl',
  'InternalEmwsUrl',
  'InternalOABUrl',
  'InternalUMUrl',
  'InternalWebClientUrls',
  'PublicFolderServer',
  'ActiveDirectoryServer',
  'ExternalMailboxServer',
  'ExternalMailboxServerRequiresSSL',
  'ExternalMailboxServerAuthenticationMethods',
  'EcpVoicemailUrlFragment',
  'EcpEmailSubscriptionsUrlFragment',
  'EcpTextMessagingUrlFragment',
  'EcpDeliveryReportUrlFragment',
  'EcpRetentionPolicyTagsUrlFragment',
  'EcpPublishingUrlFragment',
  'EcpPhotoUrlFragment',
  'EcpConnectUrlFragment',
  'EcpTeamMailboxUrlFragment',
  'EcpTeamMailboxCreatingUrlFragment',
  'EcpTeamMailboxEditingUrlFragment',
  'EcpExtensionInstallationUrlFragment',
  'ExternalEcpUrl',
  'ExternalEcpVoicemailUrl',
  'ExternalEcpEmailSubscriptionsUrl',
  'ExternalEcpTextMessagingUrl',
  'ExternalEcpDeliveryReportUrl',
  'ExternalEcpRetentionPolicyTagsUrl',
  'ExternalEcpPublishingUrl',
  'ExternalEcpPhotoUrl',
  'ExternalEcpConnectUrl',
  'ExternalEcpTeamMailboxUrl',
  'ExternalEcpTeamMailboxCreatingUrl',
  'ExternalEcpTeamMailboxEditingUrl',
  'ExternalEcpTeamMailboxHidingUrl',
  'ExternalEcpExtensionInstallationUrl',
  'ExternalEmwsUrl',
  'ExternalOABUrl',
  'ExternalUMUrl',
  'ExternalWebClientUrls',
  'CrossOrganizationSharingEnabled',
  'AlternateMailboxes',
  'InternalPop3Connections',
  'ExternalPop3Connections',
  'InternalImap4Connections',
  'ExternalImap4Connections',
  'InternalSmtpConnections',
  'ExternalSmtpConnections',
  'InternalServerExclusiveConnect',
  'ExternalServerExclusiveConnect',
  'ExchangeRpcUrl',
  'ShowGalAsDefaultView',
  'InteropExternalEwsUrl',
  'InteropExternalEwsVersion',
  'MobileMailboxPolicy',
  'MobileMailboxPolicyInterop',
  'DocumentSharingLocations',
  'UserMSOnline',
  'InternalMailboxServerAuthenticationMethods',
  'MailboxVersion',
  'SPMySiteHostURL',
  'SiteMailboxCreationURL',
  'InternalRpcHttpServer',
  'InternalRpcHttpConnectivityRequiresSsl',
  'InternalRpcHttpAuthenticationMethod',
  'PublicFolderInformation',
  'RedirectUrl',
  'EwsPartnerUrl',
  'CertPrincipalName',
  'GroupingInformation',
  'MapiHttpEnabled',
  'InternalOutlookServiceUrl',
  'ExternalOutlookServiceUrl',
]);

/** The domain settings Exchange defines (DomainSettingName): both are answered. */
const DOMAIN_SETTINGS: ReadonlyMap<string, (urls: AdvertisedUrls) => string> = new Map<string, (urls: AdvertisedUrls) => string>([
  ['ExternalEwsUrl', (urls) => urls.ews],
  ['ExternalEwsVersion', () => CAS_VERSION],
]);

/** Whether a name is a UserSettingName Exchange defines, answered or not: each costs one short answer per user (soap-operation.ts counts the others). */
export const isUserSettingName = (name: string): boolean => USER_SETTINGS.has(name) || UNAVAILABLE_USER_SETTINGS.has(name);
export const isDomainSettingName = (name: string): boolean => DOMAIN_SETTINGS.has(name);

export type SettingAnswer = { name: string; value: string } | { name: string; error: 'InvalidSetting' | 'SettingIsNotAvailable'; message: string };

export function userSetting(name: string, source: UserSettingSource): SettingAnswer {
  const value = USER_SETTINGS.get(name);
  if (value) return { name, value: value(source) };
  return UNAVAILABLE_USER_SETTINGS.has(name) ? notAvailable(name) : invalid(name);
}

export function domainSetting(name: string, urls: AdvertisedUrls): SettingAnswer {
  const value = DOMAIN_SETTINGS.get(name);
  if (value) return { name, value: value(urls) };
  // A user setting asked of a domain is no domain setting, but not one Autodiscover lacks either.
  return isUserSettingName(name) ? { name, error: 'InvalidSetting', message: `${name} is a user setting, not a domain setting.` } : invalid(name);
}

const notAvailable = (name: string): SettingAnswer => ({ name, error: 'SettingIsNotAvailable', message: `${name} is not available on this server.` });
const invalid = (name: string): SettingAnswer => ({ name, error: 'InvalidSetting', message: `${name} is not a setting Autodiscover defines.` });
