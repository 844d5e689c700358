#!/usr/bin/python3
"""Syncs the Contacts folder with exchangelib the way its users mirror a mailbox.

Usage: exchangelib_sync.py URL USERNAME PASSWORD MAILBOX SYNC_STATE MAX_CHANGES

Steps (one process): account.contacts.sync_items(sync_state=SYNC_STATE or None,
max_changes_returned=MAX_CHANGES) to the end (exchangelib calls SyncFolderItems until
IncludesLastItemInRange), then once more from the state it ended with; account.root.sync_hierarchy()
and once more from its state. Prints one JSON object: each change as [type, display name or
"id"], the states, and the folders; on failure prints "exchangelib_sync: <step>: <error>" to
stderr and exits 1.
"""

import json
import sys
import traceback

STEP = "import exchangelib"
try:
    from exchangelib import BASIC, DELEGATE, Account, Configuration, Credentials
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    print(f"exchangelib_sync: {STEP}: {error} (install the Debian package python3-exchangelib)", file=sys.stderr)
    sys.exit(2)


def change_of(change_type, item):
    return [change_type, getattr(item, "display_name", None) or "id"]


def main():
    global STEP
    url, username, password, mailbox, sync_state, max_changes = sys.argv[1:7]
    STEP = "account"
    config = Configuration(service_endpoint=url, credentials=Credentials(username, password), auth_type=BASIC)
    account = Account(primary_smtp_address=mailbox, config=config, autodiscover=False, access_type=DELEGATE)
    folder = account.contacts
    STEP = "contacts.sync_items()"
    changes = [change_of(*change) for change in folder.sync_items(sync_state=sync_state or None, max_changes_returned=int(max_changes))]
    state = folder.item_sync_state
    STEP = "contacts.sync_items() again"
    again = [change_of(*change) for change in folder.sync_items(sync_state=state)]
    STEP = "root.sync_hierarchy()"
    root = account.root
    hierarchy = [[change_type, f.name, f.folder_class] for change_type, f in root.sync_hierarchy()]
    hierarchy_again = [[change_type, f.name] for change_type, f in root.sync_hierarchy(sync_state=root.folder_sync_state)]
    print(json.dumps({"changes": changes, "state": state, "again": again, "unchanged": folder.item_sync_state == state,
                      "hierarchy": hierarchy, "hierarchy_again": hierarchy_again}))


try:
    main()
except Exception as error:  # noqa: BLE001 - the test reads the message
    print(f"exchangelib_sync: {STEP}: {type(error).__name__}: {error}", file=sys.stderr)
    traceback.print_exc(file=sys.stderr)
    sys.exit(1)
