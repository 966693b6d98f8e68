package client

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/upstreamtest"
)

// Every defect visibly changes the traffic: the same scenario run well-behaved does not show the
// fault, run with the defect it does.
func TestDefects(t *testing.T) {
	submit := func(chunked bool) func(*testing.T, *fake, *Client) {
		return func(t *testing.T, f *fake, c *Client) {
			s := submission(t)
			if chunked {
				s.Files["scan.bin"] = bigAttachment()
				s.Chunked = true
			}
			c.Submit(context.Background(), s)
		}
	}
	for _, tc := range []struct {
		defect string
		setup  func(*fake, *Config)
		run    func(*testing.T, *fake, *Client)
		// shows reports whether the traffic shows the fault.
		shows func(*testing.T, *fake) bool
	}{
		{defect: DefectChunkOrder, run: submit(true), shows: func(t *testing.T, f *fake) bool {
			idx := chunkIndices(f.seen("/api/gusmev/push/chunked"))
			return len(idx) > 0 && (idx[0] != 0 || slices.Index(idx, len(idx)-1) != len(idx)-1)
		}},
		{defect: DefectChunkWindow, run: submit(true), shows: func(t *testing.T, f *fake) bool {
			hs := f.seen("/api/gusmev/push/chunked")
			return len(hs) > 1 && hs[len(hs)-1].At.Sub(hs[0].At) >= DefaultChunkWindow
		}},
		{defect: DefectNoSig, run: submit(false), shows: func(t *testing.T, f *fake) bool {
			for id := range f.archives {
				for n := range f.archive(t, id) {
					if strings.HasSuffix(n, ".sig") {
						return false
					}
				}
				return true
			}
			t.Fatal("no archive")
			return false
		}},
		{defect: DefectInvalidXML, run: submit(false), shows: func(t *testing.T, f *fake) bool {
			x, _ := testSchema()
			for id := range f.archives {
				return len(x.Validate(f.archive(t, id)["order.xml"])) > 0
			}
			t.Fatal("no archive")
			return false
		}},
		{defect: DefectNoReauth,
			setup: func(f *fake, _ *Config) {
				f.inject = []*injection{{match: onPath("/api/gusmev/push"), status: 401, times: 1}}
			},
			run: submit(false),
			shows: func(t *testing.T, f *fake) bool {
				return len(f.seen(tokenPrefix)) < 2 || len(f.seen("/api/gusmev/push")) < 2
			}},
		{defect: DefectPollFlood,
			setup: func(f *fake, cfg *Config) {
				f.details = scriptedOrder
				cfg.Limits = Limits{PerMinute: 3}
			},
			run: func(t *testing.T, f *fake, c *Client) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c.Follow(ctx, 77, nil)
			},
			shows: func(t *testing.T, f *fake) bool {
				hs := f.seen("/api/gusmev/order/77")
				for i := 1; i < len(hs); i++ {
					if hs[i].At.Sub(hs[i-1].At) < DefaultPollInterval {
						return true
					}
				}
				for i := 3; i < len(hs); i++ {
					if hs[i].At.Sub(hs[i-3].At) < time.Minute {
						return true
					}
				}
				return false
			}},
	} {
		t.Run(tc.defect, func(t *testing.T) {
			for _, on := range []bool{false, true} {
				f := newFake(t)
				cfg := f.config()
				if tc.setup != nil {
					tc.setup(f, &cfg)
				}
				if on {
					cfg.Defects = []string{tc.defect}
				}
				tc.run(t, f, New(cfg))
				if shows := tc.shows(t, f); shows != on {
					t.Errorf("defect %v: the traffic shows the fault: %v (requests %v)", on, shows, paths(f.seen("")))
				}
			}
		})
	}
}

// A well-behaved client sends no chunk after the window: when a retry would land past it, it gives
// up (EPGU-2.1.3).
func TestChunkWindowKept(t *testing.T) {
	f := newFake(t)
	f.inject = []*injection{{match: func(h *hit) bool { return h.Path == "/api/gusmev/push/chunked" && h.Fields["chunk"] == "1" },
		status: 429, header: map[string]string{"Retry-After": "400"}, times: 1}}
	s := submission(t)
	s.Files["scan.bin"] = bigAttachment()
	s.Chunked = true
	if _, err := New(f.config()).Submit(context.Background(), s); err == nil {
		t.Fatal("the submission succeeded past the chunk window")
	}
	hs := f.seen("/api/gusmev/push/chunked")
	for _, h := range hs {
		if d := h.At.Sub(hs[0].At); d >= DefaultChunkWindow {
			t.Errorf("chunk %s sent %v after the first", h.Fields["chunk"], d)
		}
	}
}

func TestCheckDefects(t *testing.T) {
	if err := CheckDefects([]string{DefectNoSig, "typo"}); err == nil || !strings.Contains(err.Error(), "typo") {
		t.Errorf("CheckDefects: %v, want the unknown one named", err)
	}
	for _, d := range KnownDefects {
		if err := CheckDefects([]string{d.Name}); err != nil || d.Breaks == "" {
			t.Errorf("%s: %v", d.Name, err)
		}
	}
	f := newFake(t)
	cfg := f.config()
	cfg.Defects = []string{"typo"}
	if _, err := New(cfg).Submit(context.Background(), submission(t)); err == nil {
		t.Error("a client with an unknown defect submitted")
	}
	if hs := f.seen(""); len(hs) != 0 {
		t.Errorf("sent %v", paths(hs))
	}
}

// On a real service schema (ФССП 60010153, the seed's service) the well-behaved client sends the
// sample business XML, and the invalid-xml client sends one the schema refuses.
func TestInvalidXMLRealSchema(t *testing.T) {
	dir := filepath.Join(upstreamtest.Dir(t), "epgu", "fssp-60010153")
	x, err := schema.CompileXSD(os.DirFS(dir), "piev_epgu.xsd", "")
	if err != nil {
		t.Fatal(err)
	}
	business, err := os.ReadFile(filepath.Join(dir, "piev_epgu.xml"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := os.ReadFile(filepath.Join(dir, "req.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{false, true} {
		f := newFake(t)
		cfg := f.config()
		if on {
			cfg.Defects = []string{DefectInvalidXML}
		}
		s := Submission{Region: "45000000000", ServiceCode: "10001449665", TargetCode: "10001505301",
			Files:  map[string][]byte{"req.xml": req, "piev_epgu.xml": business},
			Schema: x, BusinessFile: "piev_epgu.xml", Sign: true}
		id, err := New(cfg).Submit(context.Background(), s)
		if err != nil {
			t.Fatalf("defect %v: %v", on, err)
		}
		sent := f.archive(t, id)["piev_epgu.xml"]
		if v := x.Validate(sent); (len(v) > 0) != on {
			t.Errorf("defect %v: the sent business XML has violations %v", on, v)
		}
	}
}
