//go:build race

// Package racedetect tells whether the binary was built with the race detector (-race), which
// multiplies memory and slows every goroutine several times: tests that judge timing or memory
// scale to it, or say why they cannot run under it.
package racedetect

// Enabled is true under -race.
const Enabled = true
