#!/usr/bin/python3
"""An independent EPGU agency client, written from the specification of the EPGU API v1.12.1 (with the
v1.13 download path) and from what real clients send to ESIA's API-key token service Б.12; Python 3
standard library and the openssl command only, sharing no code with shepconf.

What it does, as an agency's system would:
  1. reads the API key from the api_key column of the CSV the technological portal gave
     (<state>/systems/<MNEMONIC>/api-key.csv), signs the key's text with the system's key as a detached
     CMS signature (openssl cms -sign -binary -outform DER, detached by default) and asks ESIA for a
     token: GET {esia}/esia-rs/api/public/v1/orgs/ext-app/{apiKey}/tkn?signature={base64url} → accessTkn;
  2. creates the order: POST {api}/api/gusmev/order with {"region","serviceCode","targetCode"} (§2.1.2);
  3. packs a flat zip: the transport XML with the order number written in, the business XML and a
     random attachment large enough for two chunks;
  4. pushes it: POST {api}/api/gusmev/push/chunked, multipart/form-data with meta (application/json),
     orderId, chunk, chunks, file; chunks 0..n-1, every non-last one 5 000 000 bytes; 206 for every
     non-last chunk, 200 for the last (§2.1.3, Table 10);
  5. polls POST {api}/api/gusmev/order/{orderId} (§2.4; order is a string holding JSON, Table 27/28)
     until a status brings a result file in orderResponseFiles;
  6. downloads it by the link terrabyte://00/{orderId}/{mnemonic}/{objectType} and
     currentStatusHistoryId (§4, Table 33) at the v1.13 path /api/gusmev/files/download/... and at the
     v1.12 path /api/storage/v2/files/.../download, and checks both give the same bytes.

The servers are trusted through the CA chain file only (<state>/ca-chain.pem). It prints one JSON line
on stdout: what it did (ok true), or where and why it failed (ok false, with the HTTP status and the
ESIA or EPGU error code); progress goes to stderr. Exit status 0 only on success.

Probes that must fail: --tamper-signature (one bit of the signature flipped), --foreign-key (signed by
a key and certificate of its own, not the registered ones), --last-chunk-first (the last chunk sent
before the first).
"""

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile

CHUNK_SIZE = 5_000_000  # §2.1.3: every non-last chunk at least 5 000 000 bytes (and at most 50 000 000)
FINAL_OK = "DONE"  # Appendix 1: the one final processing status that is not an error
NOT_FINAL = {"NEW", "VALIDATION", "RETRY", "FILES_VERIFICATION", "FILES_VERIFICATION_SUCCESS"}
LINK = re.compile(r"^terrabyte://00/(\d+)/([^/]+)/(\d+)$")
ESIA_CODE = re.compile(r"ESIA-\d{6}")


class Failure(Exception):
    """A step that did not go as the specification says; fields go to the JSON line."""

    def __init__(self, step, message, **fields):
        super().__init__(message)
        self.step, self.fields = step, fields


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class HTTP:
    """HTTPS with urllib, trusting only the CA chain the contour exported."""

    def __init__(self, cafile, timeout):
        self.ctx = ssl.create_default_context(cafile=cafile)  # no system roots: only the chain given
        self.timeout = timeout

    def call(self, method, url, body=None, headers=None):
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=self.timeout) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


def api_error(step, status, body, **fields):
    """A refusal of the EPGU API: Appendix 4's {"code","message"} when the body is one."""
    code, message = None, body.decode("utf-8", "replace").strip()
    try:
        doc = json.loads(body)
        if isinstance(doc, dict):
            code, message = doc.get("code"), doc.get("message", message)
    except ValueError:
        pass
    return Failure(step, "HTTP %d %s: %s" % (status, code or "(no code)", message), status=status, code=code, **fields)


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True)
    if r.returncode != 0:
        raise Failure("sign", "openssl %s: %s" % (args[0], (r.stderr or r.stdout).decode().strip()))
    return r.stdout


def read_api_key(path):
    """The API key: the api_key column of the portal's CSV (the simulator's columns; a bare UUID too)."""
    text = open(path, encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and rows[0].get("api_key"):
        return rows[0]["api_key"].strip()
    bare = text.strip()
    try:
        uuid.UUID(bare)
    except ValueError:
        raise Failure("api-key", "%s has no api_key column and is not a bare UUID" % path)
    return bare


def sign_detached(data, cert, key):
    """DER of a detached CMS SignedData over data (openssl cms detaches unless -nodetach)."""
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "data"), os.path.join(d, "sig.der")
        with open(src, "wb") as f:
            f.write(data)
        openssl("cms", "-sign", "-binary", "-outform", "DER", "-signer", cert, "-inkey", key, "-in", src, "-out", out)
        return open(out, "rb").read()


