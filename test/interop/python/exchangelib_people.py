#!/usr/bin/python3
"""Finds people with exchangelib's FindPeople (QuerySet.people()), as its users do.

Usage: exchangelib_people.py URL USERNAME PASSWORD MAILBOX CONTACT_QUERY DIRECTORY_QUERY HIDDEN_QUERY COMPANY_PREFIX ADDRESS

Steps (one process): account.contacts.people() (FindPeople IdOnly, then GetPersona on each
id), the same personas fetched as items (account.fetch: GetItem on them); .people().only(names)
(IdOnly with AdditionalProperties: Persona objects); .people().filter(CONTACT_QUERY) (a
QueryString); .people().filter(company_name__startswith=COMPANY_PREFIX) and
.filter(email_addresses__EmailAddress2=ADDRESS) (Restrictions); .people().order_by("-surname")
(a SortOrder); account.directory (GetFolder of "directory"), its .people().filter(DIRECTORY_QUERY),
its first person by account.fetch_personas (GetPersona), .filter(HIDDEN_QUERY), and .people()
without a query (an error). Prints one JSON object; on failure prints
"exchangelib_people: <step>: <error>" to stderr and exits 1.
"""

import json
import sys
import traceback

STEP = "import exchangelib"
try:
    from exchangelib import BASIC, DELEGATE, Account, Configuration, Credentials
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    print(f"exchangelib_people: {STEP}: {error} (install the Debian package python3-exchangelib)", file=sys.stderr)
    sys.exit(2)

NAMES = ("display_name", "display_name_first_last", "display_name_last_first", "file_as", "given_name", "surname", "title", "department", "company_name")


def persona(p):
    return {name: getattr(p, name) for name in NAMES}


def address(p):
    return None if p.email_address is None else [p.email_address.name, p.email_address.email_address, p.email_address.mailbox_type]


def main():
    global STEP
    url, username, password, mailbox, contact_query, directory_query, hidden_query, company_prefix, address_query = sys.argv[1:10]
    STEP = "account"
    config = Configuration(service_endpoint=url, credentials=Credentials(username, password), auth_type=BASIC)
    account = Account(primary_smtp_address=mailbox, config=config, autodiscover=False, access_type=DELEGATE)
    contacts = account.contacts
    STEP = "contacts.people()"
    people = list(contacts.people())
    STEP = "account.fetch(persona ids)"
    fetched = [c.display_name for c in account.fetch(ids=people)]
    STEP = "contacts.people().only(names)"
    listed = [persona(p) for p in contacts.people().only(*NAMES)]
    STEP = "contacts.people().filter(query)"
    searched = [p.display_name for p in contacts.people().filter(contact_query).only("display_name")]
    STEP = "contacts.people().filter(company_name__startswith)"
    restricted = [p.display_name for p in contacts.people().filter(company_name__startswith=company_prefix).only("display_name")]
    STEP = "contacts.people().filter(email_addresses__EmailAddress2)"
    # A Restriction's fields are the folder's items' (Contact), so an address is one of its three.
    by_address = [p.display_name for p in contacts.people().filter(email_addresses__EmailAddress2=address_query).only("display_name")]
    STEP = "contacts.people().order_by(-surname)"
    ordered = [p.display_name for p in contacts.people().order_by("-surname").only("display_name")]
    STEP = "account.directory"
    # The GAL, as exchangelib finds it: GetFolder of the distinguished folder "directory" (Exchange 2013 SP1 on).
    directory = account.directory
    STEP = "directory.people().filter(query)"
    found = [persona(p) for p in directory.people().filter(directory_query).only(*NAMES)]
    STEP = "account.fetch_personas(directory ids)"
    first = next(account.fetch_personas(ids=directory.people().filter(directory_query)[0:1]))
    STEP = "directory.people().filter(hidden)"
    hidden = [p.display_name for p in directory.people().filter(hidden_query).only("display_name")]
    STEP = "directory.people() without a query"
    try:
        listed_directory = {"people": len(list(directory.people()))}
    except Exception as error:  # noqa: BLE001 - the error is what is observed
        listed_directory = {"error": type(error).__name__}
    print(json.dumps({
        "people": [{**persona(p), "email_address": address(p)} for p in people],
        "fetched": fetched,
        "listed": listed,
        "searched": searched,
        "restricted": restricted,
        "by_address": by_address,
        "ordered": ordered,
        "directory": found,
        "directory_persona": {**persona(first), "email_address": address(first)},
        "hidden": hidden,
        "directory_listed": listed_directory,
        "directory_folder": [type(directory).__name__, directory.name],
    }))


try:
    main()
except Exception as error:  # noqa: BLE001 - the test reads the message
    print(f"exchangelib_people: {STEP}: {type(error).__name__}: {error}", file=sys.stderr)
    traceback.print_exc(file=sys.stderr)
    sys.exit(1)
