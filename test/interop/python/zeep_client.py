#!/usr/bin/python3
"""Drives the bridge with zeep in strict mode, from the WSDL the bridge serves.

Usage:
  zeep_client.py WSDL_URL USERNAME PASSWORD --photo-user SMTP [--size HRnnxnn]...
      [--no-photo-user SMTP]... [--source-down-photo SMTP SIZE] --contact NAME
      --directory NAME [--unresolvable NAME]... [--ambiguous NAME] [--foreign-item-id ID]

zeep builds every request from the WSDL and parses every response against it (strict:
an unexpected, missing or misordered element is an error), so a response that does
not match the contract fails here. Steps, all in one process:
  1. the WSDL without credentials (must be refused), then with Basic auth;
  2. GetUserPhoto for --photo-user at each --size, then again with If-None-Match;
  3. GetUserPhoto for each --no-photo-user (Exchange answers HTTP 404; zeep raises a
     Fault, whose envelope is then parsed against the WSDL too); then for
     --source-down-photo, a photo whose source is down (a SOAP fault to try again);
  4. ResolveNames (full contact data, AllProperties) for --contact and --directory,
     plus the optional --unresolvable and --ambiguous names;
  5. GetItem on the contact's ItemId from its resolution, GetAttachment on the photo's
     AttachmentId; GetItem on --foreign-item-id and GetAttachment on a forged id;
  6. ConvertId of that ItemId to HexEntryId and back, beside a forged id.

Prints one JSON object of what zeep parsed (bytes as base64, plus HTTP status and
headers) and exits 0; on any failure prints "zeep_client: <step>: <error>" to stderr
and exits 1.
"""

import argparse
import base64
import datetime
import json
import sys
import traceback

STEP = "import zeep"
try:
    import requests
    import zeep
    from lxml import etree
    from zeep.exceptions import Fault
    from zeep.helpers import serialize_object
    from zeep.transports import Transport
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    print(f"zeep_client: {STEP}: {error} (install the Debian package python3-zeep)", file=sys.stderr)
    sys.exit(2)


class StepFailed(Exception):
    pass


