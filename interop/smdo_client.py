#!/usr/bin/python3
"""An independent SMDO СЭД client, written from the router's wire contract (the paths and JSON field
names working clients use: the client-credentials token, the outgoing and incoming package APIs, the
directories); Python 3 standard library and the openssl command only, sharing no code with shepconf.

It is configured as an organisation is when it connects: a folder with credentials.json (username,
password, id = idAbonent, code = smdoCode, routerURL), cert.pem and key.pem (the certificate its files
are signed with), and the CA chain the router's HTTPS certificate chains to (ca-chain.pem).

Commands, each printing one JSON line on stdout (ok true, or where and why it failed with the HTTP
status and the router's rule and field); progress goes to stderr; exit status 0 only on success:

  send     token; the directories (document types, file types, subscribers: the receiver's idAbonent
           and status); create the package; attach each file (multipart "file", named as its
           docTransfer's referenceid); put each file's signature (detached CMS by openssl cms -sign,
           base64 DER); send (204).
           Probes that must fail: --unsigned NAME (no signature put for that file: the send is refused),
           --tamper NAME (one bit of that file's signature flipped: the signature is refused),
           --password (another password: the token is refused).
  receive  polls the incoming list (onlyNew, every page) until --expect documents came; downloads each
           file and checks its signature with openssl cms -verify against the CA chain; confirms each
           package; answers a document asking for acknowledgement (msg_acknow 2) with a delivery notice
           (ack_type 1) and a registration notice (ack_type 2, errorcode --registration); lists again to
           see that nothing it confirmed is offered again.
  inbox    polls the incoming list until the notices about --msg-id came: the router's delivery receipt
           (from ROUTER, ack_type 1) and the recipient's registration notice (ack_type 2); confirms
           everything it took in one batch; lists again to see that nothing is offered again.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

OUTGOING = "receiver/1.0.0/org/SMDO~1.0.0/package"
INCOMING = "sender/1.0.0/org/SMDO~1.0.0/package"
DOC_TYPES = "smdo_nsi_doc_type/1.0.0/smdo_nsi/doc_type/v1"
FILE_TYPES = "smdo_nsi_file_type/1.0.0/smdo_nsi/file_type/v1"
SUBSCRIBERS = "smdo_nsi_subscriber/1.0.0/smdo_nsi/subscriber/v1/search"
ROUTER = "ROUTER"  # from.idAbonent of the router's own packets
PAGE_SIZE = 100  # the most a page of the incoming list holds


class Failure(Exception):
    """A step that did not go as the contract says; fields go to the JSON line."""

    def __init__(self, step, message, **fields):
        super().__init__(message)
        self.step, self.fields = step, fields


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def router_error(step, status, body, **fields):
    """A refusal of the router: {"status","error","message","rule","field"} when the body is one."""
    doc = {}
    try:
        doc = json.loads(body)
    except ValueError:
        pass
    if not isinstance(doc, dict):
        doc = {}
    message = doc.get("message") or doc.get("error_description") or body.decode("utf-8", "replace").strip()
    oauth = doc.get("error") if status == 401 else None  # RFC 6749 5.2, RFC 6750 3.1: invalid_client, invalid_token
    return Failure(step, "HTTP %d %s: %s" % (status, doc.get("error") or "", message), status=status,
                   rule=doc.get("rule"), field=doc.get("field"), oauthError=oauth, **fields)


def openssl(step, *args):
    r = subprocess.run(["openssl", *args], capture_output=True)
    if r.returncode != 0:
        raise Failure(step, "openssl %s: %s" % (args[0], (r.stderr or r.stdout).decode().strip()))
    return r.stdout


def sign_detached(path, cert, key):
    """DER of a detached CMS SignedData over the file's bytes, with the signer's certificate."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "sig.der")
        openssl("signs", "cms", "-sign", "-binary", "-outform", "DER", "-signer", cert, "-inkey", key, "-in", path, "-out", out)
        return open(out, "rb").read()


def verify_detached(data, signature, cafile):
    """Whether signature (DER) is a valid detached CMS signature over data chaining to cafile."""
    with tempfile.TemporaryDirectory() as d:
        content, sig = os.path.join(d, "content"), os.path.join(d, "sig.der")
        with open(content, "wb") as f:
            f.write(data)
        with open(sig, "wb") as f:
            f.write(signature)
        r = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", content,
                            "-CAfile", cafile, "-purpose", "any", "-out", os.devnull], capture_output=True)
        return r.returncode == 0


