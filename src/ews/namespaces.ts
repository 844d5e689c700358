export const SOAP_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const MESSAGES_NS = 'http://schemas.microsoft.com/exchange/services/2006/messages';
export const TYPES_NS = 'http://schemas.microsoft.com/exchange/services/2006/types';

/**
 * Exchange 2016 CU-level numbers. exchangelib maps (Major, Minor) to a known build and
 * fails on pairs it does not know, so this must stay a real Exchange 15.x version.
 * `Version` names the schema the bridge speaks, Exchange2016: exchangelib takes that name
 * for its later requests, where with a date-like name (`V2017_07_11`) it kept the version
 * it had guessed first — Exchange2019 — which it then cannot name for a 15.1 build
 * (`str(account.version)` raised ValueError).
 */
export const SERVER_VERSION_INFO = `<h:ServerVersionInfo xmlns:h="${TYPES_NS}" MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="Exchange2016"/>`;
