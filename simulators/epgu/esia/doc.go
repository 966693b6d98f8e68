// Package esia is the simulated ESIA (Единая система идентификации и аутентификации) as an agency
// system meets it in the EPGU test contour: the registry of systems of the technological portal,
// the API keys it creates, the authorisation-code flow, the API-key token service, and the access
// tokens the EPGU simulator verifies.
//
// Sources (read, not copied): the EPGU API specification v1.12.1 §1.1 (legal entities get their
// token by ESIA's Б.12, persons by the OAuth 2.0 flow of В.2; scope http://lk.gosuslugi.ru/api-order;
// APIPGU in the token's permissions); go-api-epgu esia/aas (@f3763d9a: the v2/ac and v3/te
// parameters, the signed concatenation, the timestamp layout, the ESIA-0070xx codes); yellow444/epgu
// (@49033b91: the Б.12 call clients make, GET /esia-rs/api/public/v1/orgs/ext-app/{key}/tkn?signature=
// answered {"accessTkn": …}, and the consumer's guide to API keys v3.3). ESIA's methodical
// recommendations themselves were not available; where they would decide (the skew window, the OAuth
// error name of most codes, the CSV of an API key, the error body of Б.12) the choice is said where
// it is made.
//
// Served (Handler):
//
//	GET  /aas/oauth2/v2/ac                              authorisation code, consent simulated (ESIA-OAUTH)
//	POST /aas/oauth2/v3/te                              code → tokens, grant_type=authorization_code (ESIA-OAUTH)
//	POST /aas/oauth2/v3/te                              JWT assertion → tokens, grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer (ESIA-JWT)
//	POST /aas/oauth2/v3/te                              refresh token → tokens, grant_type=refresh_token, rotated (ESIA-JWT)
//	GET  /esia-rs/api/public/v1/orgs/ext-app/{key}/tkn  API key → token (ESIA-B12)
//
// The API key is not exchanged at /aas/oauth2/v3/te: no client seen does so; they all call the
// ext-app service. client_secret and the API key's signature are detached CMS signatures checked
// with internal/cms against the system's registered certificates; GOST signatures, which real ESIA
// requires, are answered 501 "not supported by the simulator" and recorded as NotSupported, never
// as forged. A signature by a certificate not registered for the system is ESIA-007002 whatever CA
// issued it; a registered one that does not verify or chain is ESIA-007053. Every refusal is an
// Event with its rule.Breach.
//
// The assertion and refresh grants are the Gospochta walkthrough's (seed 003, GP-W-AUTH,
// GP-W-REFRESH; RFC 7523 and RFC 6749 §6), which no ESIA document at hand describes: the assertion
// is a JWS (RS256, ES256, PS256) by the key of a registered certificate, its jti is refused when
// replayed, and the token carries the one role asked for (System.Roles, claim roles). Their
// refusals that no ESIA code names answer invalid_grant without a code. ExpireTokens makes a
// system's tokens fail as expired (the 401 token.expired a client renews on), RevokeTokens as
// invalid.
//
// Memory stays bounded whatever clients send: the newest WithEventLimit events are kept (their
// texts cut to 2 KiB), unexchanged codes are swept once expired, the records of issued, revoked and
// early-expired tokens go when the tokens expire, assertion ids are kept until their assertion
// expires (at most 100 000), and refresh tokens until they expire or are spent (at most 100 000,
// the oldest dropped beyond).
package esia
