package labfile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .stderr golden files")

// TestInvalidLabfiles loads each testdata/invalid/*.lab and compares what
// `lab validate` would print with its .stderr golden file. It runs inside
// testdata/invalid so file names read as a user would see them.
func TestInvalidLabfiles(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.lab")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("found %d invalid Labfiles, want at least 25", len(files))
	}
	t.Chdir("testdata/invalid")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".lab"), func(t *testing.T) {
			lab, err := Load(name, Options{})
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want diagnostics", name, lab)
			}
			diags, ok := err.(Diagnostics)
			if !ok {
				t.Fatalf("Load(%s) error is %T, want Diagnostics", name, err)
			}
			var got bytes.Buffer
			if err := diags.Write(&got, nil); err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(name, ".lab") + ".stderr"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("diagnostics for %s differ\n--- got\n%s\n--- want\n%s", name,
					got.String(), want)
			}
		})
	}
}
