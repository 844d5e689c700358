#!/usr/bin/python3
"""Drives the bridge's Autodiscover with Python exchangelib's own discovery (SOAP and POX).

Usage:
  exchangelib_autodiscover.py ORIGIN USERNAME PASSWORD EMAIL UNKNOWN_EMAIL

exchangelib discovers only over https on the email's domain, after a DNS lookup, so it
cannot find a server on 127.0.0.1 by itself. What it does remember is its autodiscover
cache: (domain, credentials) -> the Autodiscover endpoint that answered before. The script
puts the bridge's endpoint in that cache (kept in a temporary file, not the user's), which
is exchangelib's own "known server" path: storing the entry makes exchangelib taste the
endpoint's 401 challenge for the auth type, and discover() then asks it for the settings
and builds the EWS Account from them.

For each of SOAP (autodiscover.svc) and POX (autodiscover.xml):
  1. Account(EMAIL, autodiscover=...): the EWS URL, version and SMTP address it found;
  2. ResolveNames through the discovered EWS URL (the endpoint really serves EWS);
  3. the Contacts folder of the mailbox found (GetFolder naming that mailbox): its
     total_count, or the name of the error it failed with;
  4. Account(UNKNOWN_EMAIL, ...): must fail as "no such mailbox".

Prints one JSON object and exits 0; on failure prints "exchangelib_autodiscover: <step>: <error>"
to stderr and exits 1.
"""

import json
import sys
import tempfile
import traceback
from pathlib import Path

STEP = "import exchangelib"
try:
    import exchangelib
    import exchangelib.autodiscover.cache as cache_module
    from exchangelib import DELEGATE, Account, Configuration, Credentials
    from exchangelib.autodiscover import AutodiscoverProtocol
    from exchangelib.autodiscover.cache import autodiscover_cache
    from exchangelib.errors import ErrorNonExistentMailbox
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    print(f"exchangelib_autodiscover: {STEP}: {error} (install the Debian package python3-exchangelib)", file=sys.stderr)
    sys.exit(2)


def discover(kind, endpoint, credentials, email, unknown_email):
    global STEP
    domain = email.split("@", 1)[1]
    STEP = f"{kind}: seed the autodiscover cache with {endpoint}"
    autodiscover_cache.clear()
    protocol = AutodiscoverProtocol(config=Configuration(service_endpoint=endpoint, credentials=credentials))
    autodiscover_cache[(domain, credentials)] = protocol  # tastes the 401 challenge for the auth type

    STEP = f"{kind}: Account({email}) by autodiscover"
    account = Account(primary_smtp_address=email, credentials=credentials, autodiscover=kind, access_type=DELEGATE)
    found = {
        "auth_type": protocol.auth_type,
        "ews_url": account.protocol.service_endpoint,
        "api_version": account.version.api_version,
        "primary_smtp_address": account.primary_smtp_address,
    }

    STEP = f"{kind}: ResolveNames through the discovered EWS URL"
    resolved = account.protocol.resolve_names(names=[email.split("@", 1)[0]])
    found["resolved"] = [getattr(r, "email_address", None) for r in resolved]

    STEP = f"{kind}: the Contacts folder of {account.primary_smtp_address}"
    try:
        found["contacts"] = account.contacts.total_count
    except Exception as error:  # noqa: BLE001 - the error's name is what the test asserts
        found["contacts"] = type(error).__name__

    STEP = f"{kind}: Account({unknown_email}) by autodiscover"
    autodiscover_cache.clear()
    autodiscover_cache[(domain, credentials)] = AutodiscoverProtocol(config=Configuration(service_endpoint=endpoint, credentials=credentials))
    try:
        Account(primary_smtp_address=unknown_email, credentials=credentials, autodiscover=kind, access_type=DELEGATE)
        found["unknown"] = None
    except ErrorNonExistentMailbox as error:
        found["unknown"] = {"type": type(error).__name__, "message": str(error)}
    return found


def main():
    origin, username, password, email, unknown_email = sys.argv[1:6]
    cache_module.AUTODISCOVER_PERSISTENT_STORAGE = Path(tempfile.mkdtemp(prefix="exchangelib-cache-"), "autodiscover")
    credentials = Credentials(username, password)
    observed = {"client": f"exchangelib {exchangelib.__version__}"}
    observed["soap"] = discover("soap", f"{origin}/autodiscover/autodiscover.svc", credentials, email, unknown_email)
    observed["pox"] = discover("pox", f"{origin}/Autodiscover/Autodiscover.xml", credentials, email, unknown_email)
    autodiscover_cache.clear()
    print(json.dumps(observed))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - report any failure with the step it happened in
        print(f"exchangelib_autodiscover: {STEP}: {type(error).__name__}: {error}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)
