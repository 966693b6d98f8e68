// Package defect checks the names of the deliberate misbehaviours a reference system is given.
package defect

import (
	"fmt"
	"slices"
	"strings"
)

// Check says which of names is not one of known, listing the known ones.
func Check(known, names []string) error {
	var unknown []string
	for _, n := range names {
		if !slices.Contains(known, n) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("unknown defect %s (known: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return nil
}
