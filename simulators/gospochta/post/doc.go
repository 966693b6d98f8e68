// Package post is the simulated sending API of Gospochta: the walkthrough's four-stage legally
// significant send (../shared/spec/seeds/003, «Отправка юридически значимых сообщений») as an
// agency's system meets it. No official source describes this API; its paths, headers and bodies
// are this profile's own and are fixed in simulators/gospochta/wire.
//
// Every request passes five checks, in this order, each refusal naming its rule (GP-W-…), the
// field, what was expected and how to fix it:
//
//  1. GP-W-MTLS: TLS 1.3 and a client certificate registered for a system (AddSystem);
//  2. GP-W-AUDIT: an X-Request-Id that is a UUID this system has not sent before;
//  3. GP-W-AUTH: a Bearer access token (checked by the Authenticate the contour backs with the
//     simulated ESIA) of the same system; an expired one is answered token.expired, which the
//     client answers by refreshing it (GP-W-REFRESH);
//  4. GP-W-ROLE: the token's role is operator or administrator;
//  5. GP-W-HMAC: X-Packet-HMAC over the packet with the system's key (wire.PacketMAC).
//
// A message (POST messages) then has its kind, recipient and subject checked (GP-W-KIND), its
// document's detached CMS signature verified as the system's (GP-W-SIGN, the hash kept in the
// registry) and each personal-data field opened with the recipient's key (GP-W-ENC). Accepted, it
// is sent; after a delivery delay it is delivered, with a signed act of acceptance the sender
// fetches (GP-W-RECEIPT, GP-W-DELIVERY); after a read delay it is read. Each state after sent is
// pushed to the sender's notifyUrl until acknowledged (GP-W-STATES). Every request and every push
// is kept in a bounded audit log (Audit) with its request id, time and status.
//
// The delays run on real timers; the times recorded are the service's clock, never earlier than
// the nominal time (accepted + delivery delay, delivered + read delay), so that on a virtual clock
// the states carry the times they would have had.
package post
