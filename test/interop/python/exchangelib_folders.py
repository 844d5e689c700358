#!/usr/bin/python3
"""Lists and finds contacts with exchangelib the way its users do: through the account's folders.

Usage: exchangelib_folders.py URL USERNAME PASSWORD MAILBOX PREFIX EXACT_NAME

Steps (one process): account.contacts (GetFolder root, then contacts); .all() paged two at a
time (FindItem IdOnly, then GetItem on the ids); .order_by("-display_name") (FindItem with a
SortOrder); .filter(display_name__startswith=PREFIX);
.get(display_name=EXACT_NAME); restrictions with Or, And and Not (__in, .exclude(), __range, Q | Q,
__exists=False), on the company, surname and given name, on one email address or phone number, and on
the times a contact was made and last changed; a contact's MimeContent (only('mime_content')); a QueryString (.filter("text")); account.fetch(ids) of everything .all() found; resolve_names
of PREFIX in the Contacts folder and in the root (parent_folders); the root's and the
Contacts folder's properties; the folder tree walked (FindFolder): root.walk(),
contacts.walk(), the path root / 'Top of Information Store' / 'Contacts' and its contacts, the
same path by name (root // …: FindFolder with a Restriction). Prints one JSON object; on failure prints
"exchangelib_folders: <step>: <error>" to stderr and exits 1.
"""

import json
import sys
import traceback

STEP = "import exchangelib"
try:
    from exchangelib import BASIC, DELEGATE, UTC, Account, Configuration, Credentials, EWSDateTime, Q
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    print(f"exchangelib_folders: {STEP}: {error} (install the Debian package python3-exchangelib)", file=sys.stderr)
    sys.exit(2)