def certificate_facts(cert):
    """The serial (hex) and subject of a certificate, for a sign's keyId and signer."""
    serial = openssl("signs", "x509", "-in", cert, "-noout", "-serial").decode().strip().split("=", 1)[1]
    subject = openssl("signs", "x509", "-in", cert, "-noout", "-subject").decode().strip().split("=", 1)[1].strip()
    return serial, subject


class Router:
    """The router's API over HTTPS with urllib, trusting only the exported CA chain."""

    def __init__(self, creds, cafile, timeout, password=None):
        self.base = creds["routerURL"]
        if not self.base.endswith("/"):
            self.base += "/"
        self.user, self.password = creds["username"], password if password is not None else creds["password"]
        self.ctx = ssl.create_default_context(cafile=cafile)  # no system roots: only the chain given
        self.timeout = timeout
        self.token = None
        self.calls = 0

    def raw(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        self.calls += 1
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=self.timeout) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def get_token(self):
        basic = base64.b64encode(("%s:%s" % (self.user, self.password)).encode()).decode()
        status, _, body = self.raw("POST", "token?scope=application&grant_type=client_credentials", b"",
                                   {"Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"})
        if status != 200:
            raise router_error("token", status, body)
        doc = json.loads(body)
        if not doc.get("access_token") or str(doc.get("token_type", "")).lower() != "bearer":
            raise Failure("token", "no bearer access_token in %s" % body[:300])
        self.token = doc["access_token"]
        log("token: %d characters, expires in %ss" % (len(self.token), doc.get("expires_in")))

    def call(self, step, method, path, body=None, ctype=None, want=(200,)):
        """An authorised call; a new token once after 401, then the call again."""
        if self.token is None:
            self.get_token()
        for attempt in (1, 2):
            headers = {"Authorization": "Bearer " + self.token}
            if ctype:
                headers["Content-Type"] = ctype
            status, headers_in, resp = self.raw(method, path, body, headers)
            if status == 401 and attempt == 1:
                log("%s: 401, a new token" % step)
                self.get_token()
                continue
            if status not in want:
                raise router_error(step, status, resp, path=path)
            return status, headers_in, resp

    def json_call(self, step, method, path, doc=None, want=(200,)):
        body = None if doc is None else json.dumps(doc, ensure_ascii=False).encode("utf-8")
        status, _, resp = self.call(step, method, path, body, "application/json; charset=utf-8" if body is not None else None, want)
        return json.loads(resp) if resp and status != 204 else None

    def directories(self):
        doc_types = self.json_call("directories", "GET", DOC_TYPES)
        file_types = self.json_call("directories", "GET", FILE_TYPES)
        subscribers, page = [], 1
        while True:
            got = self.json_call("directories", "POST", SUBSCRIBERS, {"paging": {"page": page, "limit": 1000}})
            subscribers += got.get("data") or []
            if not (got.get("paging") or {}).get("hasNext"):
                break
            page += 1
        return doc_types, file_types, subscribers

    def incoming(self, only_new=True):
        """Every page of the incoming list."""
        items, page = [], 0
        while True:
            got = self.json_call("list", "POST", INCOMING, {"page": page, "size": PAGE_SIZE, "onlyNew": only_new})
            items += got.get("content") or []
            if not got.get("hasNext"):
                return items
            page += 1

    def create_and_send(self, step, package, files=(), signer=None, unsigned=(), tamper=(), report=None):
        """The outgoing sequence: create, attach each file, put its signature, send (204)."""
        created = self.json_call(step + "/create", "POST", OUTGOING, package)
        pid = created.get("packageId")
        if not pid or created.get("confirmId") is None:
            raise Failure(step + "/create", "no packageId or confirmId in %s" % json.dumps(created)[:300])
        if report is not None:
            report["packageId"], report["attachments"] = pid, []
        for name, path in files:
            data = open(path, "rb").read()
            ctype, body = multipart("file", name, data)
            _, _, resp = self.call(step + "/attach", "POST", "%s/%s/attach" % (OUTGOING, pid), body, ctype)
            att = json.loads(resp)
            if att.get("name") != name or att.get("size") != len(data):
                raise Failure(step + "/attach", "attach answered %s for %s (%d bytes)" % (att, name, len(data)))
            entry = {"name": name, "id": att["id"], "size": len(data), "signed": name not in unsigned}
            if report is not None:
                report["attachments"].append(entry)
            if name in unsigned:
                log("attach %s: %s, left unsigned" % (name, att["id"]))
                continue
            sig = signer["signatures"][name]
            if name in tamper:
                sig = sig[:-1] + bytes([sig[-1] ^ 0x01])  # the signature value's last byte: DER stays readable
            sign = [{"keyId": signer["serial"], "signer": signer["subject"], "operationType": None, "origSignatire": None,
                     "data": base64.b64encode(sig).decode()}]
            pkg = self.json_call(step + "/signs", "PUT", "%s/%s/attach/%s/signs" % (OUTGOING, pid, att["id"]), sign)
            signed = [a for a in (pkg or {}).get("attachments", []) if a.get("id") == att["id"]]
            if not signed or not signed[0].get("sign"):
                raise Failure(step + "/signs", "the package after signs shows no sign on %s" % name)
            log("attach %s: %s, signed" % (name, att["id"]))
        self.call(step + "/send", "GET", "%s/%s/send" % (OUTGOING, pid), want=(204,))
        log("send %s: 204" % pid)
        return pid


