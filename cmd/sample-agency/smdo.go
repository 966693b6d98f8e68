package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/shepconf/shepconf/assembly/smdo"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/smdo/sed"
)

// The SMDO mode (--profile smdo, or SHEPCONF_PROFILE=smdo, which shepconf run --profile smdo
// sets): the sample agency system's СЭД (assembly/smdo.Reference) behind the trigger contract, as
// an agency puts its own СЭД in an image. Each trigger request brings the router of its scenario,
// the CA it chains to, the system's client credentials and subscriber; the image brings its
// certificate and key, and the periods of its threads.
//
//	SHEPCONF_CERT, SHEPCONF_KEY  its certificate (then its CA chain) and key, which it signs files with
//	SHEPCONF_SMDO_POLL           its receiving thread's period (default 5m, SMDO-POLL); the harness
//	                             sets it to the run's time scale
//	SHEPCONF_SMDO_RESTART        its sending thread's pause after a send (default 10s, SMDO-RESTART)
//	SHEPCONF_LISTEN              where it serves /trigger and /healthz
//	SHEPCONF_DEFECTS             СЭД defects, comma-separated, that break it on purpose
//	                             (sample-agency --profile smdo defects lists them)

// ProfileSMDO names the SMDO mode.
const ProfileSMDO = "smdo"

func runSMDO(log *slog.Logger) error {
	id, err := pki.LoadIdentity(env("SHEPCONF_CERT", "/shepconf/cert.pem"), env("SHEPCONF_KEY", "/shepconf/key.pem"))
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	defects := listEnv("SHEPCONF_DEFECTS")
	if err := sed.CheckDefects(defects); err != nil {
		return fmt.Errorf("SHEPCONF_DEFECTS: %w", err)
	}
	poll, err := durationEnv("SHEPCONF_SMDO_POLL", sed.DefaultPollInterval)
	if err != nil {
		return err
	}
	pause, err := durationEnv("SHEPCONF_SMDO_RESTART", sed.DefaultRestartPause)
	if err != nil {
		return err
	}
	ref := &smdo.Reference{Identity: id, PollInterval: poll, RestartPause: pause, Defects: defects}
	mux := http.NewServeMux()
	mux.Handle("POST /trigger", logged(log, "trigger request answered", ref))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return serveUntilStopped(log, "sample СЭД", mux, "certificate", id.Certificate.Subject.CommonName,
		"poll", poll, "restart", pause, "defects", strings.Join(defects, ","))
}

// listEnv reads a comma-separated list from the environment.
func listEnv(name string) []string {
	var out []string
	for _, d := range strings.Split(os.Getenv(name), ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

func durationEnv(name string, fallback time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return fallback, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: give a positive duration such as 5m or 3s", name, v)
	}
	return d, nil
}
