package load

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
)

// BenchmarkDirect is the rate of exchanges a direct load completes on all cores (exchanges/s)
// against a trivial owner in the same process, which answers every request from a template with a
// fresh messageId and responseDate, signed, and checks nothing: nearly all the work measured is the
// load's own (make and sign the request, send it, read the answer, check its schema and signature).
// It is what the load can drive when the owner costs next to nothing; a real owner on the same
// machine takes its share of the cores.
func BenchmarkDirect(b *testing.B) {
	ca, err := nca.New("shepconf NCA")
	if err != nil {
		b.Fatal(err)
	}
	caSrv, err := ca.Serve("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer caSrv.Close(context.Background())
	issue := func(cn, bin string) *pki.Identity {
		id, err := ca.Issue(nca.Subject{CommonName: cn, BIN: bin}, pki.ECDSAP256)
		if err != nil {
			b.Fatal(err)
		}
		return id
	}
	answers := freshRequests(issue("TRIVIAL_OWNER", "100000000002"), func(v []string) ([]byte, error) {
		var r envelope.SendMessageResponse
		r.Response.ResponseInfo = envelope.SyncMessageInfoResponse{MessageID: v[0], Status: envelope.StatusInfo{Code: "Success", Message: "OK"}}
		if err := r.Response.ResponseInfo.ResponseDate.UnmarshalText([]byte(v[1])); err != nil {
			return nil, err
		}
		r.Response.ResponseData = envelope.StringData("load")
		return envelope.Marshal(r)
	}, messageIDSlot, dateSlot)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		out, err := answers()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write(out)
	}))
	defer srv.Close()

	target, err := DirectTarget(Hop{Owner: System{ID: "TRIVIAL_OWNER", BIN: "100000000002", Endpoint: srv.URL + "/sync"},
		Gateway: issue("SHEP gateway", "100000000000"), Checker: &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()},
		SenderID: "LOAD_INITIATOR_SYS", ServiceID: "LOAD_SERVICE"})
	if err != nil {
		b.Fatal(err)
	}
	hop := newTransport(target.hop, 30*time.Second, 64)
	client := &http.Client{Transport: hop}
	var seq atomic.Uint64
	exchange := func() error {
		body, err := target.Envelope()
		if err != nil {
			return err
		}
		req, err := http.NewRequest(http.MethodPost, target.URL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		n := seq.Add(1)
		req.Header = http.Header{"Content-Type": {"text/xml; charset=utf-8"}, "SOAPAction": {`""`}, seqHeader: {strconv.FormatUint(n, 10)}}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if x, _ := hop.take(n); x.refused != "" || x.fault != "" {
			b.Fatalf("the trivial owner's answer refused: %s %s", x.fault, x.refused)
		}
		return nil
	}
	if err := exchange(); err != nil { // prepares both templates and the checker's OCSP answer
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := processCPU(b)
	b.SetParallelism(8) // requests in flight while others are made and checked
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := exchange(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, "exchange", cpu)
}
