package sed

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/simulators/smdo/router"
)

// SMDO-SEND, SMDO-FORMAT, SMDO-SIGN, SMDO-RECEIPT: a document of two files goes create → attach
// each → put the filled package → signs per file → send, and counts as sent with the router's
// receipt, which the client confirms.
func TestSendDocument(t *testing.T) {
	w := newWorld(t)
	c := New(w.config(w.agency))
	o := letter(w.registry)
	s, err := c.Send(within(t, 10*time.Second), o)
	if err != nil {
		t.Fatal(err)
	}
	got := opsOf(w.requests(w.agency.ID, "token", "create", "attach", "update", "signs", "send"))
	want := []string{"token", "create", "attach", "attach", "update", "signs", "signs", "send"}
	if !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if s.Receipt == nil || s.Receipt.From != "ROUTER" || s.Receipt.ErrorCode != 0 || s.Receipt.Refusal {
		t.Fatalf("receipt %+v, want the router's with errorcode 0", s.Receipt)
	}
	if s.IDNumber != "SMDO-AGENCY_1" {
		t.Errorf("idnumber %q, want SMDO-AGENCY_1", s.IDNumber)
	}
	if _, err := uuid.Parse(s.MsgID); err != nil {
		t.Errorf("msg_id %q: %v", s.MsgID, err)
	}
	p, env := w.bodyOf(s.PackageID)
	if p.State != "delivered" || p.MsgID != s.MsgID || p.From != w.agency.ID || !slices.Equal(p.To, []string{w.registry.ID}) {
		t.Errorf("package %s: state %q msg_id %q from %q to %v", p.ID, p.State, p.MsgID, p.From, p.To)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(env.DTStamp) {
		t.Errorf("dtstamp %q: want RFC 3339 in UTC without fractions", env.DTStamp)
	}
	if env.Type != "SDIP-2.1.1" || env.Header.MsgType != 1 || env.Header.MsgAcknow != 0 || env.Header.Sender.ID != w.agency.Code {
		t.Errorf("envelope %+v", env)
	}
	d := env.Body.Document
	if d == nil || len(d.DocTransfer) != 2 || len(p.Attachments) != 2 {
		t.Fatalf("document %+v with attachments %+v: want two of each", d, p.Attachments)
	}
	v := cms.Verifier{Roots: w.ca.Roots(), Intermediates: w.ca.Intermediates()}
	for i, tr := range d.DocTransfer {
		a, f := p.Attachments[i], o.Files[i]
		if tr.Name != f.Name || tr.Type != strings.ToLower(f.Name[strings.LastIndex(f.Name, "."):]) {
			t.Errorf("docTransfer %d: name %q type %q, want %q and its extension", i, tr.Name, tr.Type, f.Name)
		}
		if a.Name != tr.Data.ReferenceID || !bytes.Equal(a.Data, f.Data) {
			t.Errorf("attachment %d named %q (%d bytes), want the referenceid %q and the file's bytes", i, a.Name, len(a.Data), tr.Data.ReferenceID)
		}
		if len(a.Signs) != 1 || len(tr.Signature) != 1 {
			t.Fatalf("file %d: %d signs put, %d in its docTransfer; want 1 and 1", i, len(a.Signs), len(tr.Signature))
		}
		sig, err := base64.StdEncoding.DecodeString(tr.Signature[0].Value)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyDetached(sig, f.Data); err != nil {
			t.Errorf("file %d: the signature does not verify: %v", i, err)
		}
		if tr.Signature[0].Signer != w.ids[w.agency.ID].Certificate.Subject.CommonName || tr.Signature[0].KeyID == "" {
			t.Errorf("file %d: signature %+v", i, tr.Signature[0])
		}
	}
	// The receipt was taken and confirmed.
	if !slices.ContainsFunc(w.requests(w.agency.ID, "confirm"), func(r router.Request) bool { return r.Status == http.StatusNoContent }) {
		t.Error("the client confirmed nothing")
	}
	rp, _ := w.router.Package(s.Receipt.PackageID)
	if len(rp.Deliveries) != 1 || rp.Deliveries[0].Confirmed.IsZero() {
		t.Errorf("the receipt %s: deliveries %+v, want confirmed", s.Receipt.PackageID, rp.Deliveries)
	}
}

// SMDO-ACK: with AskAck the send waits for the receiver's registration notice; anything but
// "registered" is a *RegistrationRefusedError with the Sent, which ignore-refusal hides.
func TestSendAskAck(t *testing.T) {
	cases := []struct {
		name    string
		code    int
		defects []string
		refused bool
	}{
		{"registered", 0, nil, false},
		{"not subject to registration", 1, nil, true},
		{"refused", 2, nil, true},
		{"refused, reported as registered by ignore-refusal", 2, []string{DefectIgnoreRefusal}, false},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			w := newWorld(t)
			if err := w.router.SetScript(w.registry.ID, router.Script{ErrorCode: k.code, Reason: "нет оснований", RegNumber: "вх-1"}); err != nil {
				t.Fatal(err)
			}
			o := letter(w.registry)
			o.AskAck = true
			s, err := New(w.config(w.agency, k.defects...)).Send(within(t, 10*time.Second), o)
			var rr *RegistrationRefusedError
			if k.refused != errors.As(err, &rr) || (!k.refused && err != nil) {
				t.Fatalf("error %v, want a registration refusal: %v", err, k.refused)
			}
			if s.Receipt == nil || s.Registration == nil || s.Registration.ErrorCode != k.code ||
				s.Registration.From != w.registry.ID || s.Registration.AckType != AckRegistration {
				t.Fatalf("sent %+v, registration %+v: want the receipt and a registration notice with errorcode %d", s, s.Registration, k.code)
			}
			if k.refused && (rr.ErrorCode != k.code || rr.Notice.ErrorCode != k.code || rr.Reason != "нет оснований" || rr.PackageID != s.PackageID) {
				t.Errorf("refusal %+v", rr)
			}
			if _, env := w.bodyOf(s.PackageID); env.Header.MsgAcknow != 2 {
				t.Errorf("msg_acknow %d, want 2", env.Header.MsgAcknow)
			}
		})
	}
}

