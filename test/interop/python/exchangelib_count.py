#!/usr/bin/python3
"""Counts and lists a large Contacts folder with exchangelib, as a script over a whole address book does.

Usage: exchangelib_count.py URL USERNAME PASSWORD MAILBOX

Steps: account.contacts.people().count() (one FindPeople of 1,000: exchangelib does not page
it), account.contacts.all().count() (FindItem), and every contact fetched in one GetItem of
all their ids (account.fetch with chunk_size set to their number). Prints one JSON object; on
failure prints "exchangelib_count: <step>: <error>" to stderr and exits 1.
"""

import json
import sys
import traceback

STEP = "import exchangelib"
try:
    from exchangelib import BASIC, DELEGATE, Account, Configuration, Credentials
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    print(f"exchangelib_count: {STEP}: {error} (install the Debian package python3-exchangelib)", file=sys.stderr)
    sys.exit(2)


def main():
    global STEP
    url, username, password, mailbox = sys.argv[1:5]
    STEP = "account"
    config = Configuration(service_endpoint=url, credentials=Credentials(username, password), auth_type=BASIC)
    account = Account(primary_smtp_address=mailbox, config=config, autodiscover=False, access_type=DELEGATE)
    STEP = "contacts.people().count()"
    people = account.contacts.people().count()
    STEP = "contacts.all().count()"
    items = account.contacts.all().count()
    STEP = "account.fetch(every id at once)"
    ids = list(account.contacts.all().values_list("id", "changekey"))
    fetched = [c.display_name for c in account.fetch(ids=ids, chunk_size=len(ids))]
    print(json.dumps({"people": people, "items": items, "fetched": len(fetched), "distinct": len(set(fetched))}))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - reported with the step that failed
        print(f"exchangelib_count: {STEP}: {type(error).__name__}: {error}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)
