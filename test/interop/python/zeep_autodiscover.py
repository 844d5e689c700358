#!/usr/bin/python3
"""Drives the bridge's SOAP Autodiscover with zeep in strict mode, from the WSDL the bridge serves.

Usage:
  zeep_autodiscover.py WSDL_URL USERNAME PASSWORD EMAIL UNKNOWN_EMAIL DOMAIN

zeep builds each request from the WSDL (its WS-Addressing Action from the WSDL's
wsaw:Action) and parses each answer against it, strictly: an element the contract does not
have, or in another order, is an error here. Steps:
  1. the WSDL without credentials (must be refused), then with Basic auth;
  2. GetUserSettings for EMAIL and UNKNOWN_EMAIL: UserDisplayName, ExternalEwsUrl and a
     setting Autodiscover does not define;
  3. GetDomainSettings for DOMAIN and a string that is no domain: ExternalEwsUrl, ExternalEwsVersion.

Prints one JSON object of what zeep parsed and exits 0; on any failure prints
"zeep_autodiscover: <step>: <error>" to stderr and exits 1.
"""

import json
import sys
import traceback

STEP = "import zeep"
try:
    import requests
    import zeep
    from zeep.helpers import serialize_object
    from zeep.transports import Transport
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    print(f"zeep_autodiscover: {STEP}: {error} (install the Debian package python3-zeep)", file=sys.stderr)
    sys.exit(2)


def plain(value):
    """zeep's result objects as JSON (the raw header elements it keeps aside left out)."""
    value = serialize_object(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "_raw_elements"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    global STEP
    wsdl, username, password, email, unknown, domain = sys.argv[1:7]

    STEP = "load the WSDL without credentials"
    anonymous = requests.get(wsdl, timeout=30)
    observed = {"client": f"zeep {zeep.__version__}", "wsdl_without_credentials": anonymous.status_code}

    STEP = "load the WSDL"
    session = requests.Session()
    session.auth = (username, password)
    client = zeep.Client(wsdl, transport=Transport(session=session, timeout=30, operation_timeout=30), settings=zeep.Settings(strict=True))
    version = {"RequestedServerVersion": "Exchange2013"}

    STEP = "GetUserSettings"
    users = client.service.GetUserSettings(
        Request={
            "Users": {"User": [{"Mailbox": email}, {"Mailbox": unknown}]},
            "RequestedSettings": {"Setting": ["UserDisplayName", "ExternalEwsUrl", "NoSuchSetting"]},
            "RequestedVersion": "Exchange2013",
        },
        _soapheaders=version,
    )
    observed["user_settings"] = {"header": plain(users.header), "body": plain(users.body)}

    STEP = "GetDomainSettings"
    domains = client.service.GetDomainSettings(
        Request={"Domains": {"Domain": [domain, "not a domain"]}, "RequestedSettings": {"Setting": ["ExternalEwsUrl", "ExternalEwsVersion"]}},
        _soapheaders=version,
    )
    observed["domain_settings"] = {"header": plain(domains.header), "body": plain(domains.body)}

    print(json.dumps(observed))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - every failure is reported with its step
        traceback.print_exc(file=sys.stderr)
        print(f"zeep_autodiscover: {STEP}: {error}", file=sys.stderr)
        sys.exit(1)
