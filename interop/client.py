#!/usr/bin/python3
"""An independent ShEP client, written with zeep and python-xmlsec (Debian: python3-zeep,
python3-xmlsec) and sharing no code with shepconf.

It loads the WSDL from the gateway's endpoints (?wsdl), builds every request with zeep from that WSDL,
signs it with its own WS-Security code (exclusive C14N, one Reference to the Body's wsu:Id, RSA-SHA256
and SHA-256; ECDSA-SHA256 for an ECDSA key) using a system's exported key and certificate, and
verifies every signed answer of the gateway: the signature over the Body, and the signer's certificate
against the exported CA chain and the gateway's BIN.

Calls: sync SendMessage to a service; async sendMessage, getMessageStatus, getMessages,
sendDeliveryNotification, then getMessageStatus again. One line per call; exit status 0 only when
every call got a valid signed answer with the expected content.

Certificate references (--key-reference):
  keyidentifier  wsse:KeyIdentifier of ValueType X509v3 holding the whole certificate (the real
                 gateway's convention)
  bst            a wsse:BinarySecurityToken referenced by wsse:Reference
  x509data       the certificate inline in ds:KeyInfo/ds:X509Data
  zeep           zeep's own zeep.wsse.signature.Signature: STR/X509Data with IssuerSerial and
                 certificate, RSA-SHA1 (RSA keys only)

--tamper alters the Body after signing: the gateway must refuse every call (SCE006), so the run fails
and prints the fault codes.
"""

import argparse
import base64
import datetime
import os
import re
import subprocess
import sys
import tempfile
import uuid

import xmlsec
import zeep
from lxml import etree
from zeep import xsd
from zeep.exceptions import Fault
from zeep.transports import Transport
from zeep.wsse.signature import Signature as ZeepSignature

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
NS = {"soap": SOAP, "wsse": WSSE, "wsu": WSU, "ds": DS}

REFERENCES = ("keyidentifier", "bst", "x509data", "zeep")
ASTANA = datetime.timezone(datetime.timedelta(hours=5))


class CheckFailed(Exception):
    """An answer that is not what the gateway must send."""


def now():
    return datetime.datetime.now(ASTANA)


def openssl(*args, data=None):
    """Runs the openssl command (a dependency of python3-requests, so present wherever zeep is)."""
    r = subprocess.run(["openssl", *args], input=data, capture_output=True)
    if r.returncode != 0:
        raise CheckFailed("openssl %s: %s" % (args[0], (r.stderr or r.stdout).decode().strip()))
    return r.stdout.decode()


def pem_blocks(path):
    """The DER certificates of a PEM file, in file order."""
    text = open(path).read()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S)
    if not blocks:
        raise CheckFailed("%s holds no certificate" % path)
    return [base64.b64decode("".join(b.split())) for b in blocks]


def der_to_pem(der):
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


class Identity:
    """A registered system: its ID, password and the certificate and key exported for it."""

    def __init__(self, state, spec):
        self.system, _, self.password = spec.partition(":")
        folder = os.path.join(state, "systems", self.system)
        self.cert_path = os.path.join(folder, "cert.pem")
        self.key_path = os.path.join(folder, "key.pem")
        self.chain_path = os.path.join(folder, "ca-chain.pem")
        self.cert_der = pem_blocks(self.cert_path)[0]
        text = openssl("x509", "-inform", "DER", "-noout", "-text", data=self.cert_der)
        self.rsa = "rsaEncryption" in text

    def key(self):
        return xmlsec.Key.from_file(self.key_path, xmlsec.KeyFormat.PEM)

    def sender(self):
        return {"senderId": self.system, "password": self.password}


def body_of(envelope):
    body = envelope.find("soap:Body", NS)
    if body is None:
        raise CheckFailed("the envelope has no soap:Body")
    return body


def body_id(body):
    """The Body's ID: wsu:Id, or a plain Id as older signers write it."""
    return body.get("{%s}Id" % WSU) or body.get("Id")


