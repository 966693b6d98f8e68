package server

import (
	"os"
	"runtime/debug"
)

// GC settings of a process that serves the simulators under load. Every exchange parses, copies and
// writes XML, which makes short-lived garbage; at Go's default (GOGC=100) collecting it took about a
// fifth of the CPU of a saturated gateway (BenchmarkGatewaySigned). Collecting at four times the
// live heap instead of twice does a fraction of that work, and the soft memory limit keeps the
// process bounded all the same: near it, the collector runs as often as it must.
const (
	GCPercent   = 400
	MemoryLimit = 1 << 30 // bytes
)

// TuneGC applies GCPercent and MemoryLimit unless the environment sets GOGC or GOMEMLIMIT.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
