package main

import (
	"fmt"
	"strings"

	"github.com/shepconf/shepconf/steps"
)

// profiles are the buses a command can take with --profile; shep is the default.
var profiles = []string{steps.ProfileShep, steps.ProfileEPGU, steps.ProfileSMDO, steps.ProfileGospochta}

// busProfile takes --profile shep|epgu|smdo|gospochta out of a command's arguments, so each profile's flags are
// parsed by its own command. Load's rate profiles (nominal, peak, stress, custom) keep their
// --profile, which load also reads as --load-profile.
func busProfile(args []string) (profile string, rest []string, err error) {
	profile = steps.ProfileShep
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "profile" {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return "", nil, fmt.Errorf("--profile needs a value: %s", strings.Join(profiles, ", "))
			}
			value = args[i+1]
			i++
		}
		switch value {
		case steps.ProfileShep, steps.ProfileEPGU, steps.ProfileSMDO, steps.ProfileGospochta:
			profile = value
		default:
			// Not a bus: a load's rate profile, left for load's own flags.
			rest = append(rest, "--load-profile="+value)
		}
	}
	return profile, rest, nil
}
