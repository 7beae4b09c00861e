package labfile

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestValidName(t *testing.T) {
	tests := map[string]bool{
		"cp": true, "worker-1": true, "1node": true, "a": true,
		strings.Repeat("a", 63): true, strings.Repeat("a", 64): false,
		"": false, "Web": false, "web_1": false, "-web": false, "web-": false,
		"web.lab": false, "wéb": false, "web 1": false,
	}
	for name, want := range tests {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestNormalizeMAC(t *testing.T) {
	tests := []struct {
		in, want, fail string
	}{
		{"08:00:27:ab:cd:ef", "080027ABCDEF", ""},
		{"080027abcdef", "080027ABCDEF", ""},
		{"0A0027ABCDEF", "0A0027ABCDEF", ""},
		{"08:00:27:ab:cd", "", "12 hex digits"},
		{"08:00:27:ab:cd:eg", "", "12 hex digits"},
		{"0800:27ab:cdef", "", "colons go between pairs"},
		{"01:00:5e:00:00:01", "", "multicast"},
		{"", "", "12 hex digits"},
	}
	for _, tt := range tests {
		got, err := NormalizeMAC(tt.in)
		checkResult(t, "NormalizeMAC", tt.in, got, err, tt.want, tt.fail)
	}
}

func TestDiagnosticsText(t *testing.T) {
	src := []byte("lab \"x\" {}\nnode \"a\" {\n  cpus = 0\n}\n")
	rng := &hcl.Range{Filename: "Labfile",
		Start: hcl.Pos{Line: 3, Column: 10, Byte: 31}, End: hcl.Pos{Line: 3, Column: 11, Byte: 32}}
	d := Diagnostics{
		{Severity: SeverityError, Summary: "No place", Detail: "Said once."},
		{Severity: SeverityWarning, Summary: "Too few", Detail: "cpus = 0.", Subject: rng,
			Block: `node "a"`},
	}
	if !d.HasErrors() || d[1:].HasErrors() {
		t.Error("HasErrors is wrong")
	}
	wantErr := "No place: Said once.\nLabfile:3:10: in node \"a\": Too few: cpus = 0."
	if d.Error() != wantErr {
		t.Errorf("Error() = %q, want %q", d.Error(), wantErr)
	}
	var b strings.Builder
	if err := d.Write(&b, map[string][]byte{"Labfile": src}); err != nil {
		t.Fatal(err)
	}
	want := "Error: No place\n\n  Said once.\n\n" +
		"Warning: Too few\n\n  on Labfile:3:10, in node \"a\":\n" +
		"    3 |   cpus = 0\n      |          ^\n\n  cpus = 0.\n\n"
	if b.String() != want {
		t.Errorf("Write:\n%q\nwant\n%q", b.String(), want)
	}
}
