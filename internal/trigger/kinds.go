package trigger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// HTTP triggers a system by POSTing the Request as JSON to URL.
type HTTP struct {
	URL    string
	Client *http.Client // http.DefaultClient when nil
}

func (h HTTP) Describe() string { return "HTTP POST " + h.URL }

func (h HTTP) Fire(ctx context.Context, r Request) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	body, err := json.Marshal(r)
	if err != nil {
		return Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return Result{}, msg.Errorf("trigger %s: %w", h.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return Result{}, msg.Errorf("trigger %s: the system did not answer: %w", h.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return Result{}, msg.Errorf("trigger %s: %w", h.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Result{}, msg.Errorf("trigger %s: HTTP %d, want 200 with the result as JSON: %.300q", h.URL, resp.StatusCode, msg.Head(raw, 300))
	}
	return decodeResult(raw, msg.F("trigger %s", h.URL))
}

// Runner runs a command and returns its exit code and standard output: on the host (nil), or
// inside the system's container (the launcher's Exec).
type Runner func(ctx context.Context, args []string) (exitCode int, stdout []byte, err error)

// Command triggers a system by running Args with the Request's fields put in place of the
// placeholders; the command prints the Result as JSON (its last line that is a JSON object).
type Command struct {
	Args  []string
	Run   Runner // nil runs on the host
	Where string // "on the host" or "in the container", for the report
}

func (c Command) Describe() string {
	where := c.Where
	if where == "" {
		where = "on the host"
	}
	return fmt.Sprintf("command %q %s", strings.Join(c.Args, " "), where)
}

// Placeholders lists what a command may carry, for documentation and errors.
const Placeholders = "{action} {channel} {gateway} {serviceId} {data} {messageType} {correlationId} {follow} {request}"

// Expand puts the Request's fields in place of the placeholders of every argument.
func (r Request) Expand(args []string) []string {
	whole, _ := json.Marshal(r)
	rep := strings.NewReplacer("{action}", r.Action, "{channel}", r.Channel, "{gateway}", r.Gateway,
		"{serviceId}", r.ServiceID, "{data}", r.Data, "{messageType}", r.MessageType,
		"{correlationId}", r.CorrelationID, "{follow}", r.Follow, "{request}", string(whole))
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = rep.Replace(a)
	}
	return out
}

func (c Command) Fire(ctx context.Context, r Request) (Result, error) {
	if len(c.Args) == 0 {
		return Result{}, msg.Errorf("trigger command: no command given")
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	args := r.Expand(c.Args)
	run := c.Run
	if run == nil {
		run = onHost
	}
	code, out, err := run(ctx, args)
	if err != nil {
		return Result{}, msg.Errorf("trigger %s: %w", c.Describe(), err)
	}
	line := lastJSONLine(out)
	if line == nil {
		return Result{}, msg.Errorf("trigger %s: exit code %d and no result printed (want the result as one line of JSON): %.300q", c.Describe(), code, msg.Head(out, 300))
	}
	return decodeResult(line, msg.F("trigger %s", c.Describe()))
}

func onHost(ctx context.Context, args []string) (int, []byte, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.Bytes(), nil
	}
	if err != nil {
		return -1, out.Bytes(), err
	}
	return 0, out.Bytes(), nil
}

// lastJSONLine is the last line of out that holds a JSON object, so a command may log before it.
func lastJSONLine(out []byte) []byte {
	var last []byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 && l[0] == '{' && json.Valid(l) {
			last = append([]byte(nil), l...)
		}
	}
	return last
}

// Operator triggers a system driven only by its own user interface: it prints to Out what the
// operator must do, shows a countdown until Wait has passed, and reads from In the outcome the
// operator saw (one of the outcomes, typed as a line). Without an answer in time the outcome is
// Unknown, and the harness judges only what arrived. When the caller says how to see the arrival
// (WithArrival), the countdown ends as soon as the message has arrived.
type Operator struct {
	Out  io.Writer
	In   io.Reader // nil: the operator is not asked, only the countdown runs
	Wait time.Duration

	lines chan string
}

type arrivalKey struct{}

// WithArrival tells an operator trigger how to see that what the operator was asked to make the
// system do has happened (polled every second during the countdown).
func WithArrival(ctx context.Context, arrived func() bool) context.Context {
	return context.WithValue(ctx, arrivalKey{}, arrived)
}

func (o *Operator) Describe() string { return "operator at the system's user interface" }

func (o *Operator) Fire(ctx context.Context, r Request) (Result, error) {
	wait := o.Wait
	if wait <= 0 {
		wait = 5 * time.Minute
	}
	fmt.Fprintf(o.Out, "\n*** OPERATOR: %s\n", instruction(r))
	if o.In != nil {
		fmt.Fprintf(o.Out, "*** then type what the system showed (%s, %s, %s or %s) and Enter\n", Answered, Accepted, Refused, Failed)
		o.startReading()
	}
	arrived, _ := ctx.Value(arrivalKey{}).(func() bool)
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		left := time.Until(deadline).Round(time.Second)
		fmt.Fprintf(o.Out, "\r*** waiting %s ", left)
		select {
		case <-ctx.Done():
			return Result{Outcome: Unknown, Error: ctx.Err().Error()}, nil
		case line := <-o.lines:
			fmt.Fprintln(o.Out)
			return Result{Outcome: strings.ToLower(strings.TrimSpace(line))}, nil
		case <-tick.C:
			if o.In == nil && arrived != nil && arrived() {
				fmt.Fprintln(o.Out, "\n*** arrived")
				return Result{Outcome: Unknown}, nil
			}
			if left <= 0 {
				fmt.Fprintln(o.Out, "\n*** time is up")
				return Result{Outcome: Unknown, Error: "the operator gave no outcome within " + wait.String()}, nil
			}
		}
	}
}

// startReading reads the operator's lines once, for every Fire of the run.
func (o *Operator) startReading() {
	if o.lines != nil {
		return
	}
	o.lines = make(chan string)
	go func() {
		sc := bufio.NewScanner(o.In)
		for sc.Scan() {
			o.lines <- sc.Text()
		}
	}()
}

// instruction says in words what the operator must make the system do.
func instruction(r Request) string {
	switch r.Action {
	case Receive:
		return fmt.Sprintf("make the system take its waiting messages on the asynchronous channel from %s and acknowledge them", r.Gateway)
	case Login:
		return fmt.Sprintf("sign a citizen in to the system through ESIA at %s: start its sign-in, let the browser go to ESIA (the simulated citizen consents at once) and back to the system", r.Auth)
	case Submit:
		what := fmt.Sprintf("make the system get an access token from ESIA at %s with the API key it was given, and submit an order of the service %s to the EPGU API at %s", r.Auth, r.ServiceID, r.Gateway)
		if r.Chunked {
			what += " in chunks"
		}
		switch r.Then {
		case ThenResult:
			what += ", follow it to its result and download the result file"
		case ThenCancel:
			what += ", then cancel it"
		}
		return what
	}
	what := fmt.Sprintf("make the system send a %s message to the service %s through the gateway at %s", r.Channel, r.ServiceID, r.Gateway)
	if r.Data != "" {
		what += " with the business data " + r.Data
	}
	if r.Follow != "" {
		what += ", and follow its delivery by " + r.Follow
	}
	return what
}