def plain(value):
    """zeep's result objects as JSON: bytes → base64, datetimes → ISO 8601."""
    value = serialize_object(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def main():
    global STEP
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wsdl", help="e.g. http://127.0.0.1:8080/EWS/Exchange.asmx?wsdl")
    parser.add_argument("username")
    parser.add_argument("password")
    parser.add_argument("--photo-user", required=True)
    parser.add_argument("--size", action="append", default=[])
    parser.add_argument("--no-photo-user", action="append", default=[])
    parser.add_argument("--source-down-photo", nargs=2, metavar=("SMTP", "SIZE"))
    parser.add_argument("--contact", required=True, help="a name resolving to one of the caller's contacts")
    parser.add_argument("--directory", required=True, help="a name resolving to one directory user")
    parser.add_argument("--unresolvable", action="append", default=[])
    parser.add_argument("--ambiguous")
    parser.add_argument("--foreign-item-id")
    args = parser.parse_args()
    observed = {"client": f"zeep {zeep.__version__}"}

    # Every HTTP exchange, so the JSON can say what status and headers came back.
    exchanges = []

    def record(response, *_args, **_kwargs):
        exchanges.append(response)

    # 1. The contract, with the same auth as the service.
    STEP = "load the WSDL without credentials"
    anonymous = requests.get(args.wsdl, timeout=30)
    observed["wsdl_without_credentials"] = {"status": anonymous.status_code, "www_authenticate": anonymous.headers.get("WWW-Authenticate")}

    STEP = "load the WSDL"
    session = requests.Session()
    session.auth = (args.username, args.password)
    session.hooks["response"].append(record)
    client = zeep.Client(args.wsdl, transport=Transport(session=session, timeout=30, operation_timeout=30), settings=zeep.Settings(strict=True))
    service = client.service
    binding = service._binding  # the binding zeep uses; it also parses the envelope of a non-200 answer
    version = {"RequestVersion": {"Version": "Exchange2016"}}

    def call(operation, **kwargs):
        before = len(exchanges)
        result = getattr(service, operation)(_soapheaders=version, **kwargs)
        response = exchanges[-1] if len(exchanges) > before else None
        return {
            "status": None if response is None else response.status_code,
            "content_type": None if response is None else response.headers.get("Content-Type"),
            "header": plain(result.header),
            "body": plain(result.body),
        }

    def call_allowing_fault(operation, **kwargs):
        """zeep raises Fault for any non-200 answer; the envelope it carried is parsed against the WSDL too."""
        before = len(exchanges)
        try:
            result = getattr(service, operation)(_soapheaders=version, **kwargs)
            fault = None
        except Fault as raised:
            result = binding.get(operation).process_reply(etree.fromstring(raised.detail))
            fault = {"type": type(raised).__name__, "message": raised.message}
        response = exchanges[-1] if len(exchanges) > before else None
        return {
            "fault": fault,
            "status": None if response is None else response.status_code,
            "content_type": None if response is None else response.headers.get("Content-Type"),
            "header": plain(result.header),
            "body": plain(result.body),
        }

    # 2. GetUserPhoto, each size, then a conditional request with the ETag.
    observed["photos"] = []
    for size in args.size or ["HR96x96"]:
        STEP = f"GetUserPhoto {args.photo_user} {size}"
        result = call("GetUserPhoto", Email=args.photo_user, SizeRequested=size)
        response = exchanges[-1]
        result.update(size=size, etag=response.headers.get("ETag"), expires=response.headers.get("Expires"))
        observed["photos"].append(result)

    STEP = "GetUserPhoto with If-None-Match"
    etag = observed["photos"][-1]["etag"]
    if not etag:
        raise StepFailed("GetUserPhoto sent no ETag header")
    with client.settings(extra_http_headers={"If-None-Match": etag}):
        observed["photo_unchanged"] = call("GetUserPhoto", Email=args.photo_user, SizeRequested=observed["photos"][-1]["size"])
    observed["photo_unchanged"]["etag"] = exchanges[-1].headers.get("ETag")

    # 3. No photo: HTTP 404, as Exchange answers.
    observed["no_photo"] = []
    for user in args.no_photo_user:
        STEP = f"GetUserPhoto {user} (no photo)"
        observed["no_photo"].append(dict(user=user, **call_allowing_fault("GetUserPhoto", Email=user, SizeRequested="HR96x96")))

    if args.source_down_photo:
        user, size = args.source_down_photo
        STEP = f"GetUserPhoto {user} {size} (its source down)"
        try:
            service.GetUserPhoto(_soapheaders=version, Email=user, SizeRequested=size)
            raise StepFailed("GetUserPhoto answered without a fault while its source was down")
        except Fault as raised:
            detail = raised.detail

            def text_of(xpath):
                found = detail.xpath(xpath) if detail is not None else []
                return found[0].text if found else None

            observed["source_down"] = {
                "status": exchanges[-1].status_code,
                "retry_after": exchanges[-1].headers.get("Retry-After"),
                "code": raised.code,
                "message": raised.message,
                "response_code": text_of("*[local-name()='ResponseCode']"),
                "back_off_ms": text_of("*[local-name()='MessageXml']/*[local-name()='Value'][@Name='BackOffMilliseconds']"),
            }

    # 4. ResolveNames.
    def resolve(name, full=True):
        shape = {"ReturnFullContactData": True, "ContactDataShape": "AllProperties"} if full else {"ReturnFullContactData": False}
        return call("ResolveNames", UnresolvedEntry=name, SearchScope="ActiveDirectoryContacts", **shape)

    STEP = f"ResolveNames {args.contact!r}"
    observed["contact_resolution"] = resolve(args.contact)
    STEP = f"ResolveNames {args.directory!r}"
    observed["directory_resolution"] = resolve(args.directory)
    observed["unresolvable"] = []
    for name in args.unresolvable:
        STEP = f"ResolveNames {name!r}"
        observed["unresolvable"].append(dict(query=name, **resolve(name, full=False)))
    if args.ambiguous:
        STEP = f"ResolveNames {args.ambiguous!r}"
        observed["ambiguous"] = resolve(args.ambiguous, full=False)

    # 5. The contact's item and its photo attachment, reached only through the resolution.
    STEP = "take the ItemId from the contact's resolution"
    message = observed["contact_resolution"]["body"]["ResponseMessages"]["ResolveNamesResponseMessage"][0]
    resolutions = ((message.get("ResolutionSet") or {}).get("Resolution")) or []
    if len(resolutions) != 1 or not (resolutions[0]["Mailbox"] or {}).get("ItemId"):
        raise StepFailed(f"expected one resolution with a Mailbox/ItemId, got {json.dumps(message)[:500]}")
    item_id = resolutions[0]["Mailbox"]["ItemId"]

    STEP = "GetItem on the contact"
    observed["item"] = call(
        "GetItem",
        ItemShape={"BaseShape": "AllProperties"},
        ItemIds={"ItemId": [{"Id": item_id["Id"], "ChangeKey": item_id["ChangeKey"]}]},
    )
    STEP = "take the AttachmentId from the contact"
    items = observed["item"]["body"]["ResponseMessages"]["GetItemResponseMessage"][0].get("Items") or {}
    contacts = items.get("Contact") or []
    attachments = ((contacts[0].get("Attachments") or {}).get("FileAttachment") if contacts else None) or []
    if len(attachments) != 1:
        raise StepFailed(f"expected one FileAttachment on the contact, got {json.dumps(items)[:500]}")

    STEP = "GetAttachment on the contact photo"
    observed["attachment"] = call("GetAttachment", AttachmentIds={"AttachmentId": [{"Id": attachments[0]["AttachmentId"]["Id"]}]})

    if args.foreign_item_id:
        STEP = "GetItem on another mailbox's contact"
        observed["foreign_item"] = call("GetItem", ItemShape={"BaseShape": "AllProperties"}, ItemIds={"ItemId": [{"Id": args.foreign_item_id}]})
    STEP = "GetAttachment on a forged id"
    observed["forged_attachment"] = call("GetAttachment", AttachmentIds={"AttachmentId": [{"Id": "AQIAAAAAAAEAAAAAAAAAAAAAAAAAAAAA"}]})

    # 6. The contact's ItemId in another form, and back; the answer's AlternateId is typed by xsi:type.
    STEP = "ConvertId to HexEntryId and back"
    mailbox = args.username

    def convert(ids, source, destination):
        return call("ConvertId", DestinationFormat=destination, SourceIds={"AlternateId": [{"Id": i, "Format": source, "Mailbox": mailbox} for i in ids]})

    observed["item_id"] = item_id["Id"]
    observed["converted"] = convert([item_id["Id"], "AQIAAAAAAAEAAAAAAAAAAAAAAAAAAAAA"], "EwsId", "HexEntryId")
    messages = observed["converted"]["body"]["ResponseMessages"]["ConvertIdResponseMessage"]
    observed["converted_back"] = convert([messages[0]["AlternateId"]["Id"]], "HexEntryId", "EwsId")

    print(json.dumps(observed))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - every failure is reported the same way
        print(f"zeep_client: {STEP}: {type(error).__name__}: {error}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)
