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
	files, err := requestFiles(req, svc)
	if err != nil {
		return trigger.Result{}, err
	}
	c, closeClient, err := r.client(req)
	if err != nil {
		return trigger.Result{}, err
	}
	defer closeClient()
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
		err = followToResult(ctx, c, orderID, &res)
	case trigger.ThenCancel:
		err = cancelWhenAllowed(ctx, c, orderID, &res)
	}
	if err != nil {
		return failed(err), nil
	}
	return res, nil
}

// client is the reference client for one request: it trusts the contour's servers by the CA chain
// the request brings, as an agency's system is configured with the test contour's CA.
func (r *Reference) client(req trigger.Request) (*client.Client, func(), error) {
	roots := x509.NewCertPool()
	if req.CA != "" && !roots.AppendCertsFromPEM([]byte(req.CA)) {
		return nil, nil, errors.New("trigger request: ca holds no PEM certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	c := client.New(client.Config{ESIAURL: req.Auth, APIURL: req.Gateway, Identity: r.Identity, Mnemonic: r.Mnemonic,
		APIKey: []byte(req.APIKey), TSAURL: req.TSA, ChunkWindow: r.ChunkWindow, PollInterval: r.Poll, Defects: r.Defects,
		HTTPClient: &http.Client{Transport: tr, Timeout: 2 * time.Minute}})
	return c, tr.CloseIdleConnections, nil
}

// requestFiles are the archive's files: the business XML under the service's name for it, and the
// further files the request brings.
func requestFiles(req trigger.Request, svc archive.Service) (map[string][]byte, error) {
	files := map[string][]byte{svc.BusinessFile: []byte(req.Data)}
	for name, b64 := range req.Files {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("trigger request: file %s is not base64: %w", name, err)
		}
		files[name] = b
	}
	return files, nil
}

// followToResult follows the order to a final status and downloads its result files.
func followToResult(ctx context.Context, c *client.Client, orderID int64, res *trigger.Result) error {
	st, err := c.Follow(ctx, orderID, nil)
	if err != nil {
		return err
	}
	res.State = st.Code
	files, err := c.DownloadResult(ctx, orderID)
	if err != nil {
		return err
	}
	for _, f := range files {
		res.Answer += fmt.Sprintf("%s sha256:%x ", f.File.FileName, sha256.Sum256(f.Data))
	}
	res.Outcome = trigger.Answered
	return nil
}

// cancelWhenAllowed waits for a status that allows a cancel and cancels (EPGU-2.2).
func cancelWhenAllowed(ctx context.Context, c *client.Client, orderID int64, res *trigger.Result) error {
	allowed := func(st client.Status) bool {
		return st.Final() || st.Order != nil && st.Order.CurrentStatusHistory.CancelAllowed
	}
	if _, err := c.Follow(ctx, orderID, allowed); err != nil {
		return err
	}
	if err := c.Cancel(ctx, orderID); err != nil {
		return err
	}
	res.State = "cancelled"
	return nil
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
