package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/shepconf/shepconf/assembly/gospochta"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/gospochta/agency"
)

// The Gospochta mode (--profile gospochta, or SHEPCONF_PROFILE=gospochta, which shepconf run
// --profile gospochta sets): the sample agency system's Gospochta client
// (assembly/gospochta.Reference) behind the trigger contract, as an agency puts its own system in
// an image. Each trigger request brings the contour of its scenario (ESIA, the reading and sending
// APIs, their CA), the system's mnemonic, its API key file and HMAC key; the image brings its
// certificate and key (mTLS client certificate, JWT assertions, document signatures).
//
//	SHEPCONF_CERT, SHEPCONF_KEY  its certificate (then its CA chain) and key
//	SHEPCONF_GOSPOCHTA_POLL      the pause between fetches of a search task's result (GP-R-QUOTA:
//	                             15 fetches a day); the harness sets it to the run's time scale
//	SHEPCONF_GOSPOCHTA_NOTIFY    the base URL at which Gospochta reaches its POST /notify/{mnemonic}
//	                             (GP-W-STATES); default: the address it was triggered at
//	SHEPCONF_LISTEN              where it serves /trigger, /notify/… and /healthz
//	SHEPCONF_DEFECTS             defects, comma-separated, that break it on purpose
//	                             (sample-agency --profile gospochta defects lists them)

// ProfileGospochta names the Gospochta mode.
const ProfileGospochta = "gospochta"

func runGospochta(log *slog.Logger) error {
	id, err := pki.LoadIdentity(env("SHEPCONF_CERT", "/shepconf/cert.pem"), env("SHEPCONF_KEY", "/shepconf/key.pem"))
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	defects := listEnv("SHEPCONF_DEFECTS")
	if err := agency.CheckDefects(defects); err != nil {
		return fmt.Errorf("SHEPCONF_DEFECTS: %w", err)
	}
	// Zero leaves the client's own pause, which keeps within the published 15 fetches a day.
	poll, err := durationEnv("SHEPCONF_GOSPOCHTA_POLL", 0)
	if err != nil {
		return err
	}
	notify := strings.TrimSuffix(os.Getenv("SHEPCONF_GOSPOCHTA_NOTIFY"), "/")
	if notify != "" {
		if u, err := url.Parse(notify); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("SHEPCONF_GOSPOCHTA_NOTIFY=%q: give an absolute http:// or https:// URL, e.g. http://10.0.0.5:8080", notify)
		}
	}
	ref := &gospochta.Reference{Identity: id, PollPause: poll, Defects: defects, NotifyBase: notify}
	mux := http.NewServeMux()
	mux.Handle("POST "+gospochta.TriggerPath, logged(log, "trigger request answered", ref))
	// GP-W-STATES: Gospochta pushes delivered and read here (the notifyUrl the system sends with).
	mux.Handle("POST "+gospochta.NotifyPath, logged(log, "state notification answered", ref))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return serveUntilStopped(log, "sample Gospochta system", mux, "certificate", id.Certificate.Subject.CommonName,
		"poll", poll, "notify", notify, "defects", strings.Join(defects, ","))
}
