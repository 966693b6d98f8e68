package interop

// The EPGU profile checked with a client that is not ours: epgu_client.py, Python's standard library
// and the openssl command, written from the specification of the EPGU API and from what real clients
// send to ESIA's API-key token service. shepconf serve --profile epgu runs as a real process, built
// from this module, with the walkthrough's real FSSP service 60010153 (read from ../shared/upstream,
// never copied into the project).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/upstreamtest"
)

// The walkthrough's service: FSSP «Предоставление информации о наличии исполнительного производства
// онлайн», transport req.xml, business piev_epgu.xml against piev_epgu.xsd.
const (
	fsspCode   = "60010153"
	fsspTarget = "-60010153"
	epguSystem = "AGENCY_IS" // the system serve registers by default
)

// needEPGUTools skips when the interpreter or openssl is missing on a developer's machine, and fails
// under CI, where a skipped interoperability check would pass unnoticed.
func needEPGUTools(t *testing.T) {
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
	msg := "the independent EPGU client needs " + strings.Join(missing, " and ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + ": the interoperability check did NOT run")
}

// fsspService is a service folder for serve --service: the upstream schema beside a service.yaml.
// Signatures are off: openssl alone cannot add the RFC 3161 time stamp the portal wants (CAdES-T).
func fsspService(t *testing.T, upstream string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fssp-"+fsspCode)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	xsd, err := os.ReadFile(filepath.Join(upstream, "piev_epgu.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf("code: %q\ntargetCodes: [%q]\ntransportFile: req.xml\nbusinessFile: piev_epgu.xml\nschema: piev_epgu.xsd\nsignatures: false\n",
		fsspCode, fsspTarget)
	for name, data := range map[string][]byte{"piev_epgu.xsd": xsd, "service.yaml": []byte(yaml)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// epguServe is a running shepconf serve --profile epgu process.
type epguServe struct {
	*servedProcess
	esia, api string
}

var urlLine = regexp.MustCompile(`^\s*(ESIA|EPGU API):\s+(https://\S+)`)

// startEPGUServe runs serve on free ports (127.0.0.1:0) and waits for the addresses it prints: it
// prints them once its servers listen and the systems' files are written.
func startEPGUServe(t *testing.T, service string) *epguServe {
	t.Helper()
	s := &epguServe{}
	s.servedProcess = startServe(t, "epgu", []string{"--time-scale", "0.05",
		"--listen-esia", "127.0.0.1:0", "--listen-api", "127.0.0.1:0", "--listen-ca", "127.0.0.1:0", "--service", service}, "addresses",
		func(line string) bool { return strings.Contains(line, "system "+epguSystem+":") },
		func(line string) {
			if m := urlLine.FindStringSubmatch(line); m != nil {
				if m[1] == "ESIA" {
					s.esia = m[2]
				} else {
					s.api = m[2]
				}
			}
		})
	if s.esia == "" || s.api == "" {
		t.Fatalf("serve printed no ESIA or EPGU API address:\n%s", s.printed.String())
	}
	t.Logf("serve is up: ESIA %s, EPGU API %s", s.esia, s.api)
	return s
}

// epguRun is the JSON line epgu_client.py prints.
type epguRun struct {
	OK       bool   `json:"ok"`
	Step     string `json:"step"`
	Error    string `json:"error"`
	Status   int    `json:"status"`
	Code     string `json:"code"`
	ESIACode string `json:"esiaCode"`
	Chunk    *int   `json:"chunk"`
	OrderID  int64  `json:"orderId"`
	Archive  struct {
		Bytes          int      `json:"bytes"`
		Files          []string `json:"files"`
		OrderIDWritten bool     `json:"orderIdWritten"`
	} `json:"archive"`
	Chunks []struct {
		Chunk, Chunks, Bytes, Status int
	} `json:"chunks"`
	Processing []string `json:"processing"`
	Statuses   []int    `json:"statuses"`
	Result     struct {
		FileName   string            `json:"fileName"`
		Link       string            `json:"link"`
		ObjectID   int64             `json:"objectId"`
		ObjectType int               `json:"objectType"`
		Mnemonic   string            `json:"mnemonic"`
		Size       int               `json:"size"`
		SHA256     string            `json:"sha256"`
		Entries    []string          `json:"entries"`
		Paths      map[string]string `json:"paths"`
	} `json:"result"`
	Seconds float64 `json:"seconds"`
}

// runEPGUClient runs epgu_client.py against s with the walkthrough's sample files and returns its
// JSON line, its progress (stderr) and its exit status.
func runEPGUClient(t *testing.T, s *epguServe, upstream string, extra ...string) (epguRun, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"epgu_client.py", "--esia", s.esia, "--api", s.api, "--state", s.state, "--system", epguSystem,
		"--service-code", fsspCode, "--target-code", fsspTarget,
		"--transport", filepath.Join(upstream, "req.xml"), "--business", filepath.Join(upstream, "piev_epgu.xml")}, extra...)
	cmd := exec.CommandContext(ctx, python, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("epgu_client.py did not run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var r epguRun
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("epgu_client.py printed no JSON line (%v):\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("epgu_client.py %s: exit %d\n%s%s", strings.Join(extra, " "), cmd.ProcessState.ExitCode(), stderr.String(), stdout.String())
	return r, stderr.String(), cmd.ProcessState.ExitCode()
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// An agency's client written against the specification alone gets a token for its API key, pushes a
// chunked archive of the real FSSP service and downloads the result at the 1.13 and 1.12 paths; a
// forged API-key signature and a chunk out of order are refused. serve then stops cleanly on SIGTERM.
func TestEPGUIndependentClient(t *testing.T) {
	needEPGUTools(t)
	upstream := filepath.Join(upstreamtest.Dir(t), "epgu", "fssp-"+fsspCode)
	s := startEPGUServe(t, fsspService(t, upstream))

	t.Run("chunked push and download", func(t *testing.T) {
		r, _, code := runEPGUClient(t, s, upstream)
		if code != 0 || !r.OK {
			t.Fatalf("epgu_client.py exited %d at step %q: %s", code, r.Step, r.Error)
		}
		if r.OrderID <= 0 || !r.Archive.OrderIDWritten {
			t.Errorf("orderId %d, order number written into req.xml %v: want a number written in", r.OrderID, r.Archive.OrderIDWritten)
		}
		// EPGU-2.1.3: chunk 0 of exactly 5 000 000 bytes answered 206, the last chunk 200.
		if len(r.Chunks) != 2 || r.Chunks[0].Chunk != 0 || r.Chunks[0].Bytes != 5000000 || r.Chunks[0].Status != 206 ||
			r.Chunks[1].Chunk != 1 || r.Chunks[1].Status != 200 {
			t.Errorf("chunks %+v: want chunk 0 (5000000 bytes) → 206, chunk 1 → 200", r.Chunks)
		}
		// EPGU-A1: the processing ends DONE; the order's history starts at the draft (0).
		if n := len(r.Processing); n == 0 || r.Processing[n-1] != "DONE" {
			t.Errorf("processing statuses %v: want them to end DONE", r.Processing)
		}
		if len(r.Statuses) < 2 || r.Statuses[0] != 0 {
			t.Errorf("order statuses %v: want the draft 0 first and the agency's statuses after", r.Statuses)
		}
		// EPGU-4, EPGU-1.13: the result by currentStatusHistoryId, objectType 3 and the link's mnemonic.
		res := r.Result
		wantLink := fmt.Sprintf("terrabyte://00/%d/%s/3", r.OrderID, res.Mnemonic)
		if res.Link != wantLink || res.ObjectType != 3 || res.ObjectID <= 0 || res.ObjectID == r.OrderID {
			t.Errorf("result link %q objectId %d objectType %d: want %q and the currentStatusHistoryId", res.Link, res.ObjectID, res.ObjectType, wantLink)
		}
		if res.Size == 0 || !sha256Hex.MatchString(res.SHA256) || len(res.Entries) == 0 {
			t.Errorf("result %d bytes, sha256 %q, entries %v: want a non-empty zip", res.Size, res.SHA256, res.Entries)
		}
		for _, v := range []string{"1.13", "1.12"} {
			if res.Paths[v] == "" {
				t.Errorf("no download at the %s path: %v", v, res.Paths)
			}
		}
	})

	// ESIA-B12: the key's signature must verify for a certificate registered for the system.
	for _, c := range []struct {
		name, flag string
		codes      []string
	}{
		{"tampered API key signature", "--tamper-signature", []string{"ESIA-007053"}},
		// A certificate from another CA: the signature does not verify to a trusted chain (007053) or
		// names no certificate of the system (007002); either refuses.
		{"API key signed by an unregistered key", "--foreign-key", []string{"ESIA-007053", "ESIA-007002"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, progress, code := runEPGUClient(t, s, upstream, c.flag)
			if code == 0 || r.OK {
				t.Fatalf("epgu_client.py %s succeeded: ESIA gave a token for a signature it must refuse", c.flag)
			}
			if r.Step != "token" || r.Status != 400 || !slices.Contains(c.codes, r.ESIACode) || !strings.Contains(progress, r.ESIACode) {
				t.Errorf("step %q, HTTP %d, ESIA code %q: want the token refused 400 with one of %v, named in the message:\n%s",
					r.Step, r.Status, r.ESIACode, c.codes, progress)
			}
		})
	}

	// EPGU-2.1.3: the first chunk first; the last chunk sent first is refused.
	t.Run("last chunk first", func(t *testing.T) {
		r, _, code := runEPGUClient(t, s, upstream, "--last-chunk-first")
		if code == 0 || r.OK {
			t.Fatal("epgu_client.py --last-chunk-first succeeded: the API accepted the last chunk first")
		}
		if r.Step != "push/chunked" || r.Status != 400 || r.Code != "bad_request" || r.Chunk == nil || *r.Chunk != 1 {
			t.Errorf("step %q, HTTP %d, code %q, chunk %v: want chunk 1 of 2 refused 400 bad_request (%s)", r.Step, r.Status, r.Code, r.Chunk, r.Error)
		}
	})

	start := time.Now()
	err := s.stop()
	took := time.Since(start)
	if err != nil {
		t.Errorf("serve after SIGTERM: %v (want exit status 0)\n%s", err, s.stderr.String())
	}
	t.Logf("serve stopped %s after SIGTERM", took.Round(time.Millisecond))
}
