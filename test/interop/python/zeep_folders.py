#!/usr/bin/python3
"""GetFolder, FindFolder and FindItem with zeep in strict mode, from the WSDL the bridge serves.

Usage: zeep_folders.py WSDL_URL USERNAME PASSWORD

zeep builds the requests from the WSDL and parses every answer against it (strict), so
an answer the contract does not describe fails here. Steps: GetFolder for root,
msgfolderroot, contacts and a folder the bridge does not have, in one request; FindItem
on the Contacts folder one contact per page until the last; FindItem with a Contains
restriction, and with an Or of an IsEqualTo and a Not; FindFolder Deep under the root;
SyncFolderItems on the Contacts folder one change at a time; SyncFolderHierarchy of the mailbox;
FindPeople in the Contacts folder and in the directory by a query, and GetPersona of the
first person found there. Prints one JSON object; on failure "zeep_folders: <step>: <error>" on stderr, exit 1.
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
    print(f"zeep_folders: {STEP}: {error} (install the Debian package python3-zeep)", file=sys.stderr)
    sys.exit(2)


def main():
    global STEP
    wsdl, username, password = sys.argv[1:4]
    STEP = "load the WSDL"
    session = requests.Session()
    session.auth = (username, password)
    client = zeep.Client(wsdl, transport=Transport(session=session, timeout=30), settings=zeep.Settings(strict=True))
    service = client.service
    version = {"RequestVersion": {"Version": "Exchange2016"}}

    STEP = "GetFolder"
    shape = {"BaseShape": "AllProperties"}
    folder_ids = {"_value_1": [{"DistinguishedFolderId": {"Id": name}} for name in ("root", "msgfolderroot", "contacts", "inbox")]}
    answer = service.GetFolder(_soapheaders=version, FolderShape=shape, FolderIds=folder_ids)
    folders = []
    for message in answer.body.ResponseMessages.GetFolderResponseMessage:
        entries = [] if message.Folders is None else serialize_object(message.Folders["_value_1"]) or []
        folders.append({
            "class": message.ResponseClass,
            "code": message.ResponseCode,
            "folders": [{kind: {k: v for k, v in value.items() if k in ("DisplayName", "FolderClass", "TotalCount", "ChildFolderCount")}} for entry in entries for kind, value in entry.items()],
        })

    STEP = "FindItem, one per page"
    pages = []
    offset = 0
    while len(pages) < 10:
        answer = service.FindItem(_soapheaders=version, Traversal="Shallow", ItemShape={"BaseShape": "Default"},
                                  IndexedPageItemView={"MaxEntriesReturned": 1, "Offset": offset, "BasePoint": "Beginning"},
                                  ParentFolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "contacts"}}]})
        root = answer.body.ResponseMessages.FindItemResponseMessage[0].RootFolder
        pages.append({"offset": root.IndexedPagingOffset, "total": root.TotalItemsInView, "last": root.IncludesLastItemInRange,
                      "names": [c.DisplayName for c in (root.Items.Contact or [])]})
        if root.IncludesLastItemInRange:
            break
        offset = root.IndexedPagingOffset

    STEP = "FindItem with a restriction"
    answer = service.FindItem(_soapheaders=version, Traversal="Shallow", ItemShape={"BaseShape": "IdOnly"},
                              Restriction={"Contains": {"FieldURI": {"FieldURI": "contacts:DisplayName"}, "Constant": {"Value": "zo"},
                                                        "ContainmentMode": "Substring", "ContainmentComparison": "IgnoreCase"}},
                              ParentFolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "contacts"}}]})
    root = answer.body.ResponseMessages.FindItemResponseMessage[0].RootFolder
    restricted = {"total": root.TotalItemsInView, "ids": len(root.Items.Contact or [])}

    STEP = "FindItem with an Or and a Not"
    name = {"FieldURI": {"FieldURI": "contacts:DisplayName"}}
    either = {"_value_1": [
        {"IsEqualTo": {**name, "FieldURIOrConstant": {"Constant": {"Value": "YUSUF YILMAZ"}}}},
        {"Not": {"Contains": {**name, "Constant": {"Value": "z"}, "ContainmentMode": "Prefixed", "ContainmentComparison": "IgnoreCase"}}},
    ]}
    answer = service.FindItem(_soapheaders=version, Traversal="Shallow", ItemShape={"BaseShape": "Default"},
                              Restriction={"Or": either},
                              ParentFolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "contacts"}}]})
    root = answer.body.ResponseMessages.FindItemResponseMessage[0].RootFolder
    restricted["either"] = [c.DisplayName for c in (root.Items.Contact or [])]

    STEP = "FindItem by an email address (IndexedFieldURI)"
    address = {"IndexedFieldURI": {"FieldURI": "contacts:EmailAddress", "FieldIndex": "EmailAddress2"}}
    answer = service.FindItem(_soapheaders=version, Traversal="Shallow", ItemShape={"BaseShape": "Default"},
                              Restriction={"IsEqualTo": {**address, "FieldURIOrConstant": {"Constant": {"Value": "ZOE@home.example"}}}},
                              ParentFolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "contacts"}}]})
    root = answer.body.ResponseMessages.FindItemResponseMessage[0].RootFolder
    restricted["by_address"] = [c.DisplayName for c in (root.Items.Contact or [])]

    STEP = "FindItem with a QueryString"
    answer = service.FindItem(_soapheaders=version, Traversal="Shallow", ItemShape={"BaseShape": "Default"},
                              ParentFolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "contacts"}}]},
                              QueryString={"_value_1": "yusuf", "ResetCache": True})
    root = answer.body.ResponseMessages.FindItemResponseMessage[0].RootFolder
    restricted["query_string"] = [c.DisplayName for c in (root.Items.Contact or [])]

    STEP = "FindFolder, Deep under the root"
    answer = service.FindFolder(_soapheaders=version, Traversal="Deep", FolderShape={"BaseShape": "Default"},
                                ParentFolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "root"}}]})
    root = answer.body.ResponseMessages.FindFolderResponseMessage[0].RootFolder
    entries = serialize_object(root.Folders["_value_1"]) or []
    found = {"total": root.TotalItemsInView, "last": root.IncludesLastItemInRange,
             "folders": [[kind, value["DisplayName"]] for entry in entries for kind, value in entry.items()]}

    STEP = "SyncFolderItems, one change at a time, to the end"
    synced, state = [], None
    for _ in range(10):
        answer = service.SyncFolderItems(_soapheaders=version, ItemShape={"BaseShape": "Default"},
                                         SyncFolderId={"DistinguishedFolderId": {"Id": "contacts"}}, SyncState=state, MaxChangesReturned=1)
        message = answer.body.ResponseMessages.SyncFolderItemsResponseMessage[0]
        for change in serialize_object(message.Changes["_value_1"]) or []:
            for kind, value in change.items():
                synced.append([kind, value["Contact"]["DisplayName"]])
        state = message.SyncState
        if message.IncludesLastItemInRange:
            break

    STEP = "SyncFolderHierarchy of the mailbox"
    answer = service.SyncFolderHierarchy(_soapheaders=version, FolderShape={"BaseShape": "Default"})
    message = answer.body.ResponseMessages.SyncFolderHierarchyResponseMessage[0]
    hierarchy = [[kind, folder_kind, folder["DisplayName"]] for change in serialize_object(message.Changes["_value_1"])
                 for kind, value in change.items() for folder_kind, folder in value.items() if folder]
    STEP = "FindPeople in the Contacts folder and the directory"
    view = {"MaxEntriesReturned": 10, "Offset": 0, "BasePoint": "Beginning"}
    people = {}
    for name, query in (("contacts", None), ("directory", "al")):
        answer = service.FindPeople(_soapheaders=version, PersonaShape={"BaseShape": "Default"}, IndexedPageItemView=view,
                                    ParentFolderId={"DistinguishedFolderId": {"Id": name}}, QueryString=query)
        found_people = answer.body.People.Persona if answer.body.People is not None else []
        people[name] = {"total": answer.body.TotalNumberOfPeopleInView,
                        "people": [[p.DisplayName, p.EmailAddress.EmailAddress, p.EmailAddress.MailboxType] for p in found_people]}
        people[name + "_id"] = found_people[0].PersonaId.Id
    STEP = "GetPersona"
    answer = service.GetPersona(_soapheaders=version, PersonaId={"Id": people.pop("directory_id")})
    people["persona"] = [answer.body.ResponseCode, answer.body.Persona.DisplayName, answer.body.Persona.Title]
    people.pop("contacts_id")
    print(json.dumps({"folders": folders, "pages": pages, "restricted": restricted, "found": found,
                      "synced": synced, "hierarchy": hierarchy, "people": people}))


try:
    main()
except Exception as error:  # noqa: BLE001 - the test reads the message
    print(f"zeep_folders: {STEP}: {type(error).__name__}: {error}", file=sys.stderr)
    traceback.print_exc(file=sys.stderr)
    sys.exit(1)
