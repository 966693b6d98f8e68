package interop

// The SMDO profile checked with a СЭД client that is not ours: smdo_client.py, Python's standard
// library and the openssl command, written from the router's wire contract (paths and JSON field
// names of working clients). shepconf serve --profile smdo runs as a real process, built from this
// module, with two subscribers the client plays in turn.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The two subscribers serve registers: A sends, B receives.
const (
	smdoSender   = "SMDO-A"
	smdoReceiver = "SMDO-B"
)

// needSMDOTools skips when the interpreter or openssl is missing on a developer's machine, and fails
// under CI, where a skipped interoperability check would pass unnoticed.
func needSMDOTools(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := os.Stat(python); err != nil {
		missing = append(missing, python)
	}
	if err := exec.Command("openssl", "version").Run(); err != nil {
		missing = append(missing, "openssl ("+err.Error()+")")
	}
	if len(missing) == 0 {
		return
	}
	msg := "the independent SMDO client needs " + strings.Join(missing, " and ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + ": the interoperability check did NOT run")
}

// smdoServe is a running shepconf serve --profile smdo process.
type smdoServe struct {
	*servedProcess
	router string
}

var routerLine = regexp.MustCompile(`^\s*Router:\s+(https://\S+)`)

// startSMDOServe runs serve on free ports with the subscribers given, and waits until it has
// printed the last one: it prints them once the router listens and their files are written.
func startSMDOServe(t *testing.T, subscribers ...string) *smdoServe {
	t.Helper()
	s := &smdoServe{}
	args := []string{"--listen", "127.0.0.1:0", "--listen-ca", "127.0.0.1:0", "--time-scale", "0.05"}
	for _, code := range subscribers {
		args = append(args, "--subscriber", code)
	}
	last := "subscriber " + subscribers[len(subscribers)-1] + " "
	s.servedProcess = startServe(t, "smdo", args, "subscribers",
		func(line string) bool { return strings.Contains(line, last) },
		func(line string) {
			if m := routerLine.FindStringSubmatch(line); m != nil {
				s.router = m[1]
			}
		})
	if s.router == "" {
		t.Fatalf("serve printed no router address:\n%s", s.printed.String())
	}
	t.Logf("serve is up: router %s\n%s", s.router, s.printed.String())
	return s
}

func (s *smdoServe) subscriber(code string) string {
	return filepath.Join(s.state, "subscribers", code)
}

// smdoRun is the JSON line smdo_client.py prints.
type smdoRun struct {
	OK         bool   `json:"ok"`
	Step       string `json:"step"`
	Error      string `json:"error"`
	Status     int    `json:"status"`
	Rule       string `json:"rule"`
	Field      string `json:"field"`
	OAuthError string `json:"oauthError"`
	PackageID  string `json:"packageId"`
	MsgID      string `json:"msgId"`
	State      string `json:"state"`
	To         struct {
		ID, Code string
	} `json:"to"`
	Attachments []struct {
		Name, ID string
		Size     int
		Signed   bool
	} `json:"attachments"`
	Received []struct {
		PackageID string `json:"packageId"`
		MsgID     string `json:"msgId"`
		From      string `json:"from"`
		Confirmed bool   `json:"confirmed"`
		Files     []struct {
			Name     string `json:"name"`
			Size     int    `json:"size"`
			SHA256   string `json:"sha256"`
			Signs    int    `json:"signs"`
			Verified bool   `json:"verified"`
			Named    bool   `json:"named"`
		} `json:"files"`
		Acks []struct {
			AckType   int    `json:"ackType"`
			ErrorCode int    `json:"errorcode"`
			PackageID string `json:"packageId"`
		} `json:"acks"`
	} `json:"received"`
	Notices []smdoNotice `json:"notices"`
	// StillListed are confirmed packages the router offered again (none expected).
	StillListed []string `json:"stillListed"`
}

type smdoNotice struct {
	PackageID string `json:"packageId"`
	From      string `json:"from"`
	ParentID  string `json:"parentId"`
	MsgID     string `json:"msgId"`
	AckType   int    `json:"ackType"`
	ErrorCode int    `json:"errorcode"`
	Value     string `json:"value"`
}

// runSMDOClient runs one command of smdo_client.py as a subscriber of s and returns its JSON line.
func runSMDOClient(t *testing.T, s *smdoServe, command, code string, extra ...string) (smdoRun, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"smdo_client.py", command, "--subscriber", s.subscriber(code), "--ca", filepath.Join(s.state, "ca-chain.pem"),
		"--wait", "60", "--poll", "0.2"}, extra...)
	cmd := exec.CommandContext(ctx, python, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("smdo_client.py did not run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var r smdoRun
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("smdo_client.py printed no JSON line (%v):\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("smdo_client.py %s as %s %s: exit %d\n%s%s", command, code, strings.Join(extra, " "), cmd.ProcessState.ExitCode(), stderr.String(), stdout.String())
	return r, cmd.ProcessState.ExitCode()
}

// credentialsID is the idAbonent serve gave a subscriber.
func credentialsID(t *testing.T, s *smdoServe, code string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(s.subscriber(code), "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cr struct {
		ID        string `json:"id"`
		RouterURL string `json:"routerURL"`
	}
	if err := json.Unmarshal(raw, &cr); err != nil || cr.ID == "" {
		t.Fatalf("credentials.json of %s: %v", code, err)
	}
	if cr.RouterURL != s.router {
		t.Errorf("credentials.json of %s names the router %s, serve printed %s", code, cr.RouterURL, s.router)
	}
	return cr.ID
}

// documentFiles writes the document's two files, the letter first and then an attachment.
func documentFiles(t *testing.T) (paths []string, digests map[string]string) {
	t.Helper()
	dir := t.TempDir()
	attachment := make([]byte, 200_000)
	if _, err := rand.Read(attachment); err != nil {
		t.Fatal(err)
	}
	digests = map[string]string{}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"Письмо.pdf", []byte("%PDF-1.4\n% письмо о проверке сопряжения\n%%EOF\n")},
		{"Приложение.docx", attachment},
	} {
		name, data := f.name, f.data
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		paths, digests[name] = append(paths, p), hex.EncodeToString(sum[:])
	}
	return paths, digests
}