def security_header(envelope):
    header = envelope.find("soap:Header", NS)
    if header is None:
        header = etree.Element("{%s}Header" % SOAP)
        envelope.insert(0, header)
    sec = header.find("wsse:Security", NS)
    if sec is None:
        sec = etree.SubElement(header, "{%s}Security" % WSSE, nsmap={"wsse": WSSE})
        sec.set("{%s}mustUnderstand" % SOAP, "1")
    return sec


def sign(envelope, identity, reference):
    """Puts a WS-Security signature over the Body: exclusive C14N, one Reference to the Body's wsu:Id,
    RSA-SHA256 (ECDSA-SHA256 for an ECDSA key) and SHA-256, with the certificate named as asked."""
    body = body_of(envelope)
    bid = body_id(body)
    if not bid:
        # Written as the real gateway writes it: <soap:Body xmlns:wsu="..." wsu:Id="id-<uuid>">.
        bid = "id-" + str(uuid.uuid4())
        marked = etree.Element(body.tag, dict(body.attrib), nsmap={"wsu": WSU})
        marked.set("{%s}Id" % WSU, bid)
        marked.text = body.text
        marked.extend(list(body))
        body.getparent().replace(body, marked)
        body = marked
    method = xmlsec.Transform.RSA_SHA256 if identity.rsa else xmlsec.Transform.ECDSA_SHA256
    sig = xmlsec.template.create(envelope, xmlsec.Transform.EXCL_C14N, method, ns="ds")
    ref = xmlsec.template.add_reference(sig, xmlsec.Transform.SHA256, uri="#" + bid)
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    key_info = xmlsec.template.ensure_key_info(sig)
    sec = security_header(envelope)
    cert_b64 = base64.b64encode(identity.cert_der).decode()

    if reference == "x509data":
        x509 = xmlsec.template.add_x509_data(key_info)
        etree.SubElement(x509, "{%s}X509Certificate" % DS).text = cert_b64
    else:
        str_ = etree.SubElement(key_info, "{%s}SecurityTokenReference" % WSSE, nsmap={"wsse": WSSE})
        if reference == "bst":
            token_id = "X509-" + str(uuid.uuid4())
            bst = etree.SubElement(sec, "{%s}BinarySecurityToken" % WSSE, nsmap={"wsu": WSU})
            bst.set("EncodingType", BASE64)
            bst.set("ValueType", X509V3)
            bst.set("{%s}Id" % WSU, token_id)
            bst.text = cert_b64
            r = etree.SubElement(str_, "{%s}Reference" % WSSE)
            r.set("URI", "#" + token_id)
            r.set("ValueType", X509V3)
        else:
            ki = etree.SubElement(str_, "{%s}KeyIdentifier" % WSSE)
            ki.set("EncodingType", BASE64)
            ki.set("ValueType", X509V3)
            ki.text = cert_b64
    sec.append(sig)

    ctx = xmlsec.SignatureContext()
    ctx.register_id(body, "Id", WSU)
    ctx.key = identity.key()
    ctx.sign(sig)


class Answer:
    """What verifying a signed answer established."""

    def __init__(self, subject, method, reference):
        self.subject, self.method, self.reference = subject, method, reference

    def __str__(self):
        cn = re.search(r"CN=([^,]+)", self.subject)
        return "answer signed by %s, %s, %s, chains to ca-chain.pem" % (
            cn.group(1) if cn else self.subject, self.method.rsplit("#", 1)[-1], self.reference)


def answer_certificate(sig, sec):
    """The signer's certificate, from whichever reference KeyInfo uses."""
    key_info = sig.find("ds:KeyInfo", NS)
    if key_info is None:
        raise CheckFailed("the answer's signature has no ds:KeyInfo")
    ki = key_info.find("wsse:SecurityTokenReference/wsse:KeyIdentifier", NS)
    if ki is not None:
        if ki.get("ValueType") != X509V3:
            raise CheckFailed("KeyIdentifier ValueType %r, want X509v3" % ki.get("ValueType"))
        return base64.b64decode(ki.text), "KeyIdentifier X509v3"
    r = key_info.find("wsse:SecurityTokenReference/wsse:Reference", NS)
    if r is not None:
        for bst in sec.findall("wsse:BinarySecurityToken", NS):
            if "#" + (bst.get("{%s}Id" % WSU) or "") == r.get("URI"):
                return base64.b64decode(bst.text), "BinarySecurityToken"
        raise CheckFailed("wsse:Reference %s names no BinarySecurityToken" % r.get("URI"))
    cert = key_info.find(".//ds:X509Data/ds:X509Certificate", NS)
    if cert is not None:
        return base64.b64decode(cert.text), "X509Data"
    raise CheckFailed("the answer's KeyInfo names no certificate")


