package interop

// The Gospochta profile checked with a client that is not ours: gospochta_client.py, Python's
// standard library, the openssl command and the cryptography module for AES-256-GCM, written from
// the wire contract of the README. shepconf serve --profile gospochta runs as a real process, built
// from this module, with RSA keys, and the client plays its default system.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// gospochtaSystem is the system serve registers by default (steps/gospochta's DefaultMnemonic).
const gospochtaSystem = "GP_AGENCY"

// forgedScan begins the names of the sample scans whose signature is over other bytes (README).
const forgedScan = "skan-konverta-"

// needGospochtaTools skips when the interpreter, openssl or the cryptography module is missing on a
// developer's machine, and fails under CI, where a skipped interoperability check would pass
// unnoticed.
func needGospochtaTools(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := os.Stat(python); err != nil {
		missing = append(missing, python)
	} else if out, err := exec.Command(python, "-c", "from cryptography.hazmat.primitives.ciphers.aead import AESGCM").CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		missing = append(missing, "the cryptography module for AES-256-GCM (Debian python3-cryptography; scripts/deps installs it: "+lines[len(lines)-1]+")")
	}
	if err := exec.Command("openssl", "version").Run(); err != nil {
		missing = append(missing, "openssl ("+err.Error()+")")
	}
	if len(missing) == 0 {
		return
	}
	msg := "the independent Gospochta client needs " + strings.Join(missing, " and ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + ": the interoperability check did NOT run")
}

// gospochtaServe is a running shepconf serve --profile gospochta process.
type gospochtaServe struct {
	*servedProcess
	url string
}

var contourLine = regexp.MustCompile(`^\s*Contour:\s+(https://\S+)`)

// startGospochtaServe runs serve on free ports and waits until it has printed the system: it prints
// it once the contour listens and the system's files are written. At time scale 0.001 a search task
// is ready after 3.6 s and a message delivered after 30 ms.
func startGospochtaServe(t *testing.T) *gospochtaServe {
	t.Helper()
	s := &gospochtaServe{}
	s.servedProcess = startServe(t, "gospochta", []string{"--listen", "127.0.0.1:0", "--listen-ca", "127.0.0.1:0",
		"--time-scale", "0.001", "--key-algorithm", "rsa-2048"}, "system",
		func(line string) bool { return strings.Contains(line, "system "+gospochtaSystem+" ") },
		func(line string) {
			if m := contourLine.FindStringSubmatch(line); m != nil {
				s.url = m[1]
			}
		})
	if s.url == "" {
		t.Fatalf("serve printed no contour address:\n%s", s.printed.String())
	}
	t.Logf("serve is up: contour %s\n%s", s.url, s.printed.String())
	return s
}

