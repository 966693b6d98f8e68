// Package features holds the conformance suite's Gherkin: one file per procedure or rule group,
// every scenario tagged with the clauses it proves (@R-47, @A2-T1, ...).
package features

import "embed"

// FS holds the feature files, so the shepconf binary carries its suite.
//
//go:embed *.feature
var FS embed.FS
