// Command sample-agency is the sample agency system (simulators/shep/agency) as an agency puts its own
// system in a container image for `shepconf run --sut-image`: it plays every role on the gateway,
// signs with the certificate the harness gives it, checks the gateway's transport signature
// (A6-S1) and answers the harness's trigger contract (internal/trigger) at /trigger.
//
// It reads its configuration from the environment the harness sets:
//
//	SHEPCONF_SYSTEM_ID, SHEPCONF_BIN, SHEPCONF_PASSWORD  its registration at the gateway (R-53(2))
//	SHEPCONF_GATEWAY_BIN                                 the BIN of the gateway's certificate (A6-S1)
//	SHEPCONF_CERT, SHEPCONF_KEY, SHEPCONF_CA             its certificate and key, the CA chain
//	SHEPCONF_TLS_CERT, SHEPCONF_TLS_KEY                  its HTTPS server certificate (rest-owner); with a
//	                                                     GOST SHEPCONF_KEY also its TLS client certificate
//	SHEPCONF_LISTEN, SHEPCONF_TLS_LISTEN                 where it serves HTTP (/sync, /async, /trigger,
//	                                                     /healthz) and HTTPS (/rest)
//	SAMPLE_AGENCY_DEFECT                                 defects, comma-separated, that break a role on
//	                                                     purpose (sample-agency defects lists them)
//
// With --profile epgu (or SHEPCONF_PROFILE=epgu) it is instead the sample EPGU client for
// `shepconf run --profile epgu --sut-image` (epgu.go lists its environment), with --profile
// smdo the sample СЭД for `shepconf run --profile smdo --sut-image` (smdo.go), and with --profile
// gospochta the sample Gospochta system for `shepconf run --profile gospochta --sut-image`
// (gospochta.go).
//
// `sample-agency trigger '<request JSON>'` posts a trigger request to the running system's own
// /trigger and prints the result as JSON: the harness's command trigger, run inside the container
// (sut.trigger.command: ["/sample-agency", "trigger", "{request}"]).
package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/epgu/client"
	gpagency "github.com/shepconf/shepconf/simulators/gospochta/agency"
	"github.com/shepconf/shepconf/simulators/shep/agency"
	"github.com/shepconf/shepconf/simulators/smdo/sed"
)

