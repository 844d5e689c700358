/** SOAP Autodiscover (MS-OXWSADISC): messages, settings and the ServerVersionInfo header. */
export const AUTODISCOVER_NS = 'http://schemas.microsoft.com/exchange/2010/Autodiscover';
export const WS_ADDRESSING_NS = 'http://www.w3.org/2005/08/addressing';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** POX Autodiscover (MS-OXDSCLI): Outlook's request schema, the envelope of every answer, and the settings answer. */
export const POX_REQUEST_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
export const POX_BASE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
export const POX_RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

/**
 * ActiveSync's Autodiscover (MS-ASCMD 2.2.1.1): what a device asks in, and the namespace of
 * the Response its answer, errors included, is in.
 */
export const MOBILESYNC_REQUEST_NS = 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006';
export const MOBILESYNC_RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006';