def verify_answer(envelope, chain_path, gateway_bin):
    """Checks the gateway's transport signature on an answer: one Signature in wsse:Security whose only
    Reference is the Body, valid for the certificate in KeyInfo, which chains to the exported CA and
    carries the gateway's BIN."""
    sec = envelope.find("soap:Header/wsse:Security", NS)
    if sec is None:
        raise CheckFailed("the answer is not signed: no wsse:Security header")
    sigs = sec.findall("ds:Signature", NS)
    if len(sigs) != 1:
        raise CheckFailed("the answer's wsse:Security holds %d ds:Signature, want 1" % len(sigs))
    sig = sigs[0]
    body = body_of(envelope)
    bid = body_id(body)
    refs = sig.findall("ds:SignedInfo/ds:Reference", NS)
    if not bid or [r.get("URI") for r in refs] != ["#" + bid]:
        raise CheckFailed("the answer's signature does not cover exactly the Body (references %s, Body id %r)"
                          % ([r.get("URI") for r in refs], bid))
    der, reference = answer_certificate(sig, sec)

    ctx = xmlsec.SignatureContext()
    ctx.register_id(body, "Id", WSU)
    if body.get("Id") is not None:
        ctx.register_id(body, "Id")
    ctx.key = xmlsec.Key.from_memory(der, xmlsec.KeyFormat.CERT_DER)
    try:
        ctx.verify(sig)
    except xmlsec.Error as e:
        raise CheckFailed("the answer's signature does not verify: %s" % e)

    with tempfile.NamedTemporaryFile("w", suffix=".pem") as f:
        f.write(der_to_pem(der))
        f.flush()
        r = subprocess.run(["openssl", "verify", "-CAfile", chain_path, f.name], capture_output=True, text=True)
        if r.returncode != 0 or not r.stdout.strip().endswith("OK"):
            why = " ".join((r.stderr + r.stdout).split())
            raise CheckFailed("the answer's certificate does not chain to %s: %s" % (chain_path, why))
        subject = openssl("x509", "-in", f.name, "-noout", "-subject", "-nameopt", "RFC2253").strip()
    if "OU=BIN" + gateway_bin not in subject:
        raise CheckFailed("the answer is signed by %s, not by the gateway (BIN %s)" % (subject, gateway_bin))
    method = sig.find("ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm")
    return Answer(subject.removeprefix("subject="), method, reference)


class Security:
    """zeep's WS-Security hook: signs every request, verifies every answer (faults included)."""

    def __init__(self, identity, reference, gateway_bin, tamper=False):
        self.identity, self.reference, self.gateway_bin, self.tamper = identity, reference, gateway_bin, tamper
        self.answer = None
        self.signed_with = None

    def apply(self, envelope, headers):
        if self.reference == "zeep":
            envelope, headers = ZeepSignature(self.identity.key_path, self.identity.cert_path).apply(envelope, headers)
        else:
            sign(envelope, self.identity, self.reference)
        method = envelope.find("soap:Header/wsse:Security/ds:Signature/ds:SignedInfo/ds:SignatureMethod", NS)
        self.signed_with = method.get("Algorithm").rsplit("#", 1)[-1]
        if self.tamper:
            # After signing: the digest no longer matches, as when a message is altered on the way.
            data = body_of(envelope).find(".//data")
            data.text = (data.text or "") + " (altered after signing)"
        return envelope, headers

    def verify(self, envelope):
        self.answer = verify_answer(envelope, self.identity.chain_path, self.gateway_bin)
        return envelope


