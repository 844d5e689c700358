#!/usr/bin/python3
"""Drives the bridge with Python exchangelib, the way an exchangelib user would.

Usage:
  exchangelib_client.py URL USERNAME PASSWORD [--mailbox SMTP] [--contact NAME]...
      [--directory NAME]... [--unresolvable NAME]... [--ambiguous NAME] [--foreign-item-id ID]

Steps, all in one process (importing exchangelib is the slow part):
  1. a Configuration with no auth_type, so exchangelib tastes the 401 challenge and asks
     the server for its version (ConvertId probes of an id "DUMMY", answered ErrorInvalidIdMalformed);
  2. the same with a wrong password: exchangelib must refuse to go on;
  3. the real Account (auth_type BASIC, DELEGATE, no autodiscover);
  4. ResolveNames with full contact data (AllProperties) for each --contact and
     --directory name, then, for each contact, GetItem on the ItemId the resolution
     carries and GetAttachment for every attachment (attachment.content);
     Each contact's ItemId is then converted (ConvertId) to EntryId, HexEntryId and OwaId
     and back to EwsId, and "DUMMY" is converted as the version probe converts it;
  5. optional negative cases: a name that resolves to nothing, one that resolves to
     several people, and GetItem on an id of another mailbox's contact;
  6. what the bridge does not serve: account.oof_settings (GetUserOofSettingsRequest),
     account.delegates (GetDelegate, whose answer carries its ResponseClass itself) and
     resolve_names with two names in one envelope (the schema allows one).

Prints one JSON object with what exchangelib returned (photo bytes as base64) and exits
0; on any failure prints "exchangelib_client: <step>: <error>" to stderr and exits 1.
"""

import argparse
import base64
import json
import sys
import traceback

STEP = "import exchangelib"
try:
    import exchangelib
    from exchangelib import BASIC, DELEGATE, Account, Configuration, Credentials
    from exchangelib.errors import EWSError, UnauthorizedError
    from exchangelib.folders import Folder, Root
    from exchangelib.items import Contact
    from exchangelib.properties import ENTRY_ID, EWS_ID, HEX_ENTRY_ID, OWA_ID, AlternateId, ItemId
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    print(f"exchangelib_client: {STEP}: {error} (install the Debian package python3-exchangelib)", file=sys.stderr)
    sys.exit(2)


class StepFailed(Exception):
    pass


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def error_of(value):
    """An exception exchangelib raised or returned in place of a result, as JSON."""
    return {"type": type(value).__name__, "message": str(value)}


def mailbox_json(mailbox):
    if mailbox is None:
        return None
    item_id = mailbox.item_id
    return {
        "name": mailbox.name,
        "email_address": mailbox.email_address,
        "routing_type": mailbox.routing_type,
        "mailbox_type": mailbox.mailbox_type,
        "item_id": None if item_id is None else {"id": item_id.id, "changekey": item_id.changekey},
    }


def contact_json(contact):
    if contact is None:
        return None
    return {
        "id": None if contact.id is None else {"id": contact.id, "changekey": contact.changekey},
        "item_class": contact.item_class,
        "subject": contact.subject,
        "file_as": contact.file_as,
        "display_name": contact.display_name,
        "given_name": contact.given_name,
        "surname": contact.surname,
        "company_name": contact.company_name,
        "department": contact.department,
        "job_title": contact.job_title,
        "contact_source": contact.contact_source,
        "email_addresses": [{"label": e.label, "email": e.email} for e in contact.email_addresses or []],
        "phone_numbers": [{"label": p.label, "phone_number": p.phone_number} for p in contact.phone_numbers or []],
        "has_picture": contact.has_picture,
        "has_attachments": contact.has_attachments,
        "photo_base64": b64(contact.photo),
        "attachments": [
            {
                "attachment_id": a.attachment_id.id,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "is_inline": a.is_inline,
                "is_contact_photo": getattr(a, "is_contact_photo", None),
                "last_modified_time": None if a.last_modified_time is None else a.last_modified_time.isoformat(),
            }
            for a in contact.attachments or []
        ],
    }