// SMDO-HALT: a negative answer at any stage stops the sequence there, and send is never asked;
// the ignore-refusal defect goes on and asks for it.
func TestSendHalts(t *testing.T) {
	cases := []struct {
		stage     router.Stage
		want      string
		after     []string // the calls that must not follow the refusal
		ignorable bool
	}{
		{router.StageCreate, StageCreate, []string{"attach", "update", "signs", "send"}, false},
		{router.StageAttach, StageAttach, []string{"update", "signs", "send"}, true},
		{router.StageSigns, StageSigns, []string{"send"}, true},
		{router.StageSend, StageSend, []string{"send"}, false},
	}
	for _, k := range cases {
		t.Run(string(k.stage), func(t *testing.T) {
			w := newWorld(t)
			w.router.RefuseNext(w.agency.ID, k.stage, 1)
			_, err := New(w.config(w.agency)).Send(within(t, 10*time.Second), letter(w.registry))
			var re *RefusedError
			if !errors.As(err, &re) || re.Stage != k.want || re.Status != http.StatusBadRequest || re.Message == "" {
				t.Fatalf("error %v, want the refusal at %s with the router's message", err, k.want)
			}
			calls := w.requests(w.agency.ID)
			i := slices.IndexFunc(calls, func(r router.Request) bool { return r.Injected })
			if i < 0 {
				t.Fatalf("no injected refusal in %v", opsOf(calls))
			}
			for _, r := range calls[i+1:] {
				if slices.Contains(k.after, r.Op) {
					t.Errorf("after the refusal of %s the client called %s (calls %v)", k.stage, r.Op, opsOf(calls))
				}
			}
			if !k.ignorable {
				return
			}
			w.router.RefuseNext(w.agency.ID, k.stage, 1)
			before := len(w.router.Requests())
			_, _ = New(w.config(w.agency, DefectIgnoreRefusal)).Send(within(t, 2*time.Second), letter(w.registry))
			var sent bool
			for _, r := range w.router.Requests()[before:] {
				sent = sent || (r.Subscriber == w.agency.ID && r.Op == "send")
			}
			if !sent {
				t.Errorf("with %s the client did not ask to send after the refusal of %s", DefectIgnoreRefusal, k.stage)
			}
		})
	}
}