def load_service(wsdl, endpoint, security):
    """A zeep service from the WSDL. Loaded from the gateway, the WSDL's own address must be the
    endpoint called; a WSDL file (--*-wsdl) is bound to the endpoint."""
    client = zeep.Client(wsdl, wsse=security, transport=Transport(timeout=60))
    if wsdl.endswith("?wsdl"):
        address = next(iter(next(iter(client.wsdl.services.values())).ports.values())).binding_options["address"]
        if address.rstrip("/") != endpoint.rstrip("/"):
            raise CheckFailed("the WSDL at %s gives the address %s, not the endpoint called" % (wsdl, address))
        return client.service
    binding = next(iter(client.wsdl.bindings))
    return client.create_service(binding, endpoint)


def string_data(text):
    """Business data as an escaped string with xsi:type xs:string, as the real samples send it."""
    return xsd.AnyObject(xsd.String(), text)


class Run:
    def __init__(self, args):
        self.args = args
        self.failures = 0

    def call(self, name, security, fn, check):
        """Makes one call and prints one line: ok with what was checked, or FAIL with why."""
        security.answer = security.signed_with = None

        def label():
            return "%-34s [%s, %s]" % (name, self.args.key_reference, security.signed_with or "not signed")

        try:
            resp = fn()
            what = check(resp)
            print("ok   %s: %s; %s" % (label(), what, security.answer), flush=True)
            return resp
        except Fault as f:
            code = f.detail.findtext(".//errorCode") if f.detail is not None else None
            data = f.detail.findtext(".//errorData") if f.detail is not None else None
            signed = "signed fault verified" if security.answer else "fault"
            print("FAIL %s: %s %s: %s%s" % (label(), signed, code or "?", f.message, " -- " + data if data else ""), flush=True)
        except (CheckFailed, xmlsec.Error, zeep.exceptions.Error, OSError) as e:
            print("FAIL %s: %s: %s" % (label(), type(e).__name__, e), flush=True)
        self.failures += 1
        return None

    def security(self, identity):
        return Security(identity, self.args.key_reference, self.args.gateway_bin, self.args.tamper)

    def sync(self, initiator):
        sec = self.security(initiator)
        endpoint = self.args.gateway.rstrip("/") + "/bip-sync-wss-gost/"
        service = load_service(self.args.sync_wsdl or endpoint + "?wsdl", endpoint, sec)
        sent = "<q>interop %s</q>" % uuid.uuid4()
        request = {
            "requestInfo": {
                "messageId": str(uuid.uuid4()),
                "serviceId": self.args.sync_service,
                "messageDate": now(),
                "sender": initiator.sender(),
            },
            "requestData": {"data": string_data(sent)},
        }

        def check(resp):
            info = resp.responseInfo
            if info.status.code != "Success":
                raise CheckFailed("status %s %s, want Success" % (info.status.code, info.status.message))
            if resp.responseData is None or resp.responseData.data != sent:
                raise CheckFailed("responseData %r, want the data sent echoed by the reference owner"
                                  % (resp.responseData and resp.responseData.data))
            return "status Success, data echoed"

        self.call("sync SendMessage", sec, lambda: service.SendMessage(request=request), check)

    def async_(self, initiator, owner):
        endpoint = self.args.gateway.rstrip("/") + "/bip-async"
        wsdl = self.args.async_wsdl or endpoint + "?wsdl"
        as_initiator, as_owner = self.security(initiator), self.security(owner)
        sender = load_service(wsdl, endpoint, as_initiator)
        recipient = load_service(wsdl, endpoint, as_owner)
        service_id = self.args.async_service
        sent = "<q>interop async %s</q>" % uuid.uuid4()

        def accepted(resp):
            if not resp.messageId or not resp.correlationId:
                raise CheckFailed("messageId %r, correlationId %r: the gateway must assign both" % (resp.messageId, resp.correlationId))
            return "messageId %s" % resp.messageId

        ids = self.call("async sendMessage", as_initiator, lambda: sender.sendMessage(request={
            "messageInfo": {"serviceId": service_id, "messageType": "REQUEST", "messageDate": now(),
                            "sender": initiator.sender()},
            "messageData": {"data": string_data(sent)},
        }), accepted)
        if ids is None:
            self.failures += 4  # the calls below need the message
            print("FAIL async getMessageStatus, getMessages, sendDeliveryNotification: not run, no message", flush=True)
            return
        message_id = ids.messageId

        def state(want):
            def check(resp):
                if resp.messageState != want:
                    raise CheckFailed("messageState %s, want %s" % (resp.messageState, want))
                return "messageState %s" % want
            return check

        def status():
            return sender.getMessageStatus(request={"messageId": message_id, "requestDate": now(), "sender": initiator.sender()})

        self.call("async getMessageStatus", as_initiator, status, state("ON_DELIVERY"))

        def handed(resp):
            got = [m for m in resp.messages if m.messageInfo.messageId == message_id]
            if len(got) != 1:
                raise CheckFailed("%d message(s) with messageId %s among %d handed out, want 1" % (len(got), message_id, len(resp.messages)))
            if got[0].messageData.data != sent:
                raise CheckFailed("data %r, want what the sender sent" % got[0].messageData.data)
            return "message %s handed to %s with the data sent" % (message_id, owner.system)

        self.call("async getMessages", as_owner, lambda: recipient.getMessages(request={
            "messageId": message_id, "requestDate": now(), "serviceId": service_id, "sender": owner.sender(),
        }), handed)

        def notified(resp):
            if not resp.notificationId:
                raise CheckFailed("no notificationId")
            return "notificationId %s" % resp.notificationId

        self.call("async sendDeliveryNotification", as_owner, lambda: recipient.sendDeliveryNotification(request={
            "notification": {"messageId": message_id, "serviceId": service_id, "notificationDate": now(),
                             "deliveryStatus": {"receiveStatus": "MESSAGE_ACCEPTED", "statusDate": now(),
                                                "resendMessage": "NOT_RESEND"}},
            "requestDate": now(), "sender": owner.sender(),
        }), notified)
        self.call("async getMessageStatus (after)", as_initiator, status, state("DELIVERED"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gateway", required=True, help="the gateway's base URL, e.g. http://127.0.0.1:8080")
    p.add_argument("--state", required=True, help="the state folder holding systems/<ID>/cert.pem, key.pem, ca-chain.pem")
    p.add_argument("--initiator", required=True, help="ID:PASSWORD of the calling system")
    p.add_argument("--owner", help="ID:PASSWORD of the async service's owner, which pulls and confirms the message")
    p.add_argument("--sync-service", help="a service routed to the reference owner")
    p.add_argument("--async-service", help="a service whose owner (--owner) pulls its messages")
    p.add_argument("--key-reference", choices=REFERENCES, default="keyidentifier")
    p.add_argument("--gateway-bin", default="197196233258", help="the BIN in the gateway's certificate")
    p.add_argument("--tamper", action="store_true", help="alter the Body after signing: every call must be refused")
    p.add_argument("--sync-wsdl", help="load the sync WSDL from here instead of the endpoint's ?wsdl")
    p.add_argument("--async-wsdl", help="load the async WSDL from here instead of the endpoint's ?wsdl")
    args = p.parse_args()

    if args.async_service and not args.owner:
        p.error("--async-service needs --owner, the system that pulls the service's messages")
    run = Run(args)
    try:
        initiator = Identity(args.state, args.initiator)
        owner = Identity(args.state, args.owner) if args.async_service else None
    except (CheckFailed, OSError) as e:
        print("FAIL the exported certificate and key (%s/systems/<ID>/): %s" % (args.state, e), flush=True)
        return 2
    if args.sync_service:
        try:
            run.sync(initiator)
        except (CheckFailed, zeep.exceptions.Error, OSError) as e:
            print("FAIL sync channel: %s: %s" % (type(e).__name__, e), flush=True)
            run.failures += 1
    if args.async_service:
        try:
            run.async_(initiator, owner)
        except (CheckFailed, zeep.exceptions.Error, OSError) as e:
            print("FAIL async channel: %s: %s" % (type(e).__name__, e), flush=True)
            run.failures += 1
    print("%s: %d failure(s)" % ("FAILED" if run.failures else "PASSED", run.failures))
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
