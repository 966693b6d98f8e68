package sut

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"

	"github.com/shepconf/shepconf/internal/dockerhost"
	"github.com/shepconf/shepconf/internal/msg"
)

// StartupTimeout bounds how long a container may take to become healthy.
const StartupTimeout = 2 * time.Minute

// ContainerSpec is a system under test in a container image, whatever the profile: the files and
// environment the harness gives it, and how to tell it is ready.
type ContainerSpec struct {
	Image string
	Env   map[string]string // over SHEPCONF_LISTEN, which the harness sets
	Files []ContainerFile
	// Port is the port the image serves on, given as SHEPCONF_LISTEN=127.0.0.1:<port>; 0 takes a
	// free port.
	Port int
	// Health is an HTTP path answering 200 once the image is ready; empty waits for the port.
	Health string
}

// ContainerFile is a file the harness writes into the container before it starts.
type ContainerFile struct {
	Path string
	Data []byte
}

// RunningContainer is a system under test in the host's network namespace, bound to loopback:
// it reaches the harness's simulators at 127.0.0.1 as the harness does, and nothing outside the
// machine reaches it.
type RunningContainer struct {
	spec   ContainerSpec
	port   int
	c      *testcontainers.DockerContainer
	logs   logBuffer
	digest string
}

// NotReadyError is a container that did not become ready; the container is gone, its output is
// kept in Logs.
type NotReadyError struct {
	Image string
	Err   error
	Logs  []byte
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("system under test: container %s did not become ready: %v\n%s", e.Image, e.Err, e.Logs)
}

func (e *NotReadyError) Unwrap() error { return e.Err }

// RunContainer starts the image with the spec's files and environment and waits until it is
// ready. The caller closes it.
func RunContainer(ctx context.Context, spec ContainerSpec) (*RunningContainer, error) {
	dockerhost.UseLocal()
	c := &RunningContainer{spec: spec, port: spec.Port}
	if c.port == 0 {
		var err error
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	env := map[string]string{"SHEPCONF_LISTEN": "127.0.0.1:" + strconv.Itoa(c.port)}
	for k, v := range spec.Env {
		env[k] = v
	}
	files := make([]testcontainers.ContainerFile, len(spec.Files))
	for i, f := range spec.Files {
		files[i] = testcontainers.ContainerFile{Reader: bytes.NewReader(f.Data), ContainerFilePath: f.Path, FileMode: 0o644}
	}
	var err error
	// No published port: in the host's network namespace the container binds 127.0.0.1 itself.
	c.c, err = testcontainers.Run(ctx, spec.Image,
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.NetworkMode = "host" }),
		testcontainers.WithEnv(env),
		testcontainers.WithLabels(map[string]string{"org.shepconf.role": "sut"}),
		testcontainers.WithFiles(files...),
		testcontainers.WithLogConsumers(&c.logs),
	)
	if err == nil {
		err = c.waitReady(ctx)
	}
	if err != nil {
		nr := &NotReadyError{Image: spec.Image, Err: err}
		if c.c != nil {
			nr.Logs = c.Logs(ctx)
			_ = c.c.Terminate(context.WithoutCancel(ctx))
		} else {
			nr.Logs = []byte(c.logs.String())
		}
		return nil, nr
	}
	if in, err := c.c.Inspect(ctx); err == nil {
		c.digest = in.Image
	}
	return c, nil
}

// BaseURL is where the container serves plain HTTP: http://127.0.0.1:<port>.
func (c *RunningContainer) BaseURL() string { return "http://127.0.0.1:" + strconv.Itoa(c.port) }

// Port is the port given as SHEPCONF_LISTEN.
func (c *RunningContainer) Port() int { return c.port }

// Image is the image the container runs.
func (c *RunningContainer) Image() string { return c.spec.Image }

// Digest is the image's ID as the engine reports it (sha256:...).
func (c *RunningContainer) Digest() string { return c.digest }

