package labfile

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/spec"
)

// load decodes src as a Labfile in a fresh folder and returns the lab or
// the printed diagnostics.
func load(t *testing.T, src string, opts Options) (*spec.Lab, string) {
	t.Helper()
	t.Chdir(t.TempDir())
	lab, err := LoadSource("Labfile", []byte(src), opts)
	if err == nil {
		return lab, ""
	}
	var buf bytes.Buffer
	if werr := err.(Diagnostics).Write(&buf, nil); werr != nil {
		t.Fatal(werr)
	}
	return nil, buf.String()
}

func outputs(lab *spec.Lab) map[string]string {
	out := map[string]string{}
	for _, o := range lab.Outputs {
		out[o.Name] = o.Value
	}
	return out
}

const precedenceLab = `
lab "p" {}
variable "workers" {
  type    = number
  default = 1
}
variable "names" {
  type    = list(string)
  default = ["d"]
}
variable "on" {
  default = false
}
output "workers" { value = var.workers }
output "names" { value = var.names }
output "on" { value = var.on }
`

func TestVariablePrecedence(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want map[string]string
	}{
		{"defaults", Options{},
			map[string]string{"workers": "1", "names": `["d"]`, "on": "false"}},
		{"environment over default", Options{Env: []string{
			"LAB_VAR_workers=3", "LAB_VAR_names=[\"x\", \"y\"]", "LAB_VAR_on=true",
			"LAB_VAR_other=ignored", "workers=9"}},
			map[string]string{"workers": "3", "names": `["x","y"]`, "on": "true"}},
		{"--var over environment", Options{
			Vars: map[string]string{"workers": "5", "names": "[]"},
			Env:  []string{"LAB_VAR_workers=3", "LAB_VAR_on=true"}},
			map[string]string{"workers": "5", "names": `[]`, "on": "true"}},
		{"value with equals sign", Options{Env: []string{"LAB_VAR_names=[\"a=b\"]"}},
			map[string]string{"workers": "1", "names": `["a=b"]`, "on": "false"}},
	}
	for _, tt := range tests {
		lab, diags := load(t, precedenceLab, tt.opts)
		if diags != "" {
			t.Fatalf("%s: %s", tt.name, diags)
		}
		if got := outputs(lab); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: outputs %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestVariableValueErrors(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{Vars: map[string]string{"workers": "two"}},
			"--var workers=\"two\" is not a number, which variable \"workers\" needs."},
		{Options{Env: []string{"LAB_VAR_on=yes"}},
			"LAB_VAR_on=\"yes\" is not true or false, which variable \"on\" needs."},
		{Options{Vars: map[string]string{"names": "[1"}},
			"--var names=\"[1\" is not a list of strings"},
		{Options{Vars: map[string]string{"wokers": "2"}},
			"Error: Undeclared variable \"wokers\"\n\n  --var wokers=... sets a variable " +
				"that Labfile does not declare (declared:\n  names, on, workers).\n"},
	}
	for _, tt := range tests {
		_, diags := load(t, precedenceLab, tt.opts)
		if !strings.Contains(diags, tt.want) {
			t.Errorf("diagnostics\n%s\nwant them to contain\n%s", diags, tt.want)
		}
	}
}

const sensitiveLab = `
lab "s" {}
variable "password" {
  sensitive = true
}
variable "keys" {
  type      = list(string)
  sensitive = true
  default   = ["k1", ""]
}
output "login" {
  value     = "ubuntu:${var.password}"
  sensitive = true
}
output "public" { value = "no secrets" }
`

func TestSensitive(t *testing.T) {
	lab, diags := load(t, sensitiveLab, Options{Vars: map[string]string{"password": "pw1"}})
	if diags != "" {
		t.Fatal(diags)
	}
	if want := []string{"pw1", "k1"}; !reflect.DeepEqual(lab.Sensitive, want) {
		t.Errorf("Sensitive = %q, want %q", lab.Sensitive, want)
	}
	login := lab.Outputs[0]
	if login.Value != "ubuntu:pw1" || !login.Sensitive || lab.Outputs[1].Sensitive {
		t.Errorf("outputs = %+v %+v", *login, *lab.Outputs[1])
	}
	if got := Redact("login ubuntu:pw1 with k1", lab.Sensitive); got !=
		"login ubuntu:(sensitive) with (sensitive)" {
		t.Errorf("Redact = %q", got)
	}

	// A sensitive value is never quoted back in a message.
	noFlag := strings.Replace(sensitiveLab, "sensitive = true\n}\noutput", "}\noutput", 1)
	_, diags = load(t, noFlag, Options{Env: []string{"LAB_VAR_password=pw1"}})
	if !strings.Contains(diags, `The value of output "login" comes from a sensitive`) ||
		strings.Contains(diags, "pw1") {
		t.Errorf("diagnostics:\n%s", diags)
	}
	typed := strings.Replace(sensitiveLab, "sensitive = true\n}\nvariable \"keys\"",
		"sensitive = true\n  type = number\n}\nvariable \"keys\"", 1)
	_, diags = load(t, typed, Options{Vars: map[string]string{"password": "pw1"}})
	if !strings.Contains(diags, "--var password=(sensitive) is not a number") ||
		strings.Contains(diags, "pw1") {
		t.Errorf("diagnostics:\n%s", diags)
	}
}

func TestRedactLongestFirst(t *testing.T) {
	got := Redact("abc ab", []string{"ab", "abc", ""})
	if got != "(sensitive) (sensitive)" {
		t.Errorf("Redact = %q", got)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
