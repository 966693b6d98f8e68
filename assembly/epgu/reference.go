package epgu

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
	"github.com/shepconf/shepconf/simulators/epgu/client"
)

// Reference is the built-in reference client as the system under test of a demonstration: it takes
// the harness's trigger request as an agency's system would and acts through simulators/epgu/client.
// A demonstration certifies nothing; with Defects it shows that the scenarios catch each fault.
type Reference struct {
	Identity *pki.Identity
	Mnemonic string
	// Services are the rules of the services it knows, as an agency's developer reads them in the
	// service's specification: the business file's name and schema.
	Services    func(code string) (archive.Service, bool)
	ChunkWindow time.Duration // the 5 minutes of EPGU-2.1.3, shrunk with the run's time scale
	Poll        time.Duration // pause between two reads of an order's status
	Defects     []string
}

// Describe names the system for the report.
func (r *Reference) Describe() string { return "the built-in reference EPGU client (in-process)" }

// Fire does what the trigger request asks.
func (r *Reference) Fire(ctx context.Context, req trigger.Request) (trigger.Result, error) {
	if err := req.Check(); err != nil {
		return trigger.Result{}, err
	}
	svc, ok := r.Services(req.ServiceID)
	if !ok {
		return trigger.Result{Outcome: trigger.Failed, Error: "no specification of service " + req.ServiceID}, nil
	}
	// The contour's servers are trusted by the CA chain the request brings, as an agency's system
	// is configured with the test contour's CA.
	roots := x509.NewCertPool()
	if req.CA != "" && !roots.AppendCertsFromPEM([]byte(req.CA)) {
		return trigger.Result{}, errors.New("trigger request: ca holds no PEM certificate")
	}
	c := client.New(client.Config{ESIAURL: req.Auth, APIURL: req.Gateway, Identity: r.Identity, Mnemonic: r.Mnemonic,
		APIKey: []byte(req.APIKey), TSAURL: req.TSA, ChunkWindow: r.ChunkWindow, PollInterval: r.Poll, Defects: r.Defects,
		HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}},
			Timeout: 2 * time.Minute}})
	files := map[string][]byte{svc.BusinessFile: []byte(req.Data)}
	for name, b64 := range req.Files {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return trigger.Result{}, fmt.Errorf("trigger request: file %s is not base64: %w", name, err)
		}
		files[name] = b
	}
	orderID, err := c.Submit(ctx, client.Submission{Region: req.Region, ServiceCode: req.ServiceID, TargetCode: req.TargetCode,
		Files: files, Schema: svc.Schema, BusinessFile: svc.BusinessFile, Sign: svc.Signatures, Chunked: req.Chunked})
	var invalid *client.InvalidXMLError
	switch {
	case errors.As(err, &invalid):
		return trigger.Result{Outcome: trigger.Refused, Error: err.Error()}, nil
	case err != nil:
		return failed(err), nil
	}
	res := trigger.Result{Outcome: trigger.Accepted, MessageID: strconv.FormatInt(orderID, 10)}
	switch req.Then {
	case trigger.ThenResult:
		st, err := c.Follow(ctx, orderID, nil)
		if err != nil {
			return failed(err), nil
		}
		res.State = st.Code
		files, err := c.DownloadResult(ctx, orderID)
		if err != nil {
			return failed(err), nil
		}
		for _, f := range files {
			res.Answer += fmt.Sprintf("%s sha256:%x ", f.File.FileName, sha256.Sum256(f.Data))
		}
		res.Outcome = trigger.Answered
	case trigger.ThenCancel:
		// EPGU-2.2: a cancel is made only in a status that allows it, so the client waits for one.
		allowed := func(st client.Status) bool {
			return st.Final() || st.Order != nil && st.Order.CurrentStatusHistory.CancelAllowed
		}
		if _, err := c.Follow(ctx, orderID, allowed); err != nil {
			return failed(err), nil
		}
		if err := c.Cancel(ctx, orderID); err != nil {
			return failed(err), nil
		}
		res.State = "cancelled"
	}
	return res, nil
}

func failed(err error) trigger.Result {
	return trigger.Result{Outcome: trigger.Failed, Error: err.Error()}
}

// ServeHTTP takes a trigger request as JSON and answers the result as JSON: the reference client
// behind the HTTP trigger an agency's system offers (internal/trigger.HTTP).
func (r *Reference) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	var req trigger.Request
	if err := json.NewDecoder(io.LimitReader(hr.Body, 256<<20)).Decode(&req); err != nil {
		http.Error(w, "trigger request: "+err.Error(), http.StatusBadRequest)
		return
	}
	res, err := r.Fire(hr.Context(), req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}