// gospochtaRun is the JSON line gospochta_client.py prints.
type gospochtaRun struct {
	OK     bool   `json:"ok"`
	Step   string `json:"step"`
	Error  string `json:"error"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	// read
	States  []string `json:"states"`
	Fetches int      `json:"fetches"`
	Total   int      `json:"total"`
	Pages   int      `json:"pages"`
	Read    []struct {
		MessageUUID string `json:"messageUuid"`
		IsRead      bool   `json:"isRead"`
		ReadStatus  bool   `json:"readStatus"`
		Files       []struct {
			FileName    string `json:"fileName"`
			Status      string `json:"status"`
			Signed      bool   `json:"signed"`
			SizeMatches bool   `json:"sizeMatches"`
			SigType     string `json:"sigType"`
			Verified    bool   `json:"verified"`
			SigStatus   int    `json:"sigStatus"`
			FileStatus  int    `json:"fileStatus"`
		} `json:"files"`
	} `json:"read"`
	// send
	Assertion struct {
		Alg string `json:"alg"`
	} `json:"assertion"`
	Refresh struct {
		Rotated      bool   `json:"rotated"`
		SpentRefused int    `json:"spentRefused"`
		SpentError   string `json:"spentError"`
	} `json:"refresh"`
	MessageID     string `json:"messageId"`
	Notifications []struct {
		State     string `json:"state"`
		HMACValid bool   `json:"hmacValid"`
	} `json:"notifications"`
	MessageStates []string `json:"messageStates"`
	Receipt       struct {
		Verified     bool   `json:"verified"`
		MessageID    string `json:"messageId"`
		DocumentHash string `json:"documentHash"`
		Sender       string `json:"sender"`
	} `json:"receipt"`
	Registry struct {
		MessageID string `json:"messageId"`
		Sender    string `json:"sender"`
	} `json:"registry"`
	Accepted struct {
		DocumentHash string `json:"documentHash"`
	} `json:"accepted"`
	RequestIDs []string `json:"requestIds"`
}

// runGospochtaClient runs one command of gospochta_client.py as the default system of s and returns
// its JSON line.
func runGospochtaClient(t *testing.T, s *gospochtaServe, command string, extra ...string) (gospochtaRun, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"gospochta_client.py", command, "--system", filepath.Join(s.state, "systems", gospochtaSystem),
		"--ca", filepath.Join(s.state, "ca-chain.pem"), "--wait", "60"}, extra...)
	cmd := exec.CommandContext(ctx, python, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("gospochta_client.py did not run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var r gospochtaRun
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("gospochta_client.py printed no JSON line (%v):\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("gospochta_client.py %s %s: exit %d\n%s%s", command, strings.Join(extra, " "), cmd.ProcessState.ExitCode(), stderr.String(), stdout.String())
	return r, cmd.ProcessState.ExitCode()
}

// The system reads its organisation's Gospochta through the published API (a day's search, its
// task followed within the quota, every page, every card, every signed attachment verified with
// openssl), sends a legally significant message through the walkthrough's API (a JWT-assertion
// token refreshed, the recipient's key, AES-256-GCM fields, a CMS-signed document, the HMAC of every
// packet) and takes the delivered and read pushes, the signed receipt and the registry entry. A
// two-day search, a packet with a wrong HMAC, a token of a role that may not send and a connection
// without a client certificate are refused with the codes of the contract. serve then stops
// cleanly on SIGTERM.
func TestGospochtaIndependentClient(t *testing.T) {
	needGospochtaTools(t)
	s := startGospochtaServe(t)

	t.Run("read the organisation's mail", func(t *testing.T) {
		r, code := runGospochtaClient(t, s, "read", "--limit", "2", "--poll", "1")
		if code != 0 || !r.OK {
			t.Fatalf("read exited %d at step %q: %s", code, r.Step, r.Error)
		}
		// GP-R-TASK, GP-R-PAGE, GP-R-QUOTA: the task completes, is paged through, within 15 fetches.
		if len(r.States) == 0 || r.States[len(r.States)-1] != "COMPLETED" || r.Total < 5 || r.Pages < 3 || r.Fetches > 15 {
			t.Errorf("search: states %v, %d messages in %d pages, %d fetches: want COMPLETED, the 5 notices of two hours ago over pages of 2, at most 15 fetches",
				r.States, r.Total, r.Pages, r.Fetches)
		}
		var verified, deleted, unsigned int
		for _, m := range r.Read {
			// GP-R-LEGAL: opening the card marks it read.
			if !m.IsRead || !m.ReadStatus {
				t.Errorf("card %s opened: isRead %v, READ status %v", m.MessageUUID, m.IsRead, m.ReadStatus)
			}
			for _, f := range m.Files {
				switch {
				case f.Status == "READY" && f.Signed:
					// GP-R-SIG, GP-R-CARD: the file as announced, its signature as application/pkcs7-signature,
					// valid, except the sample's scans, signed over other bytes on purpose.
					forged := strings.HasPrefix(f.FileName, forgedScan)
					if !f.SizeMatches || f.SigType != "application/pkcs7-signature" || f.Verified == forged {
						t.Errorf("signed file %s of %s: size matches %v, sig type %q, verified %v (forged on purpose %v)",
							f.FileName, m.MessageUUID, f.SizeMatches, f.SigType, f.Verified, forged)
					}
					if !forged {
						verified++
					}
				case f.Status == "READY":
					if f.SigStatus != 404 {
						t.Errorf("the signature of an unsigned file of %s: HTTP %d, want 404", m.MessageUUID, f.SigStatus)
					}
					unsigned++
				case f.Status == "DELETED":
					if f.FileStatus != 410 {
						t.Errorf("a deleted file of %s: HTTP %d, want 410", m.MessageUUID, f.FileStatus)
					}
					deleted++
				}
			}
		}
		if verified < 5 || deleted == 0 || unsigned == 0 {
			t.Errorf("%d signed files verified, %d deleted, %d unsigned: want the sample mail's mix", verified, deleted, unsigned)
		}
	})

	t.Run("a two-day search refused", func(t *testing.T) {
		r, code := runGospochtaClient(t, s, "read", "--days", "2", "--poll", "1")
		if code == 0 || r.OK {
			t.Fatal("the reading API took a search of two days")
		}
		if r.Step != "search" || r.Status != 422 || r.Code != "search-messages.range.exceeded" {
			t.Errorf("step %q, HTTP %d, code %q: want the search refused 422 search-messages.range.exceeded (GP-R-RANGE): %s", r.Step, r.Status, r.Code, r.Error)
		}
	})

	t.Run("send a court notice", func(t *testing.T) {
		r, code := runGospochtaClient(t, s, "send")
		if code != 0 || !r.OK {
			t.Fatalf("send exited %d at step %q: %s", code, r.Step, r.Error)
		}
		// GP-W-AUTH, GP-W-REFRESH: an RS256 assertion; the refresh rotates, the spent token is refused.
		if r.Assertion.Alg != "RS256" || !r.Refresh.Rotated || r.Refresh.SpentRefused != 400 || r.Refresh.SpentError != "invalid_grant" {
			t.Errorf("tokens: assertion %s, refresh %+v: want RS256, a rotated refresh token and the spent one refused 400 invalid_grant", r.Assertion.Alg, r.Refresh)
		}
		// GP-W-STATES: delivered and read pushed, each with a valid HMAC.
		states := map[string]bool{}
		for _, n := range r.Notifications {
			states[n.State] = true
			if !n.HMACValid {
				t.Errorf("the %s notification's X-Packet-HMAC does not verify with the system's key", n.State)
			}
		}
		if !states["delivered"] || !states["read"] {
			t.Errorf("notifications %+v: want delivered and read", r.Notifications)
		}
		if strings.Join(r.MessageStates, ",") != "sent,delivered,read" {
			t.Errorf("the message's states %v, want sent, delivered, read", r.MessageStates)
		}
		// GP-W-RECEIPT, GP-W-SIGN: the receipt is signed and names the message and the document.
		if !r.Receipt.Verified || r.Receipt.MessageID != r.MessageID || r.Receipt.DocumentHash != r.Accepted.DocumentHash || r.Receipt.Sender != gospochtaSystem {
			t.Errorf("receipt %+v for message %s, document %s", r.Receipt, r.MessageID, r.Accepted.DocumentHash)
		}
		if r.Registry.MessageID != r.MessageID || r.Registry.Sender != gospochtaSystem {
			t.Errorf("registry entry %+v: want message %s from %s", r.Registry, r.MessageID, gospochtaSystem)
		}
		// GP-W-AUDIT: every request its own id.
		seen := map[string]bool{}
		for _, id := range r.RequestIDs {
			if seen[id] {
				t.Errorf("request id %s used twice", id)
			}
			seen[id] = true
		}
	})

	for name, c := range map[string]struct {
		args       []string
		step       string
		status     int
		code, rule string
	}{
		"a packet with a wrong HMAC": {[]string{"--bad-hmac"}, "messages", 401, "packet.hmac", "GP-W-HMAC"},
		"a role that may not send":   {[]string{"--role", "client"}, "recipient", 403, "access.denied", "GP-W-ROLE"},
		"no TLS client certificate":  {[]string{"--no-client-cert"}, "recipient", 401, "tls.client-certificate", "GP-W-MTLS"},
	} {
		t.Run(name, func(t *testing.T) {
			r, code := runGospochtaClient(t, s, "send", c.args...)
			if code == 0 || r.OK {
				t.Fatalf("the sending API took it (%s)", c.rule)
			}
			if r.Step != c.step || r.Status != c.status || r.Code != c.code {
				t.Errorf("step %q, HTTP %d, code %q: want step %q refused %d %s (%s): %s", r.Step, r.Status, r.Code, c.step, c.status, c.code, c.rule, r.Error)
			}
		})
	}

	if err := s.stop(); err != nil {
		t.Errorf("serve after SIGTERM: %v (want exit status 0)\n%s", err, s.stderr.String())
	}
}