def main():
    global STEP
    url, username, password, mailbox, prefix, exact = sys.argv[1:7]
    STEP = "account"
    # No version given: exchangelib asks the server for it, as a default setup does.
    config = Configuration(service_endpoint=url, credentials=Credentials(username, password), auth_type=BASIC)
    account = Account(primary_smtp_address=mailbox, config=config, autodiscover=False, access_type=DELEGATE)
    STEP = "account.contacts"
    folder = account.contacts
    STEP = "contacts.all()"
    everything = list(folder.all().order_by("display_name"))
    paged = [c.display_name for c in folder.all().only("display_name")[0:10]]
    STEP = "contacts.order_by(-display_name)"
    descending = [c.display_name for c in folder.all().order_by("-display_name").only("display_name")]
    STEP = "contacts.filter(display_name__startswith)"
    started = [c.display_name for c in folder.filter(display_name__startswith=prefix)]
    STEP = "contacts.get(display_name)"
    one = folder.get(display_name=exact)
    STEP = "restrictions with Or, And and Not"

    def names(query):
        return [c.display_name for c in query.order_by("display_name").only("display_name")]

    restricted = {
        "in": names(folder.filter(display_name__in=[exact, "Nobody Here"])),
        "exclude": names(folder.exclude(display_name=exact)),
        "exclude_startswith": names(folder.exclude(display_name__startswith=prefix)),
        "range": names(folder.filter(display_name__range=("A", "Z"))),
        "either": names(folder.filter(Q(display_name__startswith=prefix) | Q(display_name=exact))),
        "without_name": folder.filter(display_name__exists=False).count(),
        "company": names(folder.filter(company_name__iexact="NORTHWIND")),
        "surname_from_z": names(folder.filter(surname__gte="z")),
        "given_name_not": names(folder.exclude(given_name__istartswith="zo")),
        "email1": names(folder.filter(email_addresses__EmailAddress1="YUSUF@northwind.example")),
        "email2_contains": names(folder.filter(email_addresses__EmailAddress2__icontains="HOME")),
        "mobile": names(folder.filter(phone_numbers__MobilePhone="+1 206 555 0142")),
        "without_mobile": names(folder.filter(phone_numbers__MobilePhone__exists=False)),
        "query_string": names(folder.filter("zimmer*")),
        "query_string_and": names(folder.filter("yusuf northwind")),
        # What changed since a sync: every contact changed since 2000, none since 2100.
        "changed_since": names(folder.filter(last_modified_time__gt=EWSDateTime(2000, 1, 1, tzinfo=UTC))),
        "changed_later": names(folder.filter(last_modified_time__gte=EWSDateTime(2100, 1, 1, tzinfo=UTC))),
        "made_before": names(folder.filter(datetime_created__lt=EWSDateTime(2100, 1, 1, tzinfo=UTC))),
    }
    # What changed since the newest change it saw: nothing, and the newest found again by that time.
    newest = folder.all().order_by("-last_modified_time").only("display_name", "last_modified_time")[0]
    restricted["changed_since_newest"] = names(folder.filter(last_modified_time__gt=newest.last_modified_time))
    restricted["at_newest_finds_it"] = newest.display_name in names(folder.filter(last_modified_time=newest.last_modified_time))
    STEP = "only(mime_content)"
    # A contact exported as the vCard Exchange gives as its MimeContent.
    vcard = folder.filter(display_name=exact).only("mime_content")[0].mime_content.decode("utf-8")
    mime = {"begins": vcard.splitlines()[0], "fn": [line for line in vcard.splitlines() if line.startswith("FN:")]}
    STEP = "only(photo)"
    # contacts:Photo, which exchangelib fetches with a GetItem: the bytes the photo attachment holds.
    pictured = folder.filter(has_picture=True).only("display_name", "photo")[0]
    attachment = folder.get(display_name=pictured.display_name).attachments[0]
    photo = {"name": pictured.display_name, "bytes": len(pictured.photo or b""), "as_attachment": pictured.photo == attachment.content}
    STEP = "account.fetch(ids)"
    fetched = [c.display_name for c in account.fetch(ids=[(c.id, c.changekey) for c in everything])]
    STEP = "resolve_names(parent_folders)"

    def resolved_in(parent):
        results = account.protocol.resolve_names([prefix], parent_folders=[parent], search_scope="Contacts")
        return [r.name if hasattr(r, "name") else type(r).__name__ for r in results]

    resolved = {"contacts": resolved_in(folder), "root": resolved_in(account.root)}
    STEP = "walk the folder tree"
    walked = {
        "root": [f.name for f in account.root.walk()],
        "contacts": [f.name for f in folder.walk()],
        "by_path": [c.display_name for c in (account.root / "Top of Information Store" / "Contacts").all().order_by("display_name")],
        # The path without the folder cache: a FindFolder with a Restriction on the name at each step.
        "by_name": [c.display_name for c in (account.root // "Top of Information Store" // "Contacts").all().order_by("display_name")],
        # Searching every folder at once: a FindItem naming root, the message root and Contacts.
        "everywhere": sorted(c.display_name for c in account.root.walk().filter(display_name__startswith=prefix)),
        "root_count": account.root.all().count(),
    }
    STEP = "folder properties"
    print(json.dumps({
        "walked": walked,
        "mime": mime,
        "photo": photo,
        "folder": {"class": type(folder).__name__, "name": folder.name, "total_count": folder.total_count,
                   "folder_class": folder.folder_class},
        "root": type(account.root).__name__,
        "all": [{"display_name": c.display_name, "email": [e.email for e in (c.email_addresses or [])],
                 "has_picture": c.has_picture, "attachments": len(c.attachments or [])} for c in everything],
        "paged": paged,
        "descending": descending,
        "startswith": started,
        "get": {"display_name": one.display_name, "company": one.company_name},
        "restricted": restricted,
        "fetched": fetched,
        "resolved": resolved,
    }))


try:
    main()
except Exception as error:  # noqa: BLE001 - the test reads the message
    print(f"exchangelib_folders: {STEP}: {type(error).__name__}: {error}", file=sys.stderr)
    traceback.print_exc(file=sys.stderr)
    sys.exit(1)
