package apply

import (
	"time"

	"github.com/labtool/lab/internal/plan"
)

// Phase is where an action is in its life.
type Phase string

// Phases.
const (
	Started Phase = "started"
	Still   Phase = "still" // the action is still running after Elapsed
	Done    Phase = "done"
	Failed  Phase = "failed"
	Skipped Phase = "skipped" // not started: an earlier failure or an interrupt
	Output  Phase = "output"  // one line of a step's output in Msg
)

// WaitSSH is the pseudo-kind of the wait for a guest's SSH server.
const WaitSSH plan.Kind = "wait"

// ObjSSH is the pseudo-object of the wait for SSH.
const ObjSSH = "ssh"

// Event is one thing that happened during apply, for the view.
type Event struct {
	Node    string        `json:"node,omitempty"` // "" for networks and clusters
	Object  string        `json:"object"`
	Name    string        `json:"name"`
	Kind    plan.Kind     `json:"kind"`
	Phase   Phase         `json:"phase"`
	Elapsed time.Duration `json:"elapsed_ns,omitempty"`
	Msg     string        `json:"msg,omitempty"`
	Err     string        `json:"error,omitempty"`
}

// Sink receives events; apply calls it from several goroutines, so it
// must be safe for concurrent use.
type Sink func(Event)