// waitReady waits until the container answers on its port (its health path when configured, 200):
// in the host's network there is no published port for testcontainers-go's own strategies to watch.
func (c *RunningContainer) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, StartupTimeout)
	defer cancel()
	base := c.BaseURL()
	addr := strings.TrimPrefix(base, "http://")
	for {
		if c.spec.Health == "" {
			if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				conn.Close()
				return nil
			}
		} else if req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+c.spec.Health, nil); err == nil {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		if st, err := c.c.State(ctx); err == nil && !st.Running {
			return msg.Errorf("the container exited (code %d) before it was ready", st.ExitCode)
		}
		select {
		case <-ctx.Done():
			return msg.Errorf("nothing answered at %s within %s", base+c.spec.Health, StartupTimeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Exec runs a command inside the container (testcontainers-go Exec) and returns its exit code and
// output: a command trigger's trigger.Runner.
func (c *RunningContainer) Exec(ctx context.Context, args []string) (int, []byte, error) {
	code, r, err := c.c.Exec(ctx, args, tcexec.Multiplexed())
	if err != nil {
		return code, nil, err
	}
	out, err := io.ReadAll(r)
	return code, out, err
}

// Stop stops the container as docker stop does (SIGTERM, then SIGKILL after 10 s): its endpoint
// refuses connections until Start.
func (c *RunningContainer) Stop(ctx context.Context) error {
	grace := 10 * time.Second
	return c.c.Stop(ctx, &grace)
}

// Start starts the stopped container again and waits until it is ready, as at first start. It
// shares the host's network and binds the same port again.
func (c *RunningContainer) Start(ctx context.Context) error {
	if err := c.c.Start(ctx); err != nil {
		return msg.Errorf("system under test: container %s did not become ready again: %w", c.spec.Image, err)
	}
	if err := c.waitReady(ctx); err != nil {
		return msg.Errorf("system under test: container %s did not become ready again: %w", c.spec.Image, err)
	}
	return nil
}

// Pause freezes every process of the container (docker pause): connections to it are still
// accepted by the kernel, but nothing reads or answers them until Unpause.
func (c *RunningContainer) Pause(ctx context.Context) error {
	return c.engine(ctx, func(e *testcontainers.DockerClient, id string) error {
		_, err := e.ContainerPause(ctx, id, client.ContainerPauseOptions{})
		return err
	})
}

// Unpause lets a paused container run again (docker unpause).
func (c *RunningContainer) Unpause(ctx context.Context) error {
	return c.engine(ctx, func(e *testcontainers.DockerClient, id string) error {
		_, err := e.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
		return err
	})
}

// State is the container's state as the engine reports it: running, paused, exited.
func (c *RunningContainer) State(ctx context.Context) (string, error) {
	st, err := c.c.State(ctx)
	if err != nil {
		return "", err
	}
	return string(st.Status), nil
}

// engine runs f with a client of the Docker engine: testcontainers-go has no pause of its own.
func (c *RunningContainer) engine(ctx context.Context, f func(*testcontainers.DockerClient, string) error) error {
	e, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("system under test: Docker engine: %w", err)
	}
	defer e.Close()
	return f(e, c.c.GetContainerID())
}

// Logs is what the container wrote so far, read from the engine in full: the streamed copy may
// lag behind the last requests.
func (c *RunningContainer) Logs(ctx context.Context) []byte {
	if r, err := c.c.Logs(ctx); err == nil {
		defer r.Close()
		if all, err := io.ReadAll(r); err == nil {
			return all
		}
	}
	return []byte(c.logs.String())
}

// Close removes the container (a paused one is let run first: not every engine stops it).
func (c *RunningContainer) Close(ctx context.Context) error {
	if st, err := c.State(ctx); err == nil && st == "paused" {
		_ = c.Unpause(ctx)
	}
	if err := c.c.Terminate(ctx); err != nil {
		return fmt.Errorf("stop the container %s: %w", c.spec.Image, err)
	}
	return nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// logBuffer keeps a container's output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Accept(l testcontainers.Log) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(l.Content)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
