package smdo_test

import (
	"testing"

	"github.com/shepconf/shepconf/features"
	"github.com/shepconf/shepconf/steps/smdo"
	"github.com/shepconf/shepconf/steps/stepstest"
)

// Every scenario names at least one clause of the profile's catalogue, every tag that looks like a
// clause is in it, and every testable clause is proved by some scenario.
func TestScenariosAndCatalogueAgree(t *testing.T) {
	catalogue, err := smdo.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	stepstest.ScenariosAndCatalogueAgree(t, features.SMDO, catalogue, "SMDO-")
}
