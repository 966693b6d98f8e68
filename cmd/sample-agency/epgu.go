package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/shepconf/shepconf/assembly/epgu"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
	"github.com/shepconf/shepconf/simulators/epgu/client"
)

// The EPGU mode (--profile epgu, or SHEPCONF_PROFILE=epgu, which shepconf run --profile epgu sets):
// the sample agency system's EPGU client (assembly/epgu.Reference) behind the trigger contract,
// as an agency puts its own client in an image. Each trigger request brings the contour of its
// scenario (ESIA, the API, the time-stamp service, their CA) and the API key; the image brings its
// certificate and key, its mnemonic and the rules of the services it knows.
//
//	SHEPCONF_CERT, SHEPCONF_KEY  its certificate (then its CA chain) and key, registered in ESIA
//	SHEPCONF_MNEMONIC            its mnemonic (client_id) in ESIA (default AGENCY_IS)
//	SHEPCONF_LISTEN              where it serves /trigger, /healthz and /esia/callback (ESIA's
//	                             redirect after a citizen's sign-in)
//	SHEPCONF_DEFECTS             client defects, comma-separated, that break it on purpose
//	                             (sample-agency --profile epgu defects lists them)

// ProfileEPGU names the EPGU mode.
const ProfileEPGU = "epgu"

// triggerLimits let a trigger request run as long as the harness waits for it (4 minutes and the
// 5-minute chunk window of EPGU-2.1.3): the server's default read limit would cancel it at a minute.
func triggerLimits() server.Limits {
	l := server.DefaultLimits()
	l.ReadTimeout, l.WriteTimeout = 10*time.Minute, 10*time.Minute
	return l
}

// profile is the mode asked for: --profile NAME (or --profile=NAME) among args, else
// SHEPCONF_PROFILE; the remaining args are returned.
func profile(args []string) (string, []string) {
	p := os.Getenv("SHEPCONF_PROFILE")
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "--profile" || a == "-profile") && i+1 < len(args):
			p, i = args[i+1], i+1
		case strings.HasPrefix(a, "--profile="), strings.HasPrefix(a, "-profile="):
			p = a[strings.Index(a, "=")+1:]
		default:
			rest = append(rest, a)
		}
	}
	return p, rest
}

func runEPGU(log *slog.Logger) error {
	id, err := pki.LoadIdentity(env("SHEPCONF_CERT", "/shepconf/cert.pem"), env("SHEPCONF_KEY", "/shepconf/key.pem"))
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	defects := listEnv("SHEPCONF_DEFECTS")
	if err := client.CheckDefects(defects); err != nil {
		return fmt.Errorf("SHEPCONF_DEFECTS: %w", err)
	}
	demo, err := epgu.DemoService()
	if err != nil {
		return err
	}
	svc := demo.Archive
	ref := &epgu.Reference{Identity: id, Mnemonic: env("SHEPCONF_MNEMONIC", "AGENCY_IS"), Defects: defects,
		Services: func(code string) (archive.Service, bool) { return svc, code == svc.Code }}
	mux := http.NewServeMux()
	mux.Handle("POST /trigger", logged(log, "trigger request answered", ref))
	// ESIA sends a citizen's browser back here after sign-in: the redirect_uri to register for the
	// image is http://<its host>:<port>/esia/callback.
	mux.Handle("GET "+epgu.CallbackPath, logged(log, "sign-in callback answered", ref))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return serveUntilStopped(log, "sample EPGU client", mux, "mnemonic", ref.Mnemonic,
		"certificate", id.Certificate.Subject.CommonName, "defects", strings.Join(defects, ","))
}

// serveUntilStopped serves mux at SHEPCONF_LISTEN until the container is stopped: the trigger
// server of a profile's sample client.
func serveUntilStopped(log *slog.Logger, name string, mux *http.ServeMux, attrs ...any) error {
	srv, err := server.Start(env("SHEPCONF_LISTEN", ":8080"), mux, server.WithLimits(triggerLimits()))
	if err != nil {
		return err
	}
	log.Info(name+" listening", append([]any{"addr", srv.Addr()}, attrs...)...)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	err = srv.Close(sctx)
	log.Info(name + " stopped")
	if errors.Is(err, context.DeadlineExceeded) {
		return nil // a trigger still running when the harness stops the container
	}
	return err
}

// logged logs each trigger request and how it was answered: the container's log is the run's
// evidence of what the system was asked to do.
func logged(log *slog.Logger, what string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		log.Info(what, "status", rec.status, "took", time.Since(start).Round(time.Millisecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
