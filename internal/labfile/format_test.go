package labfile

import (
	"reflect"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"aligns equals and indents",
			"node \"cp\" {\nimage = image.jammy\n    cpus=2\n  memory   =   \"4GiB\"\n}\n",
			"node \"cp\" {\n  image  = image.jammy\n  cpus   = 2\n  memory = \"4GiB\"\n}\n"},
		{"nested blocks and comments kept",
			"node \"cp\" {\n# the LAN\nnic \"lan\" {\nnetwork=network.lan # here\n}\n}\n",
			"node \"cp\" {\n  # the LAN\n  nic \"lan\" {\n    network = network.lan # here\n  }\n}\n"},
		{"already canonical", "lab \"k8s\" {\n  driver = \"virtualbox\"\n}\n",
			"lab \"k8s\" {\n  driver = \"virtualbox\"\n}\n"},
		{"lists and interpolation",
			"output \"x\" {\nvalue = [ \"a\",\"b\" ]\n}\noutput \"y\" {\nvalue = \"${ var.a }\"\n}\n",
			"output \"x\" {\n  value = [\"a\", \"b\"]\n}\noutput \"y\" {\n  value = \"${var.a}\"\n}\n"},
	}
	for _, tt := range tests {
		got, err := Format([]byte(tt.in), "Labfile")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(got) != tt.want {
			t.Errorf("%s: Format =\n%s\nwant\n%s", tt.name, got, tt.want)
		}
		again, err := Format(got, "Labfile")
		if err != nil || string(again) != string(got) {
			t.Errorf("%s: formatting twice changed the text:\n%s", tt.name, again)
		}
	}
}

func TestIsFormatted(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"lab \"k8s\" {\n  driver = \"virtualbox\"\n}\n", true},
		{"lab \"k8s\" {\ndriver = \"virtualbox\"\n}\n", false},
		{"lab \"k8s\" {\n  driver =  \"virtualbox\"\n}\n", false},
		{"", true},
	}
	for _, tt := range tests {
		got, err := IsFormatted([]byte(tt.in), "Labfile")
		if err != nil || got != tt.want {
			t.Errorf("IsFormatted(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// A file that does not parse is reported, never rewritten.
func TestFormatSyntaxError(t *testing.T) {
	src := "lab \"k8s\" {\n  driver = \n}\n"
	out, err := Format([]byte(src), "Labfile")
	if out != nil || err == nil {
		t.Fatalf("Format = %q, %v; want a diagnostics error", out, err)
	}
	var b strings.Builder
	if werr := err.(Diagnostics).Write(&b, map[string][]byte{"Labfile": []byte(src)}); werr != nil {
		t.Fatal(werr)
	}
	want := "Error: Invalid expression\n\n  on Labfile:2:12, in lab \"k8s\":\n" +
		"    2 |   driver = \n      |            ^\n\n  Expected the start of an expression, " +
		"but found an invalid expression token.\n\n"
	if b.String() != want {
		t.Errorf("diagnostics:\n%q\nwant\n%q", b.String(), want)
	}
	if _, err := IsFormatted([]byte(src), "Labfile"); err == nil {
		t.Error("IsFormatted accepted a file that does not parse")
	}
}

// Formatting never changes what a Labfile means: each valid Labfile, once
// formatted, decodes to the same spec. The full example is kept as
// LABFILE.md prints it, which is not canonical (comments are realigned);
// the others are canonical, so `lab fmt --check` passes on them.
func TestFormatKeepsMeaning(t *testing.T) {
	for name, opts := range validCases {
		t.Run(name, func(t *testing.T) {
			t.Chdir("testdata/valid/" + name)
			src := mustRead(t, "Labfile")
			formatted, err := Format(src, "Labfile")
			if err != nil {
				t.Fatal(err)
			}
			canonical, err := IsFormatted(src, "Labfile")
			if err != nil || canonical != (name != "full") {
				t.Errorf("IsFormatted = %v, %v", canonical, err)
			}
			before, err1 := LoadSource("Labfile", src, opts)
			after, err2 := LoadSource("Labfile", formatted, opts)
			if err1 != nil || err2 != nil {
				t.Fatalf("load: %v / %v", err1, err2)
			}
			if !reflect.DeepEqual(before, after) {
				t.Errorf("formatting changed the spec")
			}
		})
	}
}
