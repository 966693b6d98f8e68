package agency

import (
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/gospochta/post"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

func TestSendHoldsTheVerifiedReceipt(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	o := w.outgoing()
	sent, err := c.Send(ctxFor(t, 20*time.Second), o)
	if err != nil {
		t.Fatal(err)
	}
	if !sent.ReceiptVerified || sent.MessageID == "" || stateRank(sent.State) < stateRank(wire.StateDelivered) {
		t.Fatalf("sent %+v: want a verified receipt of a delivered message", sent)
	}
	if sent.Receipt.DocumentHash != wire.DocumentHash(o.Document) || sent.Receipt.Sender != testMnemonic {
		t.Errorf("receipt %+v: want the document's hash and the system as sender", sent.Receipt)
	}
	m, ok := w.post.Message(sent.MessageID)
	if !ok {
		t.Fatalf("message %s not in the service", sent.MessageID)
	}
	if !maps.Equal(m.Fields, o.PersonalData) { // GP-W-ENC: the fields open with the recipient's key
		t.Errorf("fields as opened %v, want %v", m.Fields, o.PersonalData)
	}
	if m.ReceiptFetches == 0 {
		t.Error("the service saw no receipt fetch")
	}
	// GP-W-AUDIT: every request of the send in the audit, each id once, all answered 2xx.
	audited := map[string]int{}
	for _, e := range w.post.Audit() {
		if e.Direction == post.DirectionIn {
			audited[e.RequestID] = e.Status
		}
	}
	if len(sent.RequestIDs) < 3 {
		t.Fatalf("request ids %v: want at least recipient, send and receipt", sent.RequestIDs)
	}
	for _, id := range sent.RequestIDs {
		if st, ok := audited[id]; !ok || st/100 != 2 {
			t.Errorf("request %s: audited %v with status %d", id, ok, st)
		}
	}
	if n := len(slices.Compact(slices.Sorted(slices.Values(sent.RequestIDs)))); n != len(sent.RequestIDs) {
		t.Errorf("request ids repeat: %v", sent.RequestIDs)
	}
	// GP-W-STATES: the pushes arrive verified and acknowledged; the read one comes after.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s, _ := c.notes.state(sent.MessageID); s == wire.StateRead {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s, _ := c.notes.state(sent.MessageID); s != wire.StateRead {
		t.Errorf("furthest state pushed %q, want read", s)
	}
	for _, n := range c.Notifications() {
		if !n.Verified {
			t.Errorf("notification %+v not verified", n)
		}
	}
}

func TestSendRefreshesAnExpiredToken(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	ctx := ctxFor(t, 20*time.Second)
	if _, err := c.Send(ctx, w.outgoing()); err != nil {
		t.Fatal(err)
	}
	w.esia.ExpireTokens(testMnemonic)
	if _, err := c.Send(ctx, w.outgoing()); err != nil {
		t.Fatalf("after ExpireTokens: %v", err)
	}
	var grants []string
	for _, e := range w.esia.Events() {
		if e.Outcome == esia.Issued {
			grants = append(grants, e.Grant)
		}
	}
	// GP-W-AUTH once by assertion, GP-W-REFRESH after the 401 token.expired, no second assertion.
	if want := []string{esia.GrantJWTBearer, esia.GrantRefreshToken}; !slices.Equal(grants, want) {
		t.Errorf("grants issued %v, want %v", grants, want)
	}
}

func TestSendDefectsAreRefused(t *testing.T) {
	cases := []struct {
		defect string
		status int
		code   string
	}{
		{DefectWrongRole, http.StatusForbidden, wire.CodeAccessDenied},
		{DefectBadHMAC, http.StatusUnauthorized, wire.CodeHMAC},
		{DefectTamperedCiphertext, http.StatusUnprocessableEntity, wire.CodeCiphertext},
		{DefectUnsigned, http.StatusUnprocessableEntity, wire.CodeUnsigned},
	}
	w := newWorld(t)
	for _, tc := range cases {
		t.Run(tc.defect, func(t *testing.T) {
			c := w.client(t, tc.defect)
			sent, err := c.Send(ctxFor(t, 10*time.Second), w.outgoing())
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tc.status || ae.Code != tc.code {
				t.Fatalf("err %v, want HTTP %d %s", err, tc.status, tc.code)
			}
			if sent.ReceiptVerified || len(sent.RequestIDs) == 0 {
				t.Errorf("sent %+v: want no receipt and the request ids", sent)
			}
		})
	}
}

func TestSendExpiredTokenDefectNeverRefreshes(t *testing.T) {
	w := newWorld(t)
	c := w.client(t, DefectExpiredToken)
	ctx := ctxFor(t, 20*time.Second)
	if _, err := c.Send(ctx, w.outgoing()); err != nil {
		t.Fatal(err)
	}
	w.esia.ExpireTokens(testMnemonic)
	_, err := c.Send(ctx, w.outgoing())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != wire.CodeTokenExpired {
		t.Fatalf("err %v, want 401 %s", err, wire.CodeTokenExpired)
	}
	// The same token twice after the expiry: the audit's TokenIDs of the refused ones are equal.
	var refused []string
	for _, e := range w.post.Audit() {
		if e.Code == wire.CodeTokenExpired {
			refused = append(refused, e.TokenID)
		}
	}
	if len(refused) != 2 || refused[0] != refused[1] {
		t.Errorf("token.expired refusals with tokens %v, want the same one twice", refused)
	}
	for _, e := range w.esia.Events() {
		if e.Grant == esia.GrantRefreshToken {
			t.Errorf("the defect refreshed: %+v", e)
		}
	}
}

func TestNotificationWithABadHMACIsNotBelieved(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	body := []byte(`{"messageId":"M-1","state":"delivered","at":"2026-12-10T12:00:00+03:00"}`)
	req, _ := http.NewRequest(http.MethodPost, w.notifier.URL+"/notify/"+testMnemonic, bytesReader(body))
	req.Header.Set(wire.HeaderRequestID, "5a0c3bb4-0c0e-4d3f-8a53-1f0f3f6c9c11")
	wire.SignPacket(randomKey(t), req, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
	if s, _ := c.notes.state("M-1"); s != "" {
		t.Errorf("state %q believed from an unverified push", s)
	}
	if n := c.Notifications(); len(n) != 1 || n[0].Verified {
		t.Errorf("notifications %+v: want the one, unverified", n)
	}
}

func TestSendFollowsByPollingWhenNoPushArrives(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	deaf := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(http.StatusServiceUnavailable) }))
	t.Cleanup(deaf.Close)
	o := w.outgoing()
	o.NotifyURL = deaf.URL + "/notify/" + testMnemonic
	sent, err := c.Send(ctxFor(t, 20*time.Second), o)
	if err != nil || !sent.ReceiptVerified {
		t.Fatalf("sent %+v, err %v", sent, err)
	}
	polls := 0
	for _, e := range w.post.Audit() {
		if e.Endpoint == "message" && e.Status == http.StatusOK {
			polls++
		}
	}
	if polls == 0 || len(c.Notifications()) != 0 {
		t.Errorf("%d polls and %d pushes: want the delivery learnt by polling", polls, len(c.Notifications()))
	}
}
