// Command sample-owner is a minimal owner system of the kind an agency puts in a container image
// for `shepconf run --sut-image`: it serves the synchronous channel's SendMessage at /sync, signs
// its answers with the certificate the harness gives it, checks the gateway's transport
// signature (A6-S1) and answers /healthz. It reads its configuration from the environment the
// harness sets (SHEPCONF_CERT, SHEPCONF_KEY, SHEPCONF_CA, SHEPCONF_SYSTEM_ID, SHEPCONF_GATEWAY_BIN,
// SHEPCONF_LISTEN).
//
// SAMPLE_OWNER_DEFECT=omit-response-date makes it non-conforming on purpose: its answers lack
// responseDate (A1-T20 row 5), so a conformance run against it must fail.
package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/owner"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	if err := run(log); err != nil {
		log.Error("sample owner stopped", "err", err)
		os.Exit(1)
	}
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func run(log *slog.Logger) error {
	id, err := nca.LoadIdentity(env("SHEPCONF_CERT", "/shepconf/cert.pem"), env("SHEPCONF_KEY", "/shepconf/key.pem"))
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	chain, err := nca.ReadCertificates(env("SHEPCONF_CA", "/shepconf/ca-chain.pem"))
	if err != nil || len(chain) < 2 {
		return fmt.Errorf("CA chain (issuing then root): %v, %d certificates", err, len(chain))
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(chain[len(chain)-1])
	for _, c := range chain[:len(chain)-1] {
		inter.AddCert(c)
	}

	var omit []string
	if d := os.Getenv("SAMPLE_OWNER_DEFECT"); d == "omit-response-date" {
		omit = append(omit, "response/responseInfo/responseDate")
	} else if d != "" {
		return fmt.Errorf("SAMPLE_OWNER_DEFECT=%q: the only defect is omit-response-date", d)
	}
	o := owner.New(env("SHEPCONF_SYSTEM_ID", "OWNER_SYS"), omit...)
	o.Identity = id
	g := &gatewayCheck{next: o, gatewayBIN: os.Getenv("SHEPCONF_GATEWAY_BIN"), log: log,
		checker: &xsig.Checker{Roots: roots, Intermediates: inter, HTTP: &http.Client{Timeout: 2 * time.Second}}}

	mux := http.NewServeMux()
	mux.Handle("/sync", g)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	srv := &http.Server{Addr: env("SHEPCONF_LISTEN", ":8080"), Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("sample owner listening", "addr", srv.Addr, "system", o.SystemID, "defect", os.Getenv("SAMPLE_OWNER_DEFECT"))
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// gatewayCheck refuses a request that does not carry the gateway's valid transport signature. The
// NCA's OCSP responder and CRL are on the harness's host, which a container may not reach: an
// unknown revocation status is tolerated here, every other problem refuses.
type gatewayCheck struct {
	next       http.Handler
	checker    *xsig.Checker
	gatewayBIN string
	log        *slog.Logger
}

func (g *gatewayCheck) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err == nil {
		_, err = g.checker.CheckMessage(r.Context(), body, "the gateway", g.gatewayBIN, xsig.StatusUnknown)
	}
	if err != nil {
		g.log.Warn("request refused", "err", err)
		out, _ := envelope.Marshal(envelope.Fault{Code: "Client", String: err.Error(),
			Detail:        envelope.ErrorInfo{ErrorCode: "OWNER-BAD-SIGNATURE", ErrorMessage: err.Error(), ErrorDate: envelope.Now()},
			DetailElement: envelope.SyncFaultElement})
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(out)
		return
	}
	g.log.Info("request", "bytes", len(body))
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.next.ServeHTTP(w, r)
}
