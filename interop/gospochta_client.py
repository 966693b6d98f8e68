#!/usr/bin/python3
"""An independent Gospochta client of an agency's system, written from the wire contract the README
documents (the published GEPS API v1.0 for reading an organisation's Gospochta, the walkthrough's
legally significant sending under /gospochta/api/v1); Python 3's standard library, the openssl
command and, for AES-256-GCM, the `cryptography` module (Debian python3-cryptography), sharing no
code with shepconf.

It is configured as a system is when it connects: a folder with system.json (mnemonic, url),
cert.pem and key.pem (its TLS client certificate, the key of its JWT assertions and its documents'
signer), api-key.csv (the API key for reading) and hmac.key (its packet key, base64), and the CA
chain the contour chains to (ca-chain.pem).

Commands, each printing one JSON line on stdout (ok true, or where and why it failed with the HTTP
status and the error body's code); progress goes to stderr; exit status 0 only on success:

  read   a token for the API key (ESIA Б.12: GET /esia-rs/api/public/v1/orgs/ext-app/{key}/tkn with
         the key's detached CMS signature); one search over the last day (POST …/search); the task
         fetched every --poll seconds until COMPLETED (GET …/search/{uuid}); every page of --limit;
         every card opened (GET …/message/{thread}/{message}: marks it read); each attachment: READY
         ones downloaded with their signature (…/file, …/sig) and the signature checked with
         openssl cms -verify against the CA chain, DELETED ones asked for to see 410.
         Probe: --days N searches N days at once (more than one is refused 422).
  send   a token by a JWT assertion (RFC 7523: RS256 or ES256 by openssl dgst -sha256 -sign, x5c the
         certificate) for --role, then a refresh (grant_type refresh_token, the spent one refused);
         over TLS 1.3 with the client certificate, every request with a fresh X-Request-Id and
         X-Packet-HMAC (HMAC-SHA-256 over METHOD, PATH?QUERY, the request id and the body, each
         followed by a newline): the recipient's key (GET …/recipients/{id}); the document signed
         (detached CMS, openssl cms -sign), fullName and snils sealed with AES-256-GCM (a fresh
         12-byte nonce each, associated data "recipientId/field"); POST …/messages (201); the
         delivered and read notifications taken at a notifyUrl it serves itself (their HMAC
         checked, answered 204); the receipt (GET …/messages/{id}/receipt) and its signature
         checked with openssl; the registry entry of the document's hash.
         Probes: --bad-hmac (the HMAC over another body), --role client (a role that may not send),
         --no-client-cert (no TLS client certificate).
"""

import argparse
import base64
import csv
import datetime
import hashlib
import hmac
import http.server
import io
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

READ_BASE = "/api/gusmev/proxy/geps-api-ext/api/messages/v1"
SEND_BASE = "/gospochta/api/v1"
TOKEN = "/aas/oauth2/v3/te"
API_KEY_TOKEN = "/esia-rs/api/public/v1/orgs/ext-app/%s/tkn"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MOSCOW = datetime.timezone(datetime.timedelta(hours=3))
SIGNATURE_TYPE = "application/pkcs7-signature"


class Failure(Exception):
    """A step that did not go as the contract says; fields go to the JSON line."""

    def __init__(self, step, message, **fields):
        super().__init__(message)
        self.step, self.fields = step, fields


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def api_error(step, status, body, **fields):
    """A refusal: the error body {"code","message"} of both APIs, or ESIA's OAuth error."""
    doc = {}
    try:
        doc = json.loads(body)
    except ValueError:
        pass
    if not isinstance(doc, dict):
        doc = {}
    code = doc.get("code") or doc.get("error")
    message = doc.get("message") or doc.get("error_description") or body.decode("utf-8", "replace").strip()
    return Failure(step, "HTTP %d %s: %s" % (status, code or "(no code)", message), status=status, code=code, **fields)


def openssl(step, *args, stdin=None):
    r = subprocess.run(["openssl", *args], capture_output=True, input=stdin)
    if r.returncode != 0:
        raise Failure(step, "openssl %s: %s" % (args[0], (r.stderr or r.stdout).decode().strip()))
    return r.stdout


def sign_detached(data, cert, key):
    """DER of a detached CMS SignedData over data (openssl cms detaches unless -nodetach)."""
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "data"), os.path.join(d, "sig.der")
        with open(src, "wb") as f:
            f.write(data)
        openssl("sign", "cms", "-sign", "-binary", "-outform", "DER", "-signer", cert, "-inkey", key, "-in", src, "-out", out)
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


