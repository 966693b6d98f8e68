package interop

// shepconf serve as a real process, built from this module, for the independent clients of the
// gospochta, smdo and epgu profiles.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildShepconf builds the command from this module into a temporary folder.
func buildShepconf(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shepconf")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/shepconf/shepconf/cmd/shepconf").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/shepconf: %v\n%s", err, out)
	}
	return bin
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// servedProcess is a running shepconf serve --profile process.
type servedProcess struct {
	cmd     *exec.Cmd
	state   string
	printed *lockedBuffer // what serve printed on stdout
	stderr  *lockedBuffer
	waited  chan struct{}
	exitErr error
}

// startServe builds shepconf and runs serve --profile profile with a state folder of its own and
// args after it, and waits until serve prints a line ready accepts: it prints it once its servers
// listen and the files of what it registers are written. scan sees every line printed, before ready,
// to pick up the addresses. awaited names what the ready line announces in the message of a serve
// that prints none within 60s. serve is killed when the test ends if it still runs.
func startServe(t *testing.T, profile string, args []string, awaited string, ready func(line string) bool, scan func(line string)) *servedProcess {
	t.Helper()
	bin := buildShepconf(t)
	p := &servedProcess{state: filepath.Join(t.TempDir(), "state"), printed: &lockedBuffer{}, stderr: &lockedBuffer{}, waited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--profile", profile, "--state", p.state}, args...)...)
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	up := make(chan struct{})
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.printed, line)
			scan(line)
			if ready(line) {
				once.Do(func() { close(up) })
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.waited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.waited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.waited
		}
	})
	select {
	case <-up:
	case <-p.waited:
		t.Fatalf("shepconf serve --profile %s exited before it was up (%v):\n%s%s", profile, p.exitErr, p.printed.String(), p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("shepconf serve --profile %s printed no %s within 60s:\n%s%s", profile, awaited, p.printed.String(), p.stderr.String())
	}
	return p
}

// stop sends SIGTERM and waits for the exit, as an operator stops serve.
func (p *servedProcess) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.waited:
		return p.exitErr
	case <-time.After(30 * time.Second):
		return fmt.Errorf("serve did not exit within 30s of SIGTERM")
	}
}
