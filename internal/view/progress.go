package view

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/plan"
)

// Progress prints apply events one line each, prefixed with the node, as
// they come from nodes working in parallel.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	st    Style
	fancy bool // ✓/✗ marks: on a terminal with colour
}

// NewProgress returns a Progress writing to w; color comes from UseColor.
func NewProgress(w io.Writer, color bool) *Progress {
	return &Progress{w: w, st: NewStyle(color), fancy: color}
}

// Event prints one event. It is an apply.Sink.
func (p *Progress) Event(e apply.Event) {
	line := p.line(e)
	if line == "" {
		return
	}
	prefix := e.Node
	if prefix == "" {
		prefix = "lab"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s: %s\n", p.st.Bold(prefix), line)
}

func (p *Progress) line(e apply.Event) string {
	what := label(e.Object, e.Name, e.Kind)
	ing, ed := verbs(e.Kind)
	if e.Object == plan.ObjPower {
		what = e.Name // "starting k8s-cp", not "starting start k8s-cp"
	}
	switch e.Phase {
	case apply.Started:
		if e.Msg != "" {
			return fmt.Sprintf("%s %s... (%s)", ing, what, e.Msg)
		}
		return fmt.Sprintf("%s %s...", ing, what)
	case apply.Still:
		return fmt.Sprintf("still %s %s... [%s]", ing, what, seconds(e.Elapsed))
	case apply.Done:
		return p.mark(true) + fmt.Sprintf("%s %s [%s]", what, ed, seconds(e.Elapsed))
	case apply.Failed:
		return p.mark(false) + fmt.Sprintf("%s %s failed: %s", ing, what, e.Err)
	case apply.Skipped:
		return fmt.Sprintf("%s %s skipped: %s", ing, what, e.Msg)
	case apply.Output:
		return "  " + e.Msg
	}
	return ""
}

func (p *Progress) mark(ok bool) string {
	switch {
	case !p.fancy:
		return ""
	case ok:
		return p.st.Green("✓") + " "
	}
	return p.st.Red("✗") + " "
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
}

// verbs names what a kind of action does, while and after.
func verbs(k plan.Kind) (ing, ed string) {
	switch k {
	case plan.Create:
		return "creating", "created"
	case plan.Update:
		return "updating", "updated"
	case plan.Destroy:
		return "destroying", "destroyed"
	case plan.Replace:
		return "replacing", "replaced"
	case plan.Start:
		return "starting", "started"
	case plan.Stop:
		return "stopping", "stopped"
	case apply.WaitSSH:
		return "waiting for", "ready"
	}
	return "running", "done"
}

// EventJSON writes each event as one JSON line, for `--json` runs.
type EventJSON struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewEventJSON returns an EventJSON writing to w.
func NewEventJSON(w io.Writer) *EventJSON { return &EventJSON{enc: json.NewEncoder(w)} }

// Event writes one event. It is an apply.Sink.
func (j *EventJSON) Event(e apply.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(e) // a broken pipe must not stop the apply
}
