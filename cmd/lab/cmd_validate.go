package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labtool/lab/internal/labfile"
	"github.com/labtool/lab/internal/spec"
)

func (a *app) validateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the Labfile and report every problem in it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := a.load(); err != nil {
				return err
			}
			fmt.Fprintf(a.h.Err, "%s is valid.\n", a.g.file)
			return nil
		},
	}
}

// load reads the Labfile the flags name, with --var values.
func (a *app) load() (*spec.Lab, error) {
	vars := map[string]string{}
	for _, kv := range a.g.vars {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: want name=value", kv)
		}
		vars[name] = value
	}
	if _, err := os.Stat(a.g.file); errors.Is(err, fs.ErrNotExist) {
		abs, _ := filepath.Abs(a.g.file)
		return nil, fmt.Errorf("no Labfile at %s: run lab in the lab's folder, or name "+
			"the file with -f FILE", abs)
	}
	lab, err := labfile.Load(a.g.file, labfile.Options{Vars: vars, Env: a.h.Environ})
	if lab != nil {
		a.sensitive = lab.Sensitive
	}
	return lab, err
}

type fmtFlags struct {
	check bool
	files []string
}

func (a *app) fmtCmd() *cobra.Command {
	var f fmtFlags
	cmd := &cobra.Command{
		Use:   "fmt [FILE...]",
		Short: "Rewrite Labfiles in canonical layout",
		Long: "fmt rewrites each FILE (default: the Labfile) in canonical layout.\n" +
			"With --check it changes nothing, lists the files that differ on stdout\n" +
			"and exits 1 when there are any.",
		RunE: func(cmd *cobra.Command, args []string) error {
			f.files = args
			return a.fmt(f)
		},
	}
	cmd.Flags().BoolVar(&f.check, "check", false, "only list files not formatted (exit 1)")
	return cmd
}

// fmt formats files in place, or lists the unformatted ones with --check.
func (a *app) fmt(f fmtFlags) error {
	if len(f.files) == 0 {
		f.files = []string{a.g.file}
	}
	var differ []string
	var errs []error
	for _, path := range f.files {
		src, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", path, err))
			continue
		}
		out, err := labfile.Format(src, path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if bytes.Equal(out, src) {
			continue
		}
		differ = append(differ, path)
		if f.check {
			continue
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", path, err))
		}
	}
	for _, path := range differ {
		fmt.Fprintln(a.h.Out, path)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if f.check && len(differ) > 0 {
		return &exitErr{code: exitError}
	}
	return nil
}