def multipart(field, filename, data):
    boundary = "----smdo-" + uuid.uuid4().hex
    head = ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: application/octet-stream\r\n\r\n'
            % (boundary, field, filename)).encode("utf-8")
    return "multipart/form-data; boundary=" + boundary, head + data + ("\r\n--%s--\r\n" % boundary).encode()


def active_subscriber(subscribers, code):
    for s in subscribers:
        if s.get("smdoCode") == code:
            if s.get("subscriberStatus") != "ACTIVE":
                raise Failure("directories", "subscriber %s is %s, not ACTIVE" % (code, s.get("subscriberStatus")))
            org = s.get("organization") or {}
            return {"id": str(org.get("id")), "code": code, "name": ((org.get("fullName") or {}).get("ru")) or code}
    raise Failure("directories", "no subscriber %s in the directory" % code)


def envelope_of(item):
    return ((item.get("body") or {}).get("envelop")) or {}


class Client:
    def __init__(self, a):
        self.a = a
        self.creds = json.load(open(os.path.join(a.subscriber, "credentials.json"), encoding="utf-8"))
        self.cert, self.key = os.path.join(a.subscriber, "cert.pem"), os.path.join(a.subscriber, "key.pem")
        self.router = Router(self.creds, a.ca, a.timeout, a.password)
        self.report = {"ok": False, "subscriber": self.creds.get("code")}

    def me(self):
        return {"id": self.creds["code"], "name": self.creds.get("name") or self.creds["code"], "system": "smdo_client.py"}

    def send(self):
        a = self.a
        self.router.get_token()
        doc_types, file_types, subscribers = self.router.directories()
        kinds = {d.get("name") for d in doc_types if d.get("status") == "ACTIVE"}
        if a.kind not in kinds:
            raise Failure("directories", "document kind %r is not an active document type (%s)" % (a.kind, sorted(kinds)))
        extensions = {f.get("extension") for f in file_types if f.get("status") == "ACTIVE"}
        to = active_subscriber(subscribers, a.to)
        serial, subject = certificate_facts(self.cert)
        files, transfers, signatures = [], [], {}
        for path in a.file:
            name = os.path.basename(path)
            ext = os.path.splitext(name)[1].lower()
            if ext not in extensions:
                raise Failure("directories", "file type %s of %s is not in the file-type directory" % (ext, name))
            files.append((name, path))
            transfer = {"name": name, "type": ext, "description": "Файл " + name, "data": {"referenceid": name}}
            if name not in a.unsigned:
                signatures[name] = sign_detached(path, self.cert, self.key)
                transfer["signature"] = [{"keyid": serial, "value": base64.b64encode(signatures[name]).decode(), "signer": subject}]
            transfers.append(transfer)
        msg_id, idnumber = str(uuid.uuid4()), str(uuid.uuid4())
        package = {
            "dateSent": now_iso(),
            "to": [{"idAbonent": to["id"], "typeAbonent": "SMDO", "name": to["name"]}],
            "body": {"envelop": {
                "type": "SDIP-2.1.1", "msg_id": msg_id, "dtstamp": now_iso(), "subject": a.title,
                "header": {"sender": self.me(), "receiver": [{"id": to["code"], "name": to["name"]}],
                           "msg_type": 1, "msg_acknow": 2 if a.ask_ack else 0},
                "body": {"document": {
                    "idnumber": idnumber, "kind": a.kind, "type": 0, "pages": len(files), "title": a.title,
                    "regNumber": {"value": a.reg_number, "regdate": now_iso()[:10]}, "docTransfer": transfers}},
            }},
        }
        self.report.update({"msgId": msg_id, "idnumber": idnumber, "to": to})
        signer = {"serial": serial, "subject": subject, "signatures": signatures}
        self.router.create_and_send("send", package, files, signer, set(a.unsigned), set(a.tamper), self.report)
        # The package stays the sender's: the router shows it sent.
        got = self.router.json_call("send/get", "GET", "%s/%s" % (OUTGOING, self.report["packageId"]))
        self.report["state"] = got.get("state")
        if got.get("state") in (None, "draft", "attached", "signed"):
            raise Failure("send/get", "the package is %s after send answered 204" % got.get("state"))

    def receive(self):
        a = self.a
        self.router.get_token()
        documents, deadline = [], time.monotonic() + a.wait
        while True:
            for item in self.router.incoming():
                env = envelope_of(item)
                header = env.get("header") or {}
                if (item.get("from") or {}).get("idAbonent") == ROUTER or header.get("msg_type") != 1:
                    continue
                if item["id"] not in [d["packageId"] for d in documents]:
                    documents.append(self.take(item))
            if len(documents) >= a.expect:
                break
            if time.monotonic() > deadline:
                raise Failure("list", "%d documents within %gs, expected %d" % (len(documents), a.wait, a.expect))
            time.sleep(a.poll)
        self.report["received"] = documents
        left = [i["id"] for i in self.router.incoming() if i["id"] in [d["packageId"] for d in documents]]
        self.report["stillListed"] = left
        if left:
            raise Failure("confirm", "confirmed packages are still offered: %s" % left)

    def take(self, item):
        """Download, verify, confirm, acknowledge one document."""
        env = envelope_of(item)
        pid = item["id"]
        took = {"packageId": pid, "msgId": env.get("msg_id"), "from": (item.get("from") or {}).get("idAbonent"),
                "parentId": item.get("parentId"), "files": [], "acks": []}
        transfers = (((env.get("body") or {}).get("document") or {}).get("docTransfer")) or []
        named = {t.get("data", {}).get("referenceid") for t in transfers}
        for att in item.get("attachments") or []:
            _, _, data = self.router.call("download", "GET", "%s/%s/attach/%s" % (INCOMING, pid, att["id"]))
            if len(data) != att.get("size"):
                raise Failure("download", "%s: %d bytes, the list says %s" % (att.get("name"), len(data), att.get("size")))
            signs = att.get("sign") or []
            verified = bool(signs) and all(verify_detached(data, base64.b64decode(s.get("data") or ""), self.a.ca) for s in signs)
            took["files"].append({"name": att.get("name"), "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                                  "signs": len(signs), "verified": verified, "named": att.get("name") in named})
            log("download %s/%s: %d bytes, signature %s" % (pid, att.get("name"), len(data), "verified" if verified else "NOT verified"))
        self.router.call("confirm", "GET", "%s/confirm/%s" % (INCOMING, item["confirmId"]), want=(204,))
        took["confirmed"] = True
        log("confirm %s: 204" % item["confirmId"])
        if (env.get("header") or {}).get("msg_acknow") == 2:
            sender = ((env.get("header") or {}).get("sender") or {}).get("id")
            for ack_type, code, value in ((1, 0, "Документ доставлен"),
                                          (2, self.a.registration, ("Документ зарегистрирован", "Документ не подлежит регистрации", "Отказано в регистрации")[self.a.registration])):
                ack_pid = self.acknowledge(item, env, sender, ack_type, code, value)
                took["acks"].append({"ackType": ack_type, "errorcode": code, "packageId": ack_pid})
        return took

    def acknowledge(self, item, env, sender_code, ack_type, code, value):
        """A notice (msg_type 0) answering the package: parentId names it, msg_id its msg_id."""
        frm = item.get("from") or {}
        ack = {"msg_id": env.get("msg_id"), "ack_type": ack_type, "ackResult": [{"value": value, "errorcode": code}]}
        if ack_type == 2 and code == 0:
            ack["incNumber"] = {"value": "ВХ-" + item["id"][:8], "regdate": now_iso()[:10]}
        package = {
            "dateSent": now_iso(), "parentId": item["id"],
            "to": [{"idAbonent": frm.get("idAbonent"), "typeAbonent": "SMDO", "name": frm.get("name")}],
            "body": {"envelop": {
                "type": "SDIP-2.1.1", "msg_id": str(uuid.uuid4()), "dtstamp": now_iso(), "subject": "Уведомление",
                "header": {"sender": self.me(), "receiver": [{"id": sender_code, "name": frm.get("name")}], "msg_type": 0, "msg_acknow": 0},
                "body": {"acknowledgement": ack},
            }},
        }
        pid = self.router.create_and_send("ack%d" % ack_type, package)
        log("ack_type %d (errorcode %d) for %s: package %s" % (ack_type, code, item["id"], pid))
        return pid

    def inbox(self):
        a = self.a
        self.router.get_token()
        notices, seen, deadline = [], {}, time.monotonic() + a.wait
        while True:
            for item in self.router.incoming():
                if item["id"] in seen:
                    continue
                env = envelope_of(item)
                ack = ((env.get("body") or {}).get("acknowledgement")) or {}
                results = ack.get("ackResult") or [{}]
                seen[item["id"]] = item["confirmId"]
                notices.append({"packageId": item["id"], "from": (item.get("from") or {}).get("idAbonent"),
                                "parentId": item.get("parentId"), "ack": item.get("ack"), "msgId": ack.get("msg_id"),
                                "ackType": ack.get("ack_type"), "errorcode": results[0].get("errorcode"),
                                "value": results[0].get("value"), "message": (item.get("body") or {}).get("message")})
            about = [n for n in notices if n["msgId"] == a.msg_id]
            receipt = [n for n in about if n["from"] == ROUTER and n["ackType"] == 1]
            registration = [n for n in about if n["from"] != ROUTER and n["ackType"] == 2]
            if receipt and registration:
                break
            if time.monotonic() > deadline:
                self.report["notices"] = notices
                raise Failure("list", "within %gs: receipt %s, registration notice %s for msg_id %s" % (a.wait, bool(receipt), bool(registration), a.msg_id))
            time.sleep(a.poll)
        self.report["notices"] = notices
        self.router.json_call("confirm-batch", "POST", INCOMING + "/confirm/batch", {"ids": list(seen.values())}, want=(204,))
        log("confirmed %d notices in a batch" % len(seen))
        left = [i["id"] for i in self.router.incoming() if i["id"] in seen]
        self.report["stillListed"] = left
        if left:
            raise Failure("confirm-batch", "confirmed notices are still offered: %s" % left)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--subscriber", required=True, help="the subscriber's folder: credentials.json, cert.pem, key.pem")
    common.add_argument("--ca", required=True, help="the CA chain the router's certificate chains to (ca-chain.pem)")
    common.add_argument("--password", help="another password than credentials.json's (a probe: the token must be refused)")
    common.add_argument("--timeout", type=float, default=30, help="seconds per HTTP request")
    common.add_argument("--wait", type=float, default=60, help="seconds to wait for what is expected")
    common.add_argument("--poll", type=float, default=0.5, help="seconds between two lists of the incoming packages")
    s = sub.add_parser("send", parents=[common])
    s.add_argument("--to", required=True, help="the receiver's smdoCode")
    s.add_argument("--file", action="append", required=True, help="a file of the document (repeatable)")
    s.add_argument("--kind", default="Письмо", help="the document kind (a document type's name)")
    s.add_argument("--title", default="О проверке сопряжения")
    s.add_argument("--reg-number", default="01-02/3")
    s.add_argument("--ask-ack", action="store_true", help="ask for delivery and registration notices (msg_acknow 2)")
    s.add_argument("--unsigned", action="append", default=[], help="leave this file unsigned (the send must be refused)")
    s.add_argument("--tamper", action="append", default=[], help="flip a bit of this file's signature (the signature must be refused)")
    r = sub.add_parser("receive", parents=[common])
    r.add_argument("--expect", type=int, default=1, help="how many documents to wait for")
    r.add_argument("--registration", type=int, choices=(0, 1, 2), default=0, help="the registration notice's errorcode")
    i = sub.add_parser("inbox", parents=[common])
    i.add_argument("--msg-id", required=True, help="the msg_id of the document sent, whose notices are awaited")
    a = p.parse_args()

    started = time.monotonic()
    report, client, code = {"ok": False}, None, 0
    try:
        client = Client(a)
        report = client.report
        getattr(client, a.command)()
        report["ok"] = True
    except Failure as e:
        report.update({"step": e.step, "error": str(e)}, **e.fields)
        log("FAIL %s: %s" % (e.step, e))
        code = 1
    except (OSError, ValueError, KeyError, ssl.SSLError) as e:  # network, TLS, JSON, a missing field
        report.update({"step": "transport", "error": "%s: %s" % (type(e).__name__, e)})
        log("FAIL %s: %s" % (type(e).__name__, e))
        code = 1
    report["seconds"] = round(time.monotonic() - started, 3)
    report["calls"] = client.router.calls if client else 0
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return code

if __name__ == "__main__":
    sys.exit(main())
