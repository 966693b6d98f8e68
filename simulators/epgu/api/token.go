package api

import (
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// AccessToken is a verified ESIA access token as the ESIA simulator gives it: the system
// (ClientID: limits and status feeds are per system), the user (Subject, OrgOID: orders belong to
// them), Scopes and Permissions (EPGU-1.1, EPGU-A4) and its lifetime.
type AccessToken = esia.AccessToken

// TokenVerifier checks a bearer token: *esia.ESIA. Any error (esia.ErrTokenExpired,
// esia.ErrTokenInvalid) is answered 401.
type TokenVerifier interface {
	VerifyAccessToken(raw string) (AccessToken, error)
}

// ArchiveChecker checks an uploaded archive of a service and names the processing status it ends in
// (EPGU-A1: FILES_VERIFICATION_SUCCESS or "" when it passes after a signature check, DONE when it
// passes with none to check, else INVALID_FILES_STRUCTURE, REQ_NOT_FOUND, MPC_NOT_FOUND,
// VALIDATION_ERROR, REQ_VERIFY_FAILED, FILES_VERIFICATION_FAILED, INTERNAL_ERROR) with the breach.
type ArchiveChecker interface {
	CheckArchive(serviceCode string, zip []byte) (status string, breach *rule.Breach)
}

// ArchiveLister is an ArchiveChecker that also lists the archive's entries as it reads them, so the
// API need not open the zip a second time. It is optional: when the checker does not implement it,
// or lists nothing (nil), the API lists the zip itself.
type ArchiveLister interface {
	CheckArchiveFiles(serviceCode string, zip []byte) (status string, breach *rule.Breach, files []File)
}

const (
	// ScopeAPIOrder is the scope a token must carry for the order methods (EPGU-1.1, Table 1).
	ScopeAPIOrder = "http://lk.gosuslugi.ru/api-order"
	// PermissionAPIPGU must be a substring of one of the token's permissions (EPGU-A4,
	// access_denied_person_permissions).
	PermissionAPIPGU = "APIPGU"
)

// The ESIA simulator is the verifier the harness wires in.
var _ TokenVerifier = (*esia.ESIA)(nil)
