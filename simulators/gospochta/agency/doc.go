// Package agency is the reference agency system of the Gospochta profile: a client of the contour
// as a well-behaved system does it, in both of its roles. It certifies nothing; it shows what the
// rules ask (fixtures/gospochta/traceability.csv), and with Config.Defects it breaks them on
// purpose, one rule per defect (KnownDefects), so the harness can show that it catches each fault.
//
// As sender (Send, the walkthrough's legally significant send, GP-W-*) it gets an access token
// from ESIA by a JWT assertion signed with its key for the role operator (GP-W-AUTH), and on 401
// token.expired a new one by its refresh token (GP-W-REFRESH); it talks to the sending API over
// TLS 1.3 with its certificate (GP-W-MTLS), gives every request a fresh X-Request-Id (GP-W-AUDIT)
// and an X-Packet-HMAC (GP-W-HMAC); it fetches the recipient's key, signs the document (detached
// CMS, GP-W-SIGN), seals each personal-data field with AES-256-GCM (GP-W-ENC), sends, takes the
// state notifications pushed to it (NotificationHandler, GP-W-STATES) or polls the message, and
// once delivered fetches the signed receipt and verifies it (GP-W-RECEIPT, GP-W-DELIVERY).
//
// As reader (Read, the published GEPS API, GP-R-*) it gets its token by API key (Б.12, GP-R-AUTH),
// splits the period into searches of a day at most within the 30-day depth (GP-R-RANGE), keeps
// to 5 searches and 15 result fetches a day (GP-R-QUOTA), waits for each task to complete
// (GP-R-TASK), pages through the result (GP-R-PAGE), opens every card (GP-R-LEGAL), downloads the
// ready attachments and their signatures (GP-R-CARD) and verifies each signature (GP-R-SIG).
package agency