func main() {
	prof, args := profile(os.Args[1:])
	if prof != "" && prof != ProfileEPGU && prof != ProfileSMDO && prof != ProfileGospochta && prof != "shep" {
		fmt.Fprintf(os.Stderr, "sample-agency: profile %q: want shep (the default), %s, %s or %s\n", prof, ProfileEPGU, ProfileSMDO, ProfileGospochta)
		os.Exit(2)
	}
	if len(args) > 0 {
		switch args[0] {
		case "trigger":
			os.Exit(fire(args[1:]))
		case "defects":
			fmt.Println(strings.Join(defectNames(prof), "\n"))
			return
		}
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	serve := run
	switch prof {
	case ProfileEPGU:
		serve = runEPGU
	case ProfileSMDO:
		serve = runSMDO
	case ProfileGospochta:
		serve = runGospochta
	}
	if err := serve(log); err != nil {
		log.Error("sample agency system stopped", "err", err)
		os.Exit(1)
	}
}

// defectNames are the defects of the profile's sample system.
func defectNames(prof string) []string {
	switch prof {
	case ProfileSMDO:
		return sed.KnownDefects
	case ProfileGospochta:
		var names []string
		for _, d := range gpagency.KnownDefects {
			names = append(names, d.Name+"\t"+d.Breaks)
		}
		return names
	case ProfileEPGU:
	default:
		return agency.Defects()
	}
	var names []string
	for _, d := range client.KnownDefects {
		names = append(names, d.Name+"\t"+d.Breaks)
	}
	return names
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// defects reads SAMPLE_AGENCY_DEFECT: names separated by commas.
func defects() []string { return listEnv("SAMPLE_AGENCY_DEFECT") }

func run(log *slog.Logger) error {
	id, err := pki.LoadIdentity(env("SHEPCONF_CERT", "/shepconf/cert.pem"), env("SHEPCONF_KEY", "/shepconf/key.pem"))
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	chain, err := pki.ReadCertificates(env("SHEPCONF_CA", "/shepconf/ca-chain.pem"))
	if err != nil || len(chain) < 2 {
		return fmt.Errorf("CA chain (issuing then root): %v, %d certificates", err, len(chain))
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(chain[len(chain)-1])
	for _, c := range chain[:len(chain)-1] {
		inter.AddCert(c)
	}
	cfg := agency.Config{
		SystemID: env("SHEPCONF_SYSTEM_ID", "AGENCY_SYS"), Password: os.Getenv("SHEPCONF_PASSWORD"), Identity: id,
		// The NCA's OCSP responder is on the harness's host, reached through the host's network.
		Checker:    &xsig.Checker{Roots: roots, Intermediates: inter, HTTP: &http.Client{Timeout: 5 * time.Second}},
		GatewayBIN: os.Getenv("SHEPCONF_GATEWAY_BIN"), Defects: defects(), Log: log,
	}
	// The HTTPS certificate serves the rest-owner role; without one the system serves plain HTTP only.
	tlsCert, tlsKey := env("SHEPCONF_TLS_CERT", "/shepconf/tls-cert.pem"), env("SHEPCONF_TLS_KEY", "/shepconf/tls-key.pem")
	if _, err := os.Stat(tlsCert); err == nil {
		if cfg.TLS, err = pki.LoadIdentity(tlsCert, tlsKey); err != nil {
			return fmt.Errorf("HTTPS certificate: %w", err)
		}
	}
	sys, err := agency.New(cfg)
	if err != nil {
		return err
	}

	plain, err := server.Start(env("SHEPCONF_LISTEN", ":8080"), sys.Handler())
	if err != nil {
		return err
	}
	servers := []*server.Server{plain}
	tlsAddr := ""
	if cfg.TLS != nil {
		secure, err := server.StartTLS(env("SHEPCONF_TLS_LISTEN", ":8443"), sys.TLSHandler(), sys.TLSConfig())
		if err != nil {
			_ = plain.Close(context.Background())
			return err
		}
		servers, tlsAddr = append(servers, secure.Server), secure.Addr()
	}
	log.Info("sample agency listening", "addr", plain.Addr(), "tls", tlsAddr, "system", cfg.SystemID,
		"bin", os.Getenv("SHEPCONF_BIN"), "defects", strings.Join(cfg.Defects, ","))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	// docker stop sends SIGTERM and waits 10 s: finish the requests in flight within that.
	sctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	var errs []error
	for _, s := range servers {
		errs = append(errs, s.Close(sctx))
	}
	log.Info("sample agency stopped")
	return errors.Join(errs...)
}

// fire is the trigger subcommand: it posts the request to the running system's own trigger
// endpoint and prints the result as one line of JSON, a failed result when there is none.
func fire(args []string) int {
	out := json.NewEncoder(os.Stdout)
	fail := func(format string, a ...any) int {
		_ = out.Encode(trigger.Result{Outcome: trigger.Failed, Error: fmt.Sprintf(format, a...)})
		return 1
	}
	if len(args) != 1 {
		return fail("usage: sample-agency trigger '<trigger request as JSON>'")
	}
	var req trigger.Request
	if err := json.Unmarshal([]byte(args[0]), &req); err != nil {
		return fail("trigger request: %v", err)
	}
	wait := 2 * time.Minute
	if d, err := time.ParseDuration(req.Timeout); err == nil && d > 0 {
		wait = d + 5*time.Second
	}
	_, port, err := net.SplitHostPort(env("SHEPCONF_LISTEN", ":8080"))
	if err != nil {
		return fail("SHEPCONF_LISTEN: %v", err)
	}
	client := &http.Client{Timeout: wait}
	resp, err := client.Post("http://127.0.0.1:"+port+agency.TriggerPath, "application/json", bytes.NewReader([]byte(args[0])))
	if err != nil {
		return fail("the sample agency system did not answer its trigger: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fail("reading the result: %v", err)
	}
	var res trigger.Result
	if err := json.Unmarshal(body, &res); err != nil {
		return fail("HTTP %d without a result: %.300s", resp.StatusCode, body)
	}
	_ = out.Encode(res)
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}