// SMDO-NOTICE, SMDO-HALT: a fault the router finds after accepting the package (a document kind
// not in the directory) comes as a ROUTER notice, which ends the send as a refusal at "route".
func TestSendRefusedAfterSend(t *testing.T) {
	w := newWorld(t)
	o := letter(w.registry)
	o.Kind = "Меморандум о несуществующем"
	s, err := New(w.config(w.agency)).Send(within(t, 10*time.Second), o)
	var re *RefusedError
	if !errors.As(err, &re) || re.Stage != StageRoute || re.PackageID != s.PackageID || !strings.Contains(re.Message, "SMDO-") {
		t.Fatalf("error %v, want a refusal at route naming the rule", err)
	}
	if p, _ := w.router.Package(s.PackageID); p.State != "refused" {
		t.Errorf("package state %q, want refused", p.State)
	}
}

// SMDO-SIGN: the no-sig defect leaves the second file unsigned, and the router refuses to send.
func TestNoSig(t *testing.T) {
	w := newWorld(t)
	s, err := New(w.config(w.agency, DefectNoSig)).Send(within(t, 10*time.Second), letter(w.registry))
	var re *RefusedError
	if !errors.As(err, &re) || re.Stage != StageSend || re.Status != http.StatusBadRequest {
		t.Fatalf("error %v, want the refusal of send", err)
	}
	p, env := w.bodyOf(s.PackageID)
	if len(p.Attachments) != 2 || len(p.Attachments[0].Signs) != 1 || len(p.Attachments[1].Signs) != 0 {
		t.Fatalf("attachments %+v: want the first signed, the second not", p.Attachments)
	}
	if tr := env.Body.Document.DocTransfer; len(tr[0].Signature) != 1 || len(tr[1].Signature) != 0 {
		t.Errorf("docTransfer signatures %d and %d, want 1 and 0", len(tr[0].Signature), len(tr[1].Signature))
	}
}

// SMDO-RESTART: the next send starts no sooner than RestartPause after the previous one ended;
// fast-restart starts at once.
func TestRestartPause(t *testing.T) {
	const pause = time.Second
	for _, all := range []bool{false, true} {
		for _, defects := range [][]string{nil, {DefectFastRestart}} {
			t.Run(fmt.Sprintf("SendAll %v defects %v", all, defects), func(t *testing.T) {
				w := newWorld(t)
				cfg := w.config(w.agency, defects...)
				cfg.RestartPause = pause
				c := New(cfg)
				var ids []string
				if all {
					// A multiple send: the receipts are awaited after both documents went out.
					sent, err := c.SendAll(within(t, 10*time.Second), []Outgoing{letter(w.registry), letter(w.registry)})
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range sent {
						ids = append(ids, s.IDNumber)
					}
				}
				for range map[bool]int{false: 2, true: 0}[all] {
					s, err := c.Send(within(t, 10*time.Second), letter(w.registry))
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, s.IDNumber)
				}
				if !slices.Equal(ids, []string{"SMDO-AGENCY_1", "SMDO-AGENCY_2"}) {
					t.Errorf("idnumbers %v", ids)
				}
				calls := w.requests(w.agency.ID, "send", "create")
				if !slices.Equal(opsOf(calls), []string{"create", "send", "create", "send"}) {
					t.Fatalf("calls %v", opsOf(calls))
				}
				gap := calls[2].At.Sub(calls[1].At)
				if fast := len(defects) > 0; fast != (gap < pause) {
					t.Errorf("the second send started %s after the first ended (pause %s, fast-restart %v)", gap, pause, fast)
				}
			})
		}
	}
}

