package gateway_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/racedetect"

	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// rssMiB is this process's resident memory.
func rssMiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc: resident memory cannot be measured here")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// A flood of ten times the gateway's capacity, against a slow owner, degrades into HTTP 503
// refusals: no crash, no transport error, memory bounded, and the gateway serves again afterwards.
func TestFloodDegradesIntoRefusals(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the flood test sends 2560 requests")
	}
	bed, err := testbed.Start(testbed.Options{Limits: rule.RulesLimits(), JournalPath: filepath.Join(t.TempDir(), "journal.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close(context.Background())
	bed.Owner.Handle(testbed.ServiceID, owner.Behaviour{Latency: 2 * time.Second})
	// Ten times the capacity, and the resident memory the flood may add: the 2560 requests and
	// their answers, the slots' exchanges and the goroutines of both ends.
	flood, maxGrowthMiB := 10*gateway.MaxInFlight, 512
	if racedetect.Enabled {
		// Under -race every goroutine and allocation carries shadow memory: 2560 requests grew
		// the process by 1.4 GiB, 1024 by 0.7 GiB. Four times the capacity still overflows it,
		// and the bound follows the detector's overhead.
		flood, maxGrowthMiB = 4*gateway.MaxInFlight, 2048
	}
	bodies := make([][]byte, flood) // each a new message: a replay would be refused for another reason
	for i := range bodies {
		b, err := envelope.Marshal(bed.Initiator.Request(testbed.ServiceID, envelope.StringData("flood")))
		if err == nil {
			b, err = bed.Initiator.Sign(b)
		}
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = b
	}
	before := rssMiB(t)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 64}, Timeout: time.Minute}
	var mu sync.Mutex
	statuses := map[int]int{}
	var transportErrors []error
	var wg sync.WaitGroup
	for _, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Post(bed.Gateway.URL()+envelope.SyncPath, "text/xml", bytes.NewReader(body))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				transportErrors = append(transportErrors, err)
				return
			}
			resp.Body.Close()
			statuses[resp.StatusCode]++
		}()
	}
	wg.Wait()
	peak := rssMiB(t)
	t.Logf("%d requests: statuses %v, transport errors %d, RSS %d MiB -> %d MiB", flood, statuses, len(transportErrors), before, peak)
	if len(transportErrors) > 0 {
		t.Fatalf("%d requests got no HTTP answer, e.g. %v", len(transportErrors), transportErrors[0])
	}
	if statuses[http.StatusOK] < gateway.MaxInFlight/2 {
		t.Fatalf("only %d of %d requests were served under the flood", statuses[http.StatusOK], flood)
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Fatal("a flood of ten times the capacity was never refused")
	}
	if peak-before > maxGrowthMiB {
		t.Fatalf("resident memory grew by %d MiB under the flood", peak-before)
	}
	bed.Owner.Handle(testbed.ServiceID, owner.Behaviour{})
	if _, fault := sendSigned(t, bed); fault != nil {
		t.Fatalf("after the flood the gateway refuses a valid message: %+v", fault.Detail)
	}
}
