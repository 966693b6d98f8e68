// Package archive judges the zip archive of an EPGU order (spec 1.12.1 section 2.1.3, the archive
// rules; Appendix 1, the processing statuses they end in; v1.13, sign_config.xml): the whole archive
// as uploaded (after chunk assembly) goes in, the status the portal would set comes out, with the
// broken rule. The checks run in the order of the portal's processing: file structure
// (INVALID_FILES_STRUCTURE), transport file (REQ_NOT_FOUND), business file (MPC_NOT_FOUND), schema
// validation (VALIDATION_ERROR), signatures (FILES_VERIFICATION_FAILED).
package archive

import (
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
)

// Statuses of Appendix 1 an archive check ends in.
const (
	FilesVerificationSuccess = "FILES_VERIFICATION_SUCCESS" // every check passed
	InvalidFilesStructure    = "INVALID_FILES_STRUCTURE"    // not a flat zip of plain files
	ReqNotFound              = "REQ_NOT_FOUND"              // no transport file
	MPCNotFound              = "MPC_NOT_FOUND"              // no business file
	ValidationError          = "VALIDATION_ERROR"           // a file breaks its schema
	FilesVerificationFailed  = "FILES_VERIFICATION_FAILED"  // a signature is missing or does not verify
)

// Clause IDs the breaches cite.
const (
	ruleArchive    = "EPGU-2.1.3" // archive contents, flatness, "<file>.sig" signatures
	ruleStatuses   = "EPGU-A1"    // the statuses of Appendix 1 and what sets them
	ruleSignConfig = "EPGU-1.13"  // sign_config.xml (v1.13, Appendix 5)
)

// DefaultMaxUncompressed bounds the bytes an archive may unpack to when Service.MaxUncompressed is
// zero. The spec sets no limit on the unpacked size; this is the simulator's guard against zip
// bombs, well above the 50 000 000 bytes of one /push archive.
const DefaultMaxUncompressed = 256 << 20

// MaxFiles bounds the number of entries of an archive (simulator's guard, like DefaultMaxUncompressed).
const MaxFiles = 1000

// SignConfigFile is the name of the v1.13 file describing documents with several signatures.
const SignConfigFile = "sign_config.xml"

// Service is what the portal knows of a service to judge its archives.
type Service struct {
	Code            string   // serviceCode
	TargetCodes     []string // the service's targetCodes
	TransportFile   string   // the transport file's name or pattern (path.Match): "req.xml", "trans_*.xml"
	TransportSchema *schema.XSD
	BusinessFile    string      // the business XML's name or pattern, per the service's own spec
	Schema          *schema.XSD // the business XML's schema
	Signatures      bool        // every file needs "<file>.sig" (detached CMS), verified, with a TSA token
	SignConfig      bool        // 1.13: several signatures per file described by sign_config.xml
	MaxUncompressed int64       // bytes the archive may unpack to; 0: DefaultMaxUncompressed
}

// Result is the outcome of a check: the status, and the broken rule when it is an error.
type Result struct {
	Status string // FilesVerificationSuccess or the final error status
	Breach *rule.Breach
	Files  []string // the archive's file names, in archive order (as far as read)
	// SignaturesChecked says the service required signatures and they were verified: only then does
	// the order pass through FILES_VERIFICATION (Appendix 1).
	SignaturesChecked bool
}