// SMDO-REPLY: a reply names the original in docParent and its package in parentId, and goes to
// the original's sender.
func TestReply(t *testing.T) {
	w := newWorld(t)
	ministry, agency := New(w.config(w.ministry)), New(w.config(w.agency))
	post(t, ministry, letter(w.agency))
	got, err := agency.ReceiveOnce(within(t, 5*time.Second))
	if err != nil || len(got) != 1 {
		t.Fatalf("received %d, %v; want the letter", len(got), err)
	}
	in := got[0]
	ctx := within(t, 10*time.Second)
	go func() { _, _ = ministry.Run(ctx) }() // the ministry confirms the reply
	reply := Outgoing{ReplyTo: &in, Kind: "Письмо", Title: "Ответ", Files: []File{{Name: "Ответ.pdf", Data: []byte("%PDF ответ")}}}
	s, err := agency.Send(ctx, reply)
	if err != nil {
		t.Fatal(err)
	}
	p, env := w.bodyOf(s.PackageID)
	dp := env.Body.Document.DocParent
	if p.ParentID != in.PackageID || !slices.Equal(p.To, []string{w.ministry.ID}) || dp == nil ||
		dp.IDNumber != in.IDNumber || dp.ParMsgID != in.MsgID || dp.LastMsgID != in.MsgID || dp.ParOrgID != w.ministry.Code {
		t.Fatalf("reply: parentId %q to %v docParent %+v; want parentId %q, to %s, docParent naming %s %s",
			p.ParentID, p.To, dp, in.PackageID, w.ministry.ID, in.IDNumber, in.MsgID)
	}
	if s.Receipt == nil || p.State != "delivered" {
		t.Errorf("reply state %q receipt %+v", p.State, s.Receipt)
	}
}

// SMDO-ADD: additional materials replacing a file name the document sent in referred.idnumber.
func TestAdditions(t *testing.T) {
	w := newWorld(t)
	c := New(w.config(w.agency))
	first, err := c.Send(within(t, 10*time.Second), letter(w.registry))
	if err != nil {
		t.Fatal(err)
	}
	add := Outgoing{To: []Party{w.registry}, Title: "Замена приложения", Adds: &Additions{AddType: ReplaceFile, Referred: first},
		Files: []File{{Name: "Приложение.docx", Data: []byte("PK приложение, новая редакция")}}}
	s, err := c.Send(within(t, 10*time.Second), add)
	if err != nil {
		t.Fatal(err)
	}
	p, env := w.bodyOf(s.PackageID)
	a := env.Body.AddDocuments
	if p.MsgType != 2 || env.Body.Document != nil || a == nil || len(a.Folder) != 1 {
		t.Fatalf("package msg_type %d body %+v: want additional materials", p.MsgType, env.Body)
	}
	f := a.Folder[0]
	if f.AddType != 2 || f.Referred.IDNumber != first.IDNumber || len(f.DocTransfer) != 1 ||
		f.DocTransfer[0].Data.ReferenceID != p.Attachments[0].Name || len(p.Attachments[0].Signs) != 1 {
		t.Errorf("folder %+v, attachments %+v", f, p.Attachments)
	}
	if s.IDNumber != "" || s.Receipt == nil {
		t.Errorf("sent %+v: want no idnumber and a receipt", s)
	}
}

// A configuration error (an unknown defect) is returned by every method.
func TestCheckDefects(t *testing.T) {
	if err := CheckDefects(KnownDefects); err != nil {
		t.Fatal(err)
	}
	for _, d := range KnownDefects {
		if DefectBreaks[d] == "" {
			t.Errorf("defect %s is not described", d)
		}
	}
	err := CheckDefects([]string{"no-sig", "late-poll"})
	if err == nil || !strings.Contains(err.Error(), "late-poll") {
		t.Fatalf("error %v, want late-poll named", err)
	}
	c := New(Config{RouterURL: "https://router.invalid/", Subscriber: agencyParty, Defects: []string{"late-poll"}})
	if _, err := c.Send(within(t, time.Second), letter(registryParty)); err == nil {
		t.Error("Send with an unknown defect did not fail")
	}
	if _, err := c.ReceiveOnce(within(t, time.Second)); err == nil {
		t.Error("ReceiveOnce with an unknown defect did not fail")
	}
}
