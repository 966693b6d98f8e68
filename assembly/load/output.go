package load

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Files a run writes into its folder.
const (
	ResultsFile = "results.bin"  // vegeta's binary results: `vegeta report results.bin` reads them
	SummaryFile = "summary.json" // the profile, vegeta's metrics, the journal's split, the verdicts
	SamplesFile = "samples.json" // every request as measured
)

// Write saves the run's results in dir, prefixed with the profile's name.
func (r Result) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	prefix := filepath.Join(dir, r.Profile.Name+"-")
	f, err := os.Create(prefix + ResultsFile)
	if err != nil {
		return err
	}
	enc := vegeta.NewEncoder(f)
	for _, res := range r.raw {
		if err := enc.Encode(res); err != nil {
			f.Close()
			return fmt.Errorf("write results: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	for name, v := range map[string]any{SummaryFile: r, SamplesFile: r.Samples} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(prefix+name, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