def resolutions_json(results):
    """resolve_names(return_full_contact_data=True) gives (Mailbox, Contact) tuples, or errors."""
    out = []
    for result in results:
        if isinstance(result, Exception):
            out.append({"error": error_of(result)})
        elif isinstance(result, tuple):
            mailbox, contact = result
            out.append({"mailbox": mailbox_json(mailbox), "contact": contact_json(contact)})
        else:
            out.append({"mailbox": mailbox_json(result), "contact": None})
    return out


def main():
    global STEP
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the EWS endpoint, e.g. http://127.0.0.1:8080/EWS/Exchange.asmx")
    parser.add_argument("username")
    parser.add_argument("password")
    parser.add_argument("--mailbox", help="primary SMTP address of the account (default: USERNAME)")
    parser.add_argument("--contact", action="append", default=[], help="a name resolving to one of the mailbox's contacts")
    parser.add_argument("--directory", action="append", default=[], help="a name resolving to one directory user")
    parser.add_argument("--unresolvable", action="append", default=[], help="a name that resolves to nobody")
    parser.add_argument("--ambiguous", help="a name that resolves to several people")
    parser.add_argument("--foreign-item-id", help="an ItemId of a contact in another mailbox")
    args = parser.parse_args()
    mailbox = args.mailbox or args.username
    observed = {"client": f"exchangelib {exchangelib.__version__}"}

    # 1. The default Configuration: auth type and server version are discovered.
    STEP = "discover auth type and version"
    probe = Account(
        primary_smtp_address=mailbox,
        config=Configuration(service_endpoint=args.url, credentials=Credentials(args.username, args.password)),
        autodiscover=False,
        access_type=DELEGATE,
    )
    build = probe.version.build
    observed["discovered"] = {
        "auth_type": probe.protocol.auth_type,
        "build": [build.major_version, build.minor_version, build.major_build, build.minor_build],
        "api_version": probe.version.api_version,
        "full_name": probe.version.fullname,
    }
    probe.protocol.close()

    # 2. Wrong credentials must stop exchangelib, not be ignored.
    STEP = "wrong password"
    try:
        bad = Account(
            primary_smtp_address=mailbox,
            config=Configuration(service_endpoint=args.url, credentials=Credentials(args.username, args.password + "-wrong"), auth_type=BASIC),
            autodiscover=False,
            access_type=DELEGATE,
        )
        bad.protocol.resolve_names(["x"])
        observed["wrong_password"] = {"type": None, "message": "exchangelib accepted a wrong password"}
    except EWSError as error:
        observed["wrong_password"] = error_of(error)

    # 3. The account every further step uses. Plain http works with service_endpoint.
    STEP = "connect"
    config = Configuration(service_endpoint=args.url, credentials=Credentials(args.username, args.password), auth_type=BASIC)
    account = Account(primary_smtp_address=mailbox, config=config, autodiscover=False, access_type=DELEGATE)
    # account.fetch() without a folder would first look up the mailbox root with GetFolder,
    # which the bridge does not serve; a locally built generic Folder asks for the same
    # fields (every item type's) without that round trip.
    any_folder = Folder(root=Root(account=account))

    def resolve(name):
        return resolutions_json(account.protocol.resolve_names([name], return_full_contact_data=True, shape="AllProperties"))

    # 4. Contacts: name → ItemId → GetItem → GetAttachment.
    observed["contacts"] = []
    for name in args.contact:
        STEP = f"resolve contact {name!r}"
        resolutions = resolve(name)
        if len(resolutions) != 1 or "error" in resolutions[0]:
            raise StepFailed(f"expected one resolution, got {json.dumps(resolutions)[:500]}")
        item_id = (resolutions[0]["mailbox"] or {}).get("item_id")
        if not item_id:
            raise StepFailed("the resolution's Mailbox carries no ItemId, so GetItem cannot be reached")
        STEP = f"fetch contact {name!r}"
        items = list(account.fetch(ids=[ItemId(id=item_id["id"], changekey=item_id["changekey"])], folder=any_folder))
        if len(items) != 1 or isinstance(items[0], Exception):
            raise StepFailed(f"GetItem gave {items!r}")
        item = items[0]
        if not isinstance(item, Contact):
            raise StepFailed(f"GetItem gave a {type(item).__name__}, not a Contact")
        entry = {"query": name, "resolutions": resolutions, "item": contact_json(item), "attachment_contents": []}
        for attachment in item.attachments or []:
            STEP = f"download attachment {attachment.name!r} of {name!r}"
            entry["attachment_contents"].append(b64(attachment.content))
        observed["contacts"].append(entry)

    # ConvertId: each contact's ItemId in the other forms, and back.
    STEP = "convert ids"
    item_ids = [entry["resolutions"][0]["mailbox"]["item_id"]["id"] for entry in observed["contacts"]]

    def convert(ids, source, destination):
        alternates = [AlternateId(id=i, format=source, mailbox=mailbox) for i in ids]
        return [error_of(r) if isinstance(r, Exception) else {"id": r.id, "format": r.format, "mailbox": r.mailbox} for r in account.protocol.convert_ids(alternates, destination)]

    observed["converted"] = {"ews": item_ids}
    for form in (ENTRY_ID, HEX_ENTRY_ID, OWA_ID):
        there = convert(item_ids, EWS_ID, form)
        observed["converted"][form] = there
        observed["converted"][f"{form} back"] = convert([r.get("id") for r in there], form, EWS_ID)
    observed["converted"]["dummy"] = convert(["DUMMY"], EWS_ID, ENTRY_ID)

    # Directory users: name → Mailbox and full contact data with the photo.
    observed["directory"] = []
    for name in args.directory:
        STEP = f"resolve directory user {name!r}"
        observed["directory"].append({"query": name, "resolutions": resolve(name)})

    # 5. Negative cases, each answered the way exchangelib expects of Exchange.
    observed["unresolvable"] = []
    for name in args.unresolvable:
        STEP = f"resolve unresolvable {name!r}"
        observed["unresolvable"].append({"query": name, "resolutions": resolutions_json(account.protocol.resolve_names([name]))})
    if args.ambiguous:
        STEP = f"resolve ambiguous {args.ambiguous!r}"
        observed["ambiguous"] = {"query": args.ambiguous, "resolutions": resolutions_json(account.protocol.resolve_names([args.ambiguous]))}
    if args.foreign_item_id:
        STEP = "fetch another mailbox's contact"
        results = list(account.fetch(ids=[ItemId(id=args.foreign_item_id)], folder=any_folder))
        observed["foreign_item"] = [error_of(r) if isinstance(r, Exception) else contact_json(r) for r in results]

    # 6. Refusals exchangelib must read as Exchange's errors, not as a response it cannot parse.
    STEP = "out-of-office settings"
    try:
        observed["oof_settings"] = {"type": None, "message": repr(account.oof_settings)}
    except EWSError as error:
        observed["oof_settings"] = error_of(error)
    STEP = "delegates"
    try:
        observed["delegates"] = {"type": None, "message": repr(account.delegates)}
    except EWSError as error:
        observed["delegates"] = error_of(error)
    STEP = "two names in one ResolveNames"
    try:
        observed["two_names"] = {"type": None, "message": repr(account.protocol.resolve_names(["Adele", "Xaver"]))}
    except EWSError as error:
        observed["two_names"] = error_of(error)

    account.protocol.close()

    # 7. Last, as it throttles this client's address: wrong passwords until the bridge says to back off.
    STEP = "throttled login"
    refusals = []
    for _ in range(10):
        try:
            Account(
                primary_smtp_address=mailbox,
                config=Configuration(service_endpoint=args.url, credentials=Credentials("nobody@contoso.com", "guess"), auth_type=BASIC),
                autodiscover=False,
                access_type=DELEGATE,
            ).protocol.resolve_names(["x"])
        except (EWSError, UnauthorizedError) as error:
            refusals.append(type(error).__name__)
            if type(error).__name__ != "UnauthorizedError":
                break
    observed["throttled"] = refusals[-1]
    print(json.dumps(observed))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - every failure is reported the same way
        print(f"exchangelib_client: {STEP}: {type(error).__name__}: {error}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)