// Subscriber A sends subscriber B a document with two signed files asking for acknowledgement; B
// takes it, checks the signatures, confirms it and answers with a delivery and a registration
// notice; A sees the router's delivery receipt and B's registration notice come back and confirms
// them. A package with an unsigned file, a tampered signature and a wrong password are refused.
// serve then stops cleanly on SIGTERM.
func TestSMDOIndependentClient(t *testing.T) {
	needSMDOTools(t)
	s := startSMDOServe(t, smdoSender, smdoReceiver)
	idA, idB := credentialsID(t, s, smdoSender), credentialsID(t, s, smdoReceiver)
	paths, digests := documentFiles(t)
	fileArgs := []string{"--file", paths[0], "--file", paths[1]}

	t.Run("document with two files and both notices", func(t *testing.T) {
		sent, code := runSMDOClient(t, s, "send", smdoSender, append([]string{"--to", smdoReceiver, "--ask-ack"}, fileArgs...)...)
		if code != 0 || !sent.OK {
			t.Fatalf("send exited %d at step %q: %s", code, sent.Step, sent.Error)
		}
		// SMDO-DIR: the receiver found in the subscriber directory by its smdoCode.
		if sent.To.ID != idB || len(sent.Attachments) != 2 || sent.PackageID == "" {
			t.Fatalf("sent to %+v with %d attachments: want idAbonent %s and 2 files", sent.To, len(sent.Attachments), idB)
		}

		got, code := runSMDOClient(t, s, "receive", smdoReceiver, "--expect", "1", "--registration", "0")
		if code != 0 || !got.OK {
			t.Fatalf("receive exited %d at step %q: %s", code, got.Step, got.Error)
		}
		if len(got.Received) != 1 {
			t.Fatalf("B received %d documents, want 1", len(got.Received))
		}
		doc := got.Received[0]
		if doc.MsgID != sent.MsgID || doc.From != idA || !doc.Confirmed {
			t.Errorf("B took msg_id %s from %s (confirmed %v): want %s from %s, confirmed", doc.MsgID, doc.From, doc.Confirmed, sent.MsgID, idA)
		}
		// SMDO-SIGN: each file arrives as sent, with a signature that verifies against the CA chain.
		if len(doc.Files) != 2 {
			t.Fatalf("B downloaded %d files, want 2", len(doc.Files))
		}
		for _, f := range doc.Files {
			if f.SHA256 != digests[f.Name] || f.Signs != 1 || !f.Verified || !f.Named {
				t.Errorf("file %s: sha256 %s (sent %s), %d signs, verified %v, named by a docTransfer %v", f.Name, f.SHA256, digests[f.Name], f.Signs, f.Verified, f.Named)
			}
		}
		// SMDO-ACK: a delivery notice, then a registration notice.
		if len(doc.Acks) != 2 || doc.Acks[0].AckType != 1 || doc.Acks[1].AckType != 2 {
			t.Errorf("B's notices %+v: want ack_type 1 then 2", doc.Acks)
		}
		// SMDO-CONFIRM: a confirmed package is not offered again.
		if len(got.StillListed) != 0 {
			t.Errorf("confirmed packages still listed for B: %v", got.StillListed)
		}

		back, code := runSMDOClient(t, s, "inbox", smdoSender, "--msg-id", sent.MsgID)
		if code != 0 || !back.OK {
			t.Fatalf("inbox exited %d at step %q: %s", code, back.Step, back.Error)
		}
		var receipt, registration *smdoNotice
		for i, n := range back.Notices {
			switch {
			case n.MsgID == sent.MsgID && n.From == "ROUTER" && n.AckType == 1:
				receipt = &back.Notices[i]
			case n.MsgID == sent.MsgID && n.From == idB && n.AckType == 2:
				registration = &back.Notices[i]
			}
		}
		// SMDO-RECEIPT: the router's receipt names the package sent.
		if receipt == nil || receipt.ErrorCode != 0 || receipt.ParentID != sent.PackageID {
			t.Errorf("router's delivery receipt %+v: want one from ROUTER, errorcode 0, parentId %s", receipt, sent.PackageID)
		}
		if registration == nil || registration.ErrorCode != 0 || registration.ParentID != sent.PackageID {
			t.Errorf("registration notice %+v: want one from %s, errorcode 0, parentId %s", registration, idB, sent.PackageID)
		}
		if len(back.StillListed) != 0 {
			t.Errorf("confirmed notices still listed for A: %v", back.StillListed)
		}
	})

	// The counterpart the router plays confirms and registers what it gets (SMDO-ACK), so one СЭД
	// alone sees the whole exchange come back.
	t.Run("the counterpart answers", func(t *testing.T) {
		sent, code := runSMDOClient(t, s, "send", smdoSender, "--to", "SMDO-COUNTERPART", "--ask-ack", "--file", paths[0])
		if code != 0 || !sent.OK {
			t.Fatalf("send exited %d at step %q: %s", code, sent.Step, sent.Error)
		}
		back, code := runSMDOClient(t, s, "inbox", smdoSender, "--msg-id", sent.MsgID)
		if code != 0 || !back.OK {
			t.Fatalf("inbox exited %d at step %q: %s", code, back.Step, back.Error)
		}
		registered := false
		for _, n := range back.Notices {
			registered = registered || (n.From == sent.To.ID && n.AckType == 2 && n.ErrorCode == 0 && n.ParentID == sent.PackageID)
		}
		if !registered {
			t.Errorf("notices %+v: want the counterpart's registration notice for package %s", back.Notices, sent.PackageID)
		}
	})

	t.Run("unsigned file refused before sending", func(t *testing.T) {
		r, code := runSMDOClient(t, s, "send", smdoSender, append([]string{"--to", smdoReceiver, "--unsigned", "Приложение.docx"}, fileArgs...)...)
		if code == 0 || r.OK {
			t.Fatal("the router sent a package with an unsigned file")
		}
		var unsigned string
		for _, a := range r.Attachments {
			if !a.Signed {
				unsigned = a.ID
			}
		}
		names := strings.Contains(r.Error, "Приложение.docx") || (unsigned != "" && strings.Contains(r.Error+r.Field, unsigned))
		if r.Step != "send/send" || r.Status != 400 || r.Rule != "SMDO-SIGN" || !names {
			t.Errorf("step %q, HTTP %d, rule %q, field %q: want the send refused 400 under SMDO-SIGN naming the attachment: %s", r.Step, r.Status, r.Rule, r.Field, r.Error)
		}
	})

	t.Run("tampered signature refused", func(t *testing.T) {
		r, code := runSMDOClient(t, s, "send", smdoSender, append([]string{"--to", smdoReceiver, "--tamper", "Письмо.pdf"}, fileArgs...)...)
		if code == 0 || r.OK {
			t.Fatal("the router took a signature that does not verify")
		}
		if r.Step != "send/signs" || r.Status != 400 || r.Rule != "SMDO-SIGN" {
			t.Errorf("step %q, HTTP %d, rule %q: want the signature refused 400 under SMDO-SIGN: %s", r.Step, r.Status, r.Rule, r.Error)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		r, code := runSMDOClient(t, s, "send", smdoSender, append([]string{"--to", smdoReceiver, "--password", "not-the-password"}, fileArgs...)...)
		if code == 0 || r.OK {
			t.Fatal("the router gave a token for a wrong password")
		}
		if r.Step != "token" || r.Status != 401 || r.OAuthError != "invalid_client" {
			t.Errorf("step %q, HTTP %d, error %q: want the token refused 401 invalid_client: %s", r.Step, r.Status, r.OAuthError, r.Error)
		}
	})

	if err := s.stop(); err != nil {
		t.Errorf("serve after SIGTERM: %v (want exit status 0)\n%s", err, s.stderr.String())
	}
}
