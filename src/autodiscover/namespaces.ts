/** SOAP Autodiscover (MS-OXWSADISC): messages, settings and the ServerVersionInfo header. */
export const AUTODISCOVER_NS = 'http://schemas.microsoft.com/exchange/2010/Autodiscover';
export const WS_ADDRESSING_NS = 'http://www.w3.org/2005/08/addressing';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** POX Autodiscover (MS-OXDSCLI): Outlook's request schema, the envelope of every answer, and the settings answer. */
export const POX_REQUEST_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
export const POX_BASE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
export const POX_RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
