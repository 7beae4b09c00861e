package provision

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// reply is a scripted answer to one command.
type reply struct {
	code           int
	stdout, stderr string
}

// scriptedGuest answers commands from a table, by prefix, and records what
// was run, written and uploaded.
type scriptedGuest struct {
	replies map[string]reply // by command prefix; unknown commands exit 0
	// later holds replies used once each, before those in replies.
	later    map[string][]reply
	ran      []string
	written  map[string]string // remote path -> data
	modes    map[string]os.FileMode
	uploaded map[string]string // remote path -> local path
}

func newScriptedGuest(replies map[string]reply) *scriptedGuest {
	return &scriptedGuest{replies: replies, written: map[string]string{},
		modes: map[string]os.FileMode{}, uploaded: map[string]string{}}
}

func (g *scriptedGuest) Run(_ context.Context, cmd string, _ io.Reader,
	stdout, stderr io.Writer) (int, error) {
	g.ran = append(g.ran, cmd)
	best := ""
	for p := range g.replies {
		if strings.HasPrefix(cmd, p) && len(p) > len(best) {
			best = p
		}
	}
	r, ok := g.replies[best]
	if q := g.later[cmd]; len(q) > 0 {
		r, ok, g.later[cmd] = q[0], true, q[1:]
	}
	if !ok {
		return 0, nil
	}
	if stdout != nil {
		io.WriteString(stdout, r.stdout)
	}
	if stderr != nil {
		io.WriteString(stderr, r.stderr)
	}
	return r.code, nil
}

func (g *scriptedGuest) Upload(_ context.Context, local, remote string) error {
	if _, err := os.Stat(local); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	g.uploaded[remote] = local
	return nil
}

func (g *scriptedGuest) WriteFile(_ context.Context, remote string, data []byte,
	mode os.FileMode) error {
	g.written[remote] = string(data)
	g.modes[remote] = mode
	return nil
}

func (g *scriptedGuest) Close() error { return nil }

func readFixture(name string) string {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return string(data)
}
