package sut_test

import (
	"os"
	"testing"

	"github.com/shepconf/shepconf/internal/runseal"
)

// The suite's runs are sealed with a key of the tests' own, never the user's.
func TestMain(m *testing.M) { os.Exit(runseal.RunWithTemporaryKey(m)) }
