package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Fake is a Runner for tests: it holds a script of expected calls with the
// output each returns, records every call, and reports any call that was
// not expected. It is safe for concurrent use.
type Fake struct {
	// AnyOrder lets calls match any unused expectation instead of the next
	// one, for code that runs calls concurrently.
	AnyOrder bool

	mu       sync.Mutex
	script   []*expectation
	calls    [][]string
	problems []string
}

type expectation struct {
	argv []string
	res  Result
	used bool
}

// Expect adds an expected call that succeeds with stdout.
func (f *Fake) Expect(stdout string, argv ...string) *Fake {
	return f.ExpectResult(Result{Stdout: stdout}, argv...)
}

// ExpectResult adds an expected call with a full result. A non-zero exit
// code makes Run return a *Error like Exec does.
func (f *Fake) ExpectResult(res Result, argv ...string) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, &expectation{argv: argv, res: res})
	return f
}

// Run matches argv against the script.
func (f *Fake) Run(_ context.Context, argv []string) (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, slices.Clone(argv))
	e := f.match(argv)
	if e == nil {
		f.problems = append(f.problems, "unexpected call: "+CommandLine(argv))
		err := &Error{Argv: argv, ExitCode: -1, Err: errors.New("unexpected call in fake runner")}
		return Result{ExitCode: -1}, err
	}
	e.used = true
	if e.res.ExitCode != 0 {
		return e.res, &Error{Argv: argv, ExitCode: e.res.ExitCode, Stdout: e.res.Stdout,
			Stderr: e.res.Stderr, Err: errorFromStderr(e.res.Stderr)}
	}
	return e.res, nil
}

func (f *Fake) match(argv []string) *expectation {
	for _, e := range f.script {
		if e.used {
			continue
		}
		if slices.Equal(e.argv, argv) {
			return e
		}
		if !f.AnyOrder {
			return nil
		}
	}
	return nil
}

// Calls returns every call made so far, in order.
func (f *Fake) Calls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Verify reports unexpected calls and expected calls that never came.
func (f *Fake) Verify() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	problems := slices.Clone(f.problems)
	for _, e := range f.script {
		if !e.used {
			problems = append(problems, "missing call: "+CommandLine(e.argv))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("fake runner: %d problem(s):\n%s", len(problems),
		strings.Join(problems, "\n"))
}
