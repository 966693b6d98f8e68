// Package client is the reference EPGU agency system (a «ВИС» of the EPGU API, spec v1.12.1 with the
// v1.13 download path): the built-in client a demonstration run certifies against. It certifies
// nothing; it shows what a well-behaved client does — it gets its access token from ESIA by API key,
// validates the business XML before sending, builds a flat archive with a detached signature per file,
// sends it by /push or by /order and /push/chunked within the chunk rules, follows the order without
// exceeding the request limits, cancels only when allowed and downloads the agency's result.
//
// With Config.Defects it misbehaves on purpose, one rule per defect (KnownDefects), so the harness can
// show that it catches each fault.
package client
