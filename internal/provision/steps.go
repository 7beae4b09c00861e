package provision

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/labtool/lab/internal/spec"
)

// StepDigest returns an HMAC-SHA256 under the lab's secret key over what a
// step does: its type, run policy, script, sorted env, and for file steps
// the destination and each file's relative path, mode and content, folders
// walked in sorted order. A change to any of those changes the digest; the
// key keeps a digest recorded on a VM from being checked against guesses
// of a sensitive env value.
func StepDigest(s *spec.Step, key []byte) (string, error) {
	h := hmac.New(sha256.New, key)
	field := func(k, v string) { fmt.Fprintf(h, "%s %d:%s\n", k, len(v), v) }
	field("type", s.Type)
	field("run", s.Run)
	switch s.Type {
	case "shell":
		field("script", shellScript(s))
		keys := make([]string, 0, len(s.Env))
		for k := range s.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			field("env", k+"="+s.Env[k])
		}
	case "file":
		field("destination", s.Destination)
		if err := digestTree(h, s.Source); err != nil {
			return "", fmt.Errorf("hashing step %s: %w", s.Name, err)
		}
	default:
		return "", fmt.Errorf("hashing step %s: unknown step type %q", s.Name, s.Type)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// digestTree feeds each file under root (or root itself) to h.
func digestTree(h hash.Hash, root string) error {
	// WalkDir visits entries in lexical order, which keeps the digest stable.
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			fmt.Fprintf(h, "dir %s %04o\n", rel, info.Mode().Perm())
		case info.Mode().IsRegular():
			return digestFile(h, p, rel, info)
		default:
			return notCopyable(p, info.Mode())
		}
		return nil
	})
}

// notCopyable explains why a file step cannot copy p.
func notCopyable(p string, mode fs.FileMode) error {
	if mode&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link: a file step copies files and folders "+
			"only; put the file it points to in its place", p)
	}
	return fmt.Errorf("%s is neither a file nor a folder", p)
}

// digestFile streams one file into the digest: uploads may be large.
func digestFile(h hash.Hash, p, rel string, info fs.FileInfo) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(h, "file %s %04o %d:", rel, info.Mode().Perm(), info.Size())
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if n != info.Size() {
		return fmt.Errorf("%s changed while lab read it", p)
	}
	h.Write([]byte("\n"))
	return nil
}

// shellScript is the script a shell step runs: the script file byte for
// byte, or the inline lines under "set -e" so the first failing line
// fails the step.
func shellScript(s *spec.Step) string {
	if len(s.Inline) == 0 {
		return s.Script
	}
	return "#!/bin/sh\nset -e\n" + strings.Join(s.Inline, "\n") + "\n"
}

// RunStep runs a provisioning step on the guest, writing its output (stdout
// and stderr both) to out. The caller names the step in its error.
func RunStep(ctx context.Context, g Guest, s *spec.Step, out io.Writer) error {
	switch s.Type {
	case "shell":
		return runShell(ctx, g, s, out)
	case "file":
		return runFile(ctx, g, s)
	}
	return fmt.Errorf("unknown step type %q", s.Type)
}

func runShell(ctx context.Context, g Guest, s *spec.Step, out io.Writer) error {
	// A private folder of a name no one can guess: another user of the
	// guest can neither plant the script root runs nor read the env.
	dir := tempName("lab-step")
	if err := mustRun(ctx, g, "mkdir -m 700 "+dir); err != nil {
		return fmt.Errorf("making a folder for the step: %w", err)
	}
	script, envFile := dir+"/"+s.Name+".sh", dir+"/"+s.Name+".env"
	if err := g.WriteFile(ctx, script, []byte(shellScript(s)), 0o700); err != nil {
		return fmt.Errorf("uploading script: %w", err)
	}
	// The env goes in a private file, not on the command line, where `ps`
	// on the guest and error messages would show its values.
	if err := g.WriteFile(ctx, envFile, []byte(envLines(s.Env)), 0o600); err != nil {
		return fmt.Errorf("uploading env: %w", err)
	}
	// A script file with its own #! runs with that interpreter; inline
	// lines and scripts without one run with sh.
	run := "sh " + script
	if len(s.Inline) == 0 && strings.HasPrefix(s.Script, "#!") {
		run = script
	}
	inner := fmt.Sprintf("set -a; . %s; set +a; rm -f %s; %s; rc=$?; rm -rf %s; exit $rc",
		envFile, envFile, run, dir)
	code, err := g.Run(ctx, "sudo -n sh -c "+ShellQuote(inner), nil, out, out)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("script exited %d", code)
	}
	return nil
}

// envLines renders a step's env as shell assignments, sorted by name.
func envLines(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + ShellQuote(env[k]) + "\n")
	}
	return b.String()
}

func runFile(ctx context.Context, g Guest, s *spec.Step) error {
	info, err := os.Stat(s.Source)
	if err != nil {
		return fmt.Errorf("reading source: %w", err)
	}
	// Staged in a private folder of a random name, as shell steps are.
	dir := tempName("lab-upload")
	if err := mustRun(ctx, g, "mkdir -m 700 "+dir); err != nil {
		return fmt.Errorf("making a folder for the upload: %w", err)
	}
	tmp := dir + "/" + s.Name
	if err := g.Upload(ctx, s.Source, tmp); err != nil {
		return err
	}
	script, args := placeFile, []string{tmp, s.Destination, filepath.Base(s.Source)}
	if info.IsDir() {
		script, args = placeFolder, args[:2]
	}
	cmd := "sudo -n sh -c " + ShellQuote(script) + " sh"
	for _, a := range args {
		cmd += " " + ShellQuote(a)
	}
	cmd += "; rc=$?; sudo -n rm -rf " + dir + "; exit $rc"
	if err := mustRun(ctx, g, cmd); err != nil {
		return fmt.Errorf("copying to %s: %w", s.Destination, err)
	}
	return nil
}

// placeFile (run as root: staged file, destination, source name) moves a
// staged file into place. Like cp, a file copied onto an existing folder
// lands inside it. mv keeps the mode, and on one filesystem it is a
// rename: no second copy of a large file, the old file replaced at once.
const placeFile = `if [ -d "$2" ]; then mv -f "$1" "$2/$3"; ` +
	`else mkdir -p "$(dirname "$2")" && mv -f "$1" "$2"; fi`

// placeFolder (run as root: staged folder, destination) copies a staged
// folder's contents into the destination. Folders that exist already keep
// their owner and mode (a folder step into /etc must not hand /etc/ssh to
// the login user); new ones, and the files, keep the staged ones'.
const placeFolder = `set -e; src=$1; dst=$2
if [ ! -d "$dst" ]; then
  mkdir -p "$dst"; chown "$(stat -c %u:%g "$src")" "$dst"; chmod "$(stat -c %a "$src")" "$dst"
fi
cd "$src"
find . -type d | while IFS= read -r d; do
  if [ "$d" != . ] && [ ! -d "$dst/$d" ]; then
    mkdir "$dst/$d"; chown "$(stat -c %u:%g "$d")" "$dst/$d"; chmod "$(stat -c %a "$d")" "$dst/$d"
  fi
done
find . ! -type d | while IFS= read -r f; do cp -p "$f" "$dst/$f"; done`

// ShellQuote quotes s as one word for a POSIX shell, leaving plain words
// as they are.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"+
		"0123456789_-./=:@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