def b64url(b):
    return base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")


def der_ecdsa_to_raw(der, size=32):
    """JWS ES256 wants r||s, 32 bytes each; openssl dgst writes the DER SEQUENCE of two INTEGERs."""
    def read_len(b, i):
        n = b[i]
        if n < 0x80:
            return n, i + 1
        k = n & 0x7F
        return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k
    if der[0] != 0x30:
        raise Failure("assertion", "the ECDSA signature is not a DER SEQUENCE")
    _, i = read_len(der, 1)
    out = b""
    for _ in range(2):
        if der[i] != 0x02:
            raise Failure("assertion", "the ECDSA signature does not hold two INTEGERs")
        n, i = read_len(der, i + 1)
        out += int.from_bytes(der[i:i + n], "big").to_bytes(size, "big")
        i += n
    return out


def read_api_key(path):
    """The API key: the api_key column of the CSV ESIA gave, or a bare UUID."""
    text = open(path, encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and rows[0].get("api_key"):
        return rows[0]["api_key"].strip()
    bare = text.strip()
    uuid.UUID(bare)
    return bare


def packet_mac(key, method, path_query, request_id, body):
    """X-Packet-HMAC: base64 HMAC-SHA-256 over METHOD\\nPATH?QUERY\\nX-Request-Id\\nBODY."""
    m = hmac.new(key, ("%s\n%s\n%s\n" % (method.upper(), path_query, request_id)).encode("utf-8"), hashlib.sha256)
    m.update(body or b"")
    return base64.b64encode(m.digest()).decode("ascii")


def msk(t):
    return t.astimezone(MOSCOW).replace(microsecond=0).isoformat()


class Notifications:
    """The notifyUrl: a plain HTTP server on a free port taking Gospochta's state pushes, checking
    each one's HMAC with the system's key, answering 204 (a bad HMAC 401)."""

    def __init__(self, hmac_key):
        self.got, self.lock, self.key = [], threading.Lock(), hmac_key
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                rid = self.headers.get("X-Request-Id", "")
                want = packet_mac(outer.key, "POST", self.path, rid, body)
                ok = hmac.compare_digest(want, self.headers.get("X-Packet-HMAC", ""))
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {}
                with outer.lock:
                    outer.got.append({"state": doc.get("state"), "messageId": doc.get("messageId"), "hmacValid": ok, "requestId": rid})
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/notify" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def states(self, message_id):
        with self.lock:
            return [n for n in self.got if n["messageId"] == message_id]

    def close(self):
        self.server.shutdown()


class Client:
    def __init__(self, args):
        self.a = args
        info = json.load(open(os.path.join(args.system, "system.json"), encoding="utf-8"))
        self.mnemonic, self.base = info["mnemonic"], info["url"].rstrip("/")
        self.cert, self.key = os.path.join(args.system, "cert.pem"), os.path.join(args.system, "key.pem")
        self.hmac_key = base64.b64decode(open(os.path.join(args.system, "hmac.key")).read().strip())
        # No system roots: only the chain given. GP-W-MTLS: TLS 1.3 and the client certificate.
        self.ctx = ssl.create_default_context(cafile=args.ca)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        if not getattr(args, "no_client_cert", False):
            self.ctx.load_cert_chain(self.cert, self.key)
        self.request_ids = []
        self.report = {"ok": False, "system": self.mnemonic}

    def raw(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=self.a.timeout) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    # --- reading (published GEPS API v1.0) ---

    def api_key_token(self):
        api_key = read_api_key(os.path.join(self.a.system, "api-key.csv"))
        sig = sign_detached(api_key.encode("utf-8"), self.cert, self.key)
        path = API_KEY_TOKEN % urllib.parse.quote(api_key, safe="") + "?" + urllib.parse.urlencode({"signature": b64url(sig)})
        status, _, body = self.raw("GET", path)
        if status != 200:
            raise api_error("token", status, body)
        tok = json.loads(body).get("accessTkn")
        if not tok:
            raise Failure("token", "ESIA answered 200 without accessTkn: %s" % body[:300])
        log("token for the API key: %d characters" % len(tok))
        return tok

    def read_call(self, step, method, path, token, doc=None, want=(200,)):
        body = None if doc is None else json.dumps(doc).encode("utf-8")
        headers = {"Authorization": "Bearer " + token}
        if body is not None:
            headers["Content-Type"] = "application/json"
        status, headers_in, resp = self.raw(method, path, body, headers)
        if status not in want:
            raise api_error(step, status, resp, path=path)
        return status, headers_in, resp

    def read(self):
        token = self.api_key_token()
        end = datetime.datetime.now(MOSCOW)
        # GP-R-RANGE: a day at most (a minute less, so the clocks' skew cannot push it over).
        start = end - datetime.timedelta(days=self.a.days) + datetime.timedelta(minutes=1)
        req = {"startDateTime": msk(start), "endDateTime": msk(end), "statusFilter": "ANY"}
        self.report["search"] = req
        _, _, resp = self.read_call("search", "POST", READ_BASE + "/search", token, req, want=(200, 201))
        task = json.loads(resp).get("searchTaskUuid")
        uuid.UUID(task)
        self.report["task"] = task
        log("search task %s for %s … %s" % (task, req["startDateTime"], req["endDateTime"]))
        messages, states, fetches, offset, total = [], [], 0, 0, None
        deadline = time.monotonic() + self.a.wait
        while total is None or offset < total:
            path = "%s/search/%s?%s" % (READ_BASE, task, urllib.parse.urlencode({"offset": offset, "limit": self.a.limit}))
            _, _, resp = self.read_call("search/result", "GET", path, token)
            fetches += 1
            doc = json.loads(resp)
            state = doc.get("searchTaskStatus")
            if not states or states[-1] != state:
                states.append(state)
            if state == "ERROR":
                raise Failure("search/result", "the search task ended ERROR", states=states)
            if state != "COMPLETED":
                if time.monotonic() > deadline:
                    raise Failure("search/result", "not COMPLETED within %gs (%s)" % (self.a.wait, states))
                time.sleep(self.a.poll)  # GP-R-QUOTA: 15 fetches a day
                continue
            total = doc.get("total")
            page = doc.get("messageList") or []
            if len(page) > self.a.limit:
                raise Failure("search/result", "a page of %d messages for limit %d" % (len(page), self.a.limit))
            messages += page
            offset += self.a.limit
        self.report.update({"states": states, "fetches": fetches, "total": total, "pages": max(1, -(-total // self.a.limit)) if total else 1})
        if len(messages) != total:
            raise Failure("search/result", "paged %d messages, total says %d" % (len(messages), total))
        log("search: %s, %d messages in %d fetches" % (" → ".join(states), total, fetches))
        read = self.report["read"] = []
        for m in messages:
            read.append(self.open_card(token, m))

    def open_card(self, token, m):
        thread, message = m["threadUuid"], m["messageUuid"]
        _, _, resp = self.read_call("card", "GET", "%s/message/%s/%s" % (READ_BASE, thread, message), token)
        card = json.loads(resp)
        out = {"threadUuid": thread, "messageUuid": message, "isRead": card.get("isRead"),
               "readStatus": any(s.get("mnemonic") == "READ" for s in card.get("statusList") or []), "files": []}
        for a in card.get("attachmentList") or []:
            f = {"attachmentUuid": a.get("attachmentUuid"), "fileName": a.get("fileName"), "status": a.get("statusMnemonic"),
                 "signed": a.get("signed")}
            base = "%s/attachment/%s/%s" % (READ_BASE, message, a.get("attachmentUuid"))
            if a.get("statusMnemonic") == "READY":
                _, _, data = self.read_call("attachment/file", "GET", base + "/file", token)
                f["size"], f["sizeMatches"] = len(data), len(data) == a.get("fileSize")
                f["sha256"] = hashlib.sha256(data).hexdigest()
                if a.get("signed"):
                    _, h, sig = self.read_call("attachment/sig", "GET", base + "/sig", token)
                    f["sigType"] = (h.get("Content-Type") or "").split(";")[0].strip()
                    f["verified"] = verify_detached(data, sig, self.a.ca)
                else:
                    status, _, _ = self.raw("GET", base + "/sig", None, {"Authorization": "Bearer " + token})
                    f["sigStatus"] = status  # GP-R-CARD: an unsigned file has no signature (404)
            else:
                # GP-R-CARD: DELETED is gone (410), DOWNLOADING not ready (409).
                status, _, _ = self.raw("GET", base + "/file", None, {"Authorization": "Bearer " + token})
                f["fileStatus"] = status
            out["files"].append(f)
        log("card %s: %d attachments, isRead %s" % (message, len(out["files"]), out["isRead"]))
        return out

    # --- sending (the walkthrough's, /gospochta/api/v1) ---

    def assertion(self):
        """A JWT assertion (RFC 7523) signed with the system's key: RS256 or ES256 by its key type."""
        text = openssl("assertion", "pkey", "-in", self.key, "-noout", "-text_pub").decode()
        if "prime256v1" in text or "P-256" in text:
            alg = "ES256"
        elif "Modulus" in text:
            alg = "RS256"
        else:
            raise Failure("assertion", "key.pem is neither RSA nor ECDSA P-256: no JWS algorithm for it")
        x5c = base64.b64encode(openssl("assertion", "x509", "-in", self.cert, "-outform", "DER")).decode()
        now = int(time.time())
        claims = {"iss": self.mnemonic, "sub": self.mnemonic, "aud": self.base + TOKEN, "iat": now, "exp": now + 300,
                  "jti": str(uuid.uuid4())}
        signing_input = b64url(json.dumps({"alg": alg, "typ": "JWT", "x5c": [x5c]}).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = openssl("assertion", "dgst", "-sha256", "-sign", self.key, stdin=signing_input.encode())
        if alg == "ES256":
            sig = der_ecdsa_to_raw(sig)
        self.report["assertion"] = {"alg": alg, "jti": claims["jti"]}
        return signing_input + "." + b64url(sig)

    def token_call(self, step, form):
        body = urllib.parse.urlencode(form).encode()
        status, _, resp = self.raw("POST", TOKEN, body, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 200:
            raise api_error(step, status, resp)
        doc = json.loads(resp)
        if not doc.get("access_token") or str(doc.get("token_type", "")).lower() != "bearer":
            raise Failure(step, "no bearer access_token in %s" % resp[:300])
        return doc

    def send_token(self):
        doc = self.token_call("token", {"grant_type": JWT_BEARER, "assertion": self.assertion(), "client_id": self.mnemonic,
                                        "role": self.a.role})
        log("token by JWT assertion for role %s: expires in %ss" % (self.a.role, doc.get("expires_in")))
        # GP-W-REFRESH: the refresh token gives a new pair; the spent one is refused.
        spent = doc.get("refresh_token")
        if not spent:
            raise Failure("token", "no refresh_token with the access token")
        fresh = self.token_call("refresh", {"grant_type": "refresh_token", "refresh_token": spent, "client_id": self.mnemonic})
        status, _, resp = self.raw("POST", TOKEN, urllib.parse.urlencode(
            {"grant_type": "refresh_token", "refresh_token": spent, "client_id": self.mnemonic}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        err = {}
        try:
            err = json.loads(resp)
        except ValueError:
            pass
        self.report["refresh"] = {"rotated": fresh.get("refresh_token") not in (None, spent),
                                  "spentRefused": status, "spentError": err.get("error") if isinstance(err, dict) else None}
        log("refreshed; the spent refresh token answered HTTP %d" % status)
        return fresh["access_token"]

    def send_call(self, step, method, path, token, doc=None, want=(200,), mac_body=None):
        body = None if doc is None else json.dumps(doc, ensure_ascii=False).encode("utf-8")
        rid = str(uuid.uuid4())
        self.request_ids.append(rid)
        headers = {"Authorization": "Bearer " + token, "X-Request-Id": rid,
                   "X-Packet-HMAC": packet_mac(self.hmac_key, method, path, rid, body if mac_body is None else mac_body)}
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        status, headers_in, resp = self.raw(method, path, body, headers)
        if status not in want:
            raise api_error(step, status, resp, path=path)
        return status, json.loads(resp) if resp else None

    def seal(self, key, recipient, field, text):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # python3-cryptography
        nonce = os.urandom(12)
        ct = AESGCM(key).encrypt(nonce, text.encode("utf-8"), ("%s/%s" % (recipient, field)).encode("utf-8"))
        return {"nonce": base64.b64encode(nonce).decode(), "ciphertext": base64.b64encode(ct).decode()}

    def send(self):
        token = self.send_token()
        rid = self.a.recipient
        _, r = self.send_call("recipient", "GET", "%s/recipients/%s" % (SEND_BASE, urllib.parse.quote(rid)), token)
        key = base64.b64decode(r["key"])
        if len(key) != 32:
            raise Failure("recipient", "the recipient's key is %d bytes, not 32 (AES-256)" % len(key))
        log("recipient %s «%s»: key %s" % (r["id"], r.get("name"), r["keyId"]))
        document = ("Судебное извещение о вызове в судебное заседание (проверка сопряжения, %s)\n" % uuid.uuid4()).encode("utf-8")
        sig = sign_detached(document, self.cert, self.key)
        notes = Notifications(self.hmac_key)
        try:
            msg = {"kind": "court-notice", "recipientId": rid, "subject": "Судебное извещение",
                   "document": {"fileName": "izveshchenie.txt", "mimeType": "text/plain",
                                "content": base64.b64encode(document).decode(), "signature": base64.b64encode(sig).decode()},
                   "personalData": {"keyId": r["keyId"], "fields": {
                       "fullName": self.seal(key, rid, "fullName", r.get("name") or "Иванов Иван Иванович"),
                       "snils": self.seal(key, rid, "snils", "112-233-445 95")}},
                   "notifyUrl": notes.url}
            mac_body = b"{}" if self.a.bad_hmac else None  # GP-W-HMAC probe: the HMAC of another body
            _, acc = self.send_call("messages", "POST", SEND_BASE + "/messages", token, msg, want=(201,), mac_body=mac_body)
            mid = acc["messageId"]
            self.report.update({"messageId": mid, "accepted": acc})
            if acc.get("documentHash") != hashlib.sha256(document).hexdigest():
                raise Failure("messages", "documentHash %s is not the SHA-256 of the document" % acc.get("documentHash"))
            log("accepted %s: %s" % (mid, acc.get("state")))
            deadline = time.monotonic() + self.a.wait
            while {"delivered", "read"} - {n["state"] for n in notes.states(mid)}:
                if time.monotonic() > deadline:
                    raise Failure("notifications", "delivered and read not both pushed within %gs: %s" % (self.a.wait, notes.states(mid)))
                time.sleep(0.05)
            self.report["notifications"] = notes.states(mid)
        finally:
            notes.close()
        _, state = self.send_call("message", "GET", "%s/messages/%s" % (SEND_BASE, mid), token)
        self.report["messageStates"] = [s.get("state") for s in state.get("states") or []]
        _, signed = self.send_call("receipt", "GET", "%s/messages/%s/receipt" % (SEND_BASE, mid), token)
        receipt_bytes = base64.b64decode(signed["receipt"])
        receipt = json.loads(receipt_bytes)
        self.report["receipt"] = {"verified": verify_detached(receipt_bytes, base64.b64decode(signed["signature"]), self.a.ca),
                                  "messageId": receipt.get("messageId"), "documentHash": receipt.get("documentHash"),
                                  "sender": receipt.get("sender"), "deliveredAt": receipt.get("deliveredAt")}
        _, entry = self.send_call("registry", "GET", "%s/registry/%s" % (SEND_BASE, acc["documentHash"]), token)
        self.report["registry"] = {"messageId": entry.get("messageId"), "sender": entry.get("sender"), "signer": entry.get("signer")}
        log("receipt verified %s; registry names %s" % (self.report["receipt"]["verified"], entry.get("messageId")))

    def run(self):
        if self.a.command == "read":
            self.read()
        else:
            self.send()
        self.report["ok"] = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=["read", "send"])
    p.add_argument("--system", required=True, help="the system's folder: system.json, cert.pem, key.pem, api-key.csv, hmac.key")
    p.add_argument("--ca", required=True, help="the CA chain the contour chains to (ca-chain.pem)")
    p.add_argument("--timeout", type=float, default=30, help="seconds per HTTP request")
    p.add_argument("--wait", type=float, default=60, help="seconds to wait for a search task or the notifications")
    p.add_argument("--poll", type=float, default=60, help="seconds between fetches of a search task (15 fetches a day)")
    p.add_argument("--limit", type=int, default=1000, help="page size of the search result (1..1000)")
    p.add_argument("--days", type=int, default=1, help="read: days one search covers (more than 1 must be refused)")
    p.add_argument("--recipient", default="R-0001", help="send: the recipient's id")
    p.add_argument("--role", default="operator", help="send: the role the token asks for (client may not send)")
    p.add_argument("--bad-hmac", action="store_true", help="send: the message's HMAC over another body: refused 401")
    p.add_argument("--no-client-cert", action="store_true", help="send: no TLS client certificate: refused 401")
    args = p.parse_args()

    c = Client(args)
    started = time.monotonic()
    code = 0
    try:
        c.run()
    except Failure as e:
        c.report.update({"step": e.step, "error": str(e)}, **e.fields)
        log("FAIL %s: %s" % (e.step, e))
        code = 1
    except (OSError, ValueError, KeyError, ssl.SSLError) as e:  # network, TLS, JSON, a missing field
        c.report.update({"step": "transport", "error": "%s: %s" % (type(e).__name__, e)})
        log("FAIL %s: %s" % (type(e).__name__, e))
        code = 1
    c.report["requestIds"] = c.request_ids
    c.report["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(c.report, ensure_ascii=False), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
