package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/labdir"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
	"github.com/labtool/lab/internal/view"
)

// session is one command's view of a lab: the Labfile, .lab/, the driver
// and the live state read once.
type session struct {
	lab    *spec.Lab
	dir    *labdir.Dir
	driver drivers.Driver
	guests Guests
	live   *drivers.Live
	labID  string
	unlock func()
}

// open loads the Labfile, opens .lab/ (locked when lock is true), makes the
// driver and reads the live state.
func (a *app) open(ctx context.Context, lock bool) (*session, error) {
	lab, err := a.load()
	if err != nil {
		return nil, err
	}
	s := &session{lab: lab, unlock: func() {}}
	if s.dir, err = labdir.Open(lab.Dir); err != nil {
		return nil, err
	}
	if lock {
		if s.unlock, err = s.dir.Lock(); err != nil {
			return nil, err
		}
	}
	if err := a.connect(ctx, s); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// connect makes the driver and guest side and reads the live state.
func (a *app) connect(ctx context.Context, s *session) error {
	var err error
	if s.driver, err = a.h.Driver(ctx, s.lab); err != nil {
		return err
	}
	if s.live, err = s.driver.Inspect(ctx, s.lab); err != nil {
		return fmt.Errorf("reading the lab's VMs: %w", err)
	}
	found := apply.LabID(s.lab, s.live)
	_, statErr := os.Stat(s.dir.File("id"))
	if s.labID, err = s.dir.ID(found); err != nil {
		return err
	}
	if found != "" && errors.Is(statErr, fs.ErrNotExist) {
		// As after a lost .lab/; a fresh copy of the Labfile looks the same.
		fmt.Fprintf(a.h.Err, "lab: this folder had no .lab/id: it now works on the VMs of lab "+
			"%s made with lab id %s. If another folder made them, delete this folder's "+
			".lab/ and give this Labfile another lab name.\n", s.lab.Name, found)
	}
	if err := apply.CheckLabID(s.lab, s.live, s.labID); err != nil {
		return err
	}
	s.guests, err = a.h.Guests(s.lab, s.labID, s.dir, s.driver)
	return err
}

func (s *session) close() {
	if s.guests != nil {
		s.guests.Close()
	}
	s.unlock()
}

// diff plans the lab (or only targets).
func (a *app) diff(s *session, targets []string) (*plan.Plan, error) {
	in, err := apply.Prepare(s.lab, s.live, s.labID, s.guests, a.h.Bindable)
	if err != nil {
		return nil, err
	}
	in.Targets, in.HostOS, in.Root = targets, a.h.GOOS, a.h.Root
	return plan.Diff(s.lab, s.live, s.driver.Capabilities(), in)
}

// showPlan prints a plan on stdout, as JSON or for a person.
func (a *app) showPlan(p *plan.Plan, asJSON bool) error {
	if asJSON {
		return view.PlanJSON(a.h.Out, p)
	}
	return view.PlanText(a.h.Out, p, view.NewStyle(a.colorOut()))
}

// colorOut decides colour for text on stdout.
func (a *app) colorOut() bool { return view.UseColor(a.h.OutTTY, a.h.Getenv) }

// execute applies a plan with progress on stderr and interrupt handling.
// The plan and every event also go to a log under .lab/logs/.
func (a *app) execute(ctx context.Context, s *session, p *plan.Plan, command string) error {
	log, err := s.dir.Log(command, time.Now())
	if err != nil {
		return err
	}
	defer log.Close()
	if err := view.PlanJSON(log, p); err != nil {
		return err
	}
	events := view.NewEventJSON(log)
	progress := view.NewProgress(a.h.Err, view.UseColor(a.h.ErrTTY, a.h.Getenv))

	ctx, stopping, done := a.h.Interrupts(ctx)
	defer done()
	return apply.Apply(ctx, p, apply.Options{
		Lab: s.lab, Driver: s.driver, Guests: s.guests,
		Events:   func(e apply.Event) { events.Event(e); progress.Event(e) },
		Stopping: stopping, StopTimeout: stopTimeout,
	})
}
