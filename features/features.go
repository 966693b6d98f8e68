// Package features holds the conformance suites' Gherkin, one folder per profile (shep, epgu, smdo, gospochta): one
// file per procedure or rule group, every scenario tagged with the clauses it proves (@R-47,
// @A2-T1, @EPGU-2.1.3, ...).
package features

import (
	"embed"
	"io/fs"
)

//go:embed shep epgu smdo gospochta
var files embed.FS

// Shep is the suite of the ShEP profile (the Rules of order No. 165/НҚ).
var Shep = sub("shep")

// EPGU is the suite of the EPGU profile (Russia's EPGU API for agency systems, with ESIA).
var EPGU = sub("epgu")

// SMDO is the suite of the SMDO profile (Belarus's document exchange through the AIS MV router).
var SMDO = sub("smdo")

// Gospochta is the suite of the Gospochta profile (Russia's state e-mail system with Gosuslugi).
var Gospochta = sub("gospochta")

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return f
}