def foreign_identity(d):
    """A key and a self-signed certificate ESIA has never seen."""
    cert, key = os.path.join(d, "foreign.pem"), os.path.join(d, "foreign.key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=not the registered system", "-keyout", key, "-out", cert)
    return cert, key


def b64url(b):
    """base64url without padding, as the API key's signature is sent (yellow444/epgu auth/org.py)."""
    return base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")


class Client:
    def __init__(self, args):
        self.a = args
        self.http = HTTP(os.path.join(args.state, "ca-chain.pem"), args.timeout)
        self.system_dir = os.path.join(args.state, "systems", args.system)
        self.token = None
        self.report = {"ok": False, "system": args.system}

    # ESIA Б.12: the access token for the API key.
    def get_token(self):
        api_key = read_api_key(os.path.join(self.system_dir, "api-key.csv"))
        cert, key = os.path.join(self.system_dir, "cert.pem"), os.path.join(self.system_dir, "key.pem")
        with tempfile.TemporaryDirectory() as d:
            if self.a.foreign_key:
                cert, key = foreign_identity(d)
            sig = sign_detached(api_key.encode("utf-8"), cert, key)
        if self.a.tamper_signature:
            # The last byte of openssl's SignedData is the signature value's: the DER stays readable,
            # the signature no longer verifies.
            sig = sig[:-1] + bytes([sig[-1] ^ 0x01])
        url = "%s/esia-rs/api/public/v1/orgs/ext-app/%s/tkn?%s" % (
            self.a.esia.rstrip("/"), urllib.parse.quote(api_key, safe=""), urllib.parse.urlencode({"signature": b64url(sig)}))
        status, _, body = self.http.call("GET", url)
        if status != 200:
            text = body.decode("utf-8", "replace")
            err = {}
            try:
                err = json.loads(body)
            except ValueError:
                pass
            m = ESIA_CODE.search(err.get("error_description", "") if isinstance(err, dict) else text) or ESIA_CODE.search(text)
            code = m.group(0) if m else None
            raise Failure("token", "ESIA refused the token for the API key: HTTP %d %s: %s" % (status, code or "(no ESIA code)", text.strip()),
                          status=status, esiaCode=code, oauthError=err.get("error") if isinstance(err, dict) else None)
        doc = json.loads(body)
        tok = doc.get("accessTkn")
        if not tok:
            raise Failure("token", "ESIA answered 200 without accessTkn: %s" % body[:300])
        self.token = tok
        self.report["token"] = {"length": len(tok), "jwt": tok.count(".") == 2}
        log("token: accessTkn of %d characters" % len(tok))

    def auth(self, extra=None):
        h = {"Authorization": "Bearer " + self.token}
        h.update(extra or {})
        return h

    def api(self, path):
        return self.a.api.rstrip("/") + path

    def meta(self):
        return {"region": self.a.region, "serviceCode": self.a.service_code, "targetCode": self.a.target_code}

    # §2.1.2: the order number first.
    def create_order(self):
        body = json.dumps(self.meta()).encode()
        status, _, resp = self.http.call("POST", self.api("/api/gusmev/order"), body,
                                         self.auth({"Content-Type": "application/json; charset=utf-8"}))
        if status != 200:
            raise api_error("order", status, resp)
        order_id = json.loads(resp).get("orderId")
        if not isinstance(order_id, int) or order_id <= 0:
            raise Failure("order", "no numeric orderId in %s" % resp[:300])
        self.report["orderId"] = order_id
        log("order: %d" % order_id)
        return order_id

    # §2.1.1/§2.1.3: a flat zip, the order number written into the transport XML.
    def build_archive(self, order_id):
        transport = open(self.a.transport, "rb").read()
        written = re.sub(rb"(<(?:[\w.-]+:)?OrderId>)[^<]*(</(?:[\w.-]+:)?OrderId>)",
                         lambda m: m.group(1) + str(order_id).encode() + m.group(2), transport, count=1)
        business = open(self.a.business, "rb").read()
        attachment = os.urandom(self.a.attachment_bytes)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(os.path.basename(self.a.transport), written, zipfile.ZIP_DEFLATED)
            z.writestr(os.path.basename(self.a.business), business, zipfile.ZIP_DEFLATED)
            z.writestr("attachment.bin", attachment, zipfile.ZIP_STORED)  # random bytes do not compress
        data = buf.getvalue()
        names = [os.path.basename(self.a.transport), os.path.basename(self.a.business), "attachment.bin"]
        self.report["archive"] = {"bytes": len(data), "files": names, "orderIdWritten": written != transport}
        return data

    @staticmethod
    def multipart(parts):
        """multipart/form-data by hand: (name, value, content type or None, file name or None)."""
        boundary = "----epgu-" + uuid.uuid4().hex
        out = io.BytesIO()
        for name, value, ctype, filename in parts:
            out.write(b"--" + boundary.encode() + b"\r\n")
            disp = 'form-data; name="%s"' % name
            if filename:
                disp += '; filename="%s"' % filename
            out.write(("Content-Disposition: %s\r\n" % disp).encode())
            if ctype:
                out.write(("Content-Type: %s\r\n" % ctype).encode())
            out.write(b"\r\n")
            out.write(value if isinstance(value, bytes) else str(value).encode())
            out.write(b"\r\n")
        out.write(b"--" + boundary.encode() + b"--\r\n")
        return "multipart/form-data; boundary=" + boundary, out.getvalue()

    # §2.1.3, Table 10: chunk i of n, 206 until the last, 200 for the last.
    def push_chunked(self, order_id, archive):
        pieces = [archive[i:i + CHUNK_SIZE] for i in range(0, len(archive), CHUNK_SIZE)]
        n = len(pieces)
        order = list(range(n))
        if self.a.last_chunk_first:
            order = [n - 1] + order[:-1]
        sent = self.report["chunks"] = []
        for i in order:
            ctype, body = self.multipart([
                ("meta", json.dumps(self.meta()), "application/json", None),
                ("orderId", order_id, None, None),
                ("chunk", i, None, None),
                ("chunks", n, None, None),
                ("file", pieces[i], "application/octet-stream", "%d.zip" % order_id),
            ])
            status, _, resp = self.http.call("POST", self.api("/api/gusmev/push/chunked"), body, self.auth({"Content-Type": ctype}))
            sent.append({"chunk": i, "chunks": n, "bytes": len(pieces[i]), "status": status})
            want = 200 if i == n - 1 else 206
            if status != want:
                raise api_error("push/chunked", status, resp, chunk=i, expected=want)
            got = json.loads(resp).get("orderId")
            if got != order_id:
                raise Failure("push/chunked", "chunk %d answered orderId %r, not %d" % (i, got, order_id), chunk=i)
            log("chunk %d of %d (%d bytes): %d" % (i, n, len(pieces[i]), status))

    # §2.4: details until a status brings the result file.
    def wait_for_result(self, order_id):
        processing, statuses = [], []
        self.report["processing"], self.report["statuses"] = processing, statuses
        deadline = time.monotonic() + self.a.wait
        while True:
            status, _, resp = self.http.call("POST", self.api("/api/gusmev/order/%d" % order_id), b"", self.auth())
            if status != 200:
                raise api_error("details", status, resp)
            doc = json.loads(resp)
            code = doc.get("code")
            if not processing or processing[-1] != code:
                processing.append(code)
            raw = doc.get("order")
            if raw is not None and not isinstance(raw, str):
                raise Failure("details", "order is a JSON %s, not the string holding escaped JSON of Table 27" % type(raw).__name__)
            if code not in NOT_FINAL and code != FINAL_OK:
                raise Failure("details", "processing ended %s: %s" % (code, doc.get("message")), processing=code)
            order = json.loads(raw) if raw else None
            if order:
                for s in order.get("statuses") or []:
                    if s.get("statusId") not in statuses:
                        statuses.append(s.get("statusId"))
                cur = order.get("currentStatusHistory") or {}
                files = order.get("orderResponseFiles") or []
                if files:
                    return order, files[0]
                if cur.get("finalStatus"):
                    raise Failure("details", "final status %s «%s» without a result file" % (cur.get("statusId"), cur.get("title")))
            if time.monotonic() > deadline:
                raise Failure("details", "no result file within %gs (processing %s, statuses %s)" % (self.a.wait, processing, statuses))
            time.sleep(self.a.poll)

    # §4, Table 33 (v1.12) and the v1.13 path: objectId is currentStatusHistoryId, mnemonic and
    # objectType come from the link.
    def download(self, order_id, order, f):
        link = f.get("link", "")
        m = LINK.match(link)
        if not m:
            raise Failure("download", "link %r is not terrabyte://00/{orderId}/{mnemonic}/{objectType}" % link)
        if int(m.group(1)) != order_id:
            raise Failure("download", "link %r names order %s, not %d" % (link, m.group(1), order_id))
        mnemonic, object_type = urllib.parse.unquote(m.group(2)), m.group(3)
        object_id = order.get("currentStatusHistoryId")
        if not isinstance(object_id, int):
            raise Failure("download", "currentStatusHistoryId %r is not a number" % object_id)
        service = order.get("eserviceId") or self.a.service_code
        paths = {
            "1.13": "/api/gusmev/files/download/%d/%s?%s" % (object_id, object_type, urllib.parse.urlencode({"mnemonic": mnemonic, "eserviceCode": service})),
            "1.12": "/api/storage/v2/files/%d/%s/download?%s" % (object_id, object_type, urllib.parse.urlencode({"mnemonic": mnemonic})),
        }
        bodies = {}
        for version, path in paths.items():
            status, headers, body = self.http.call("GET", self.api(path), None, self.auth())
            if status != 200:
                raise api_error("download " + version, status, body, path=path)
            bodies[version] = body
            log("download %s: %d bytes (%s)" % (version, len(body), headers.get("Content-Type")))
        if bodies["1.13"] != bodies["1.12"]:
            raise Failure("download", "the v1.13 and v1.12 paths gave different bytes (%d and %d)" % (len(bodies["1.13"]), len(bodies["1.12"])))
        body = bodies["1.13"]
        if f.get("fileSize") is not None and f["fileSize"] != len(body):
            raise Failure("download", "fileSize %s in orderResponseFiles, %d bytes downloaded" % (f["fileSize"], len(body)))
        result = {"fileName": f.get("fileName"), "link": link, "objectId": object_id, "objectType": int(object_type),
                  "mnemonic": mnemonic, "size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                  "mimeType": f.get("mimeType"), "paths": paths}
        if zipfile.is_zipfile(io.BytesIO(body)):
            result["entries"] = zipfile.ZipFile(io.BytesIO(body)).namelist()
        self.report["result"] = result

    def run(self):
        self.get_token()
        order_id = self.create_order()
        self.push_chunked(order_id, self.build_archive(order_id))
        order, f = self.wait_for_result(order_id)
        self.download(order_id, order, f)
        self.report["ok"] = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--esia", required=True, help="ESIA's base URL, e.g. https://127.0.0.1:9443")
    p.add_argument("--api", required=True, help="the EPGU API's base URL, e.g. https://127.0.0.1:9444")
    p.add_argument("--state", required=True, help="serve's state folder: ca-chain.pem, systems/<MNEMONIC>/{cert.pem,key.pem,api-key.csv}")
    p.add_argument("--system", default="AGENCY_IS", help="the system's mnemonic")
    p.add_argument("--service-code", required=True)
    p.add_argument("--target-code", required=True)
    p.add_argument("--region", default="45000000000", help="OKATO code of the applicant's location")
    p.add_argument("--transport", required=True, help="the transport XML (e.g. req.xml); its OrderId gets the order number")
    p.add_argument("--business", required=True, help="the business XML of the service")
    p.add_argument("--attachment-bytes", type=int, default=CHUNK_SIZE + 500_000, help="random attachment size (default: enough for two chunks)")
    p.add_argument("--timeout", type=float, default=60, help="seconds per HTTP request")
    p.add_argument("--wait", type=float, default=60, help="seconds to wait for the result file")
    p.add_argument("--poll", type=float, default=0.2, help="seconds between order details requests")
    p.add_argument("--tamper-signature", action="store_true", help="flip a bit of the API key's signature: ESIA must refuse")
    p.add_argument("--foreign-key", action="store_true", help="sign the API key with an unregistered key: ESIA must refuse")
    p.add_argument("--last-chunk-first", action="store_true", help="send the last chunk first: the API must refuse it with 400")
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
    except (OSError, ValueError, ssl.SSLError) as e:  # network, TLS, JSON
        c.report.update({"step": "transport", "error": "%s: %s" % (type(e).__name__, e)})
        log("FAIL %s: %s" % (type(e).__name__, e))
        code = 1
    c.report["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(c.report, ensure_ascii=False), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
