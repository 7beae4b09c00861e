package labfile

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		mib  int64
		fail string // part of the error, "" for success
	}{
		{"4GiB", 4096, ""},
		{"512MiB", 512, ""},
		{"1G", 1024, ""},
		{"1024M", 1024, ""},
		{"2GB", 2048, ""}, // binary, as Multipass reads it
		{"1.5G", 1536, ""},
		{"1048576K", 1024, ""},
		{"2048KiB", 2, ""},
		{"4gib", 4096, ""},
		{"20480MB", 20480, ""},
		{"4096", 0, `"4096" has no unit; add K, M or G`},
		{"1.5", 0, "has no unit"},
		{"4 GiB", 0, "is not a size"},
		{"4TB", 0, "is not a size"},
		{"GiB", 0, "is not a size"},
		{"-1G", 0, "is not a size"},
		{"512K", 0, "is not a whole number of MiB"},
		{"1.0001G", 0, "is not a whole number of MiB"},
		{"0M", 0, "is zero"},
		{"", 0, "is not a size"},
		{"9999999999999999G", 0, "too large"},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		switch {
		case tt.fail == "" && err != nil:
			t.Errorf("ParseSize(%q) error %v", tt.in, err)
		case tt.fail == "" && got != tt.mib:
			t.Errorf("ParseSize(%q) = %d MiB, want %d", tt.in, got, tt.mib)
		case tt.fail != "" && (err == nil || !strings.Contains(err.Error(), tt.fail)):
			t.Errorf("ParseSize(%q) = %d, %v; want error containing %q", tt.in, got, err,
				tt.fail)
		}
	}
}

func TestCIDRHost(t *testing.T) {
	tests := []struct {
		prefix string
		num    int64
		want   string
		fail   string
	}{
		{"192.168.56.0/24", 10, "192.168.56.10", ""},
		{"192.168.56.0/24", 0, "192.168.56.0", ""},
		{"192.168.56.0/24", -1, "192.168.56.255", ""},
		{"192.168.56.0/24", -256, "192.168.56.0", ""},
		{"192.168.56.77/24", 20, "192.168.56.20", ""}, // host bits are dropped
		{"10.0.0.0/8", 65536 + 2, "10.1.0.2", ""},
		{"10.0.0.0/30", 3, "10.0.0.3", ""},
		{"fd00::/64", 5, "fd00::5", ""},
		{"192.168.56.0/24", 256, "", "host number 256 is outside 192.168.56.0/24"},
		{"192.168.56.0/24", -257, "", "outside"},
		{"192.168.56.0", 1, "", "is not a CIDR prefix"},
	}
	for _, tt := range tests {
		got, err := CIDRHost(tt.prefix, tt.num)
		checkResult(t, "CIDRHost", tt.prefix, got.String(), err, tt.want, tt.fail)
	}
}

func TestCIDRSubnet(t *testing.T) {
	tests := []struct {
		prefix          string
		newbits, netnum int64
		want, fail      string
	}{
		{"10.0.0.0/16", 8, 2, "10.0.2.0/24", ""},
		{"10.20.0.0/16", 8, 3, "10.20.3.0/24", ""},
		{"192.168.56.0/21", 3, 7, "192.168.63.0/24", ""},
		{"10.0.0.0/8", 0, 0, "10.0.0.0/8", ""},
		{"172.16.0.0/12", 4, 15, "172.31.0.0/16", ""},
		{"fd00::/48", 16, 1, "fd00:0:0:1::/64", ""},
		{"10.0.0.0/16", 8, 256, "", "subnet number 256 is outside 0 to 255"},
		{"10.0.0.0/30", 3, 0, "", "longer than 32 bits"},
		{"10.0.0.0/16", -1, 0, "", "cannot add -1 bits"},
		{"nope", 1, 1, "", "is not a CIDR prefix"},
	}
	for _, tt := range tests {
		got, err := CIDRSubnet(tt.prefix, tt.newbits, tt.netnum)
		checkResult(t, "CIDRSubnet", tt.prefix, got.String(), err, tt.want, tt.fail)
	}
}

func checkResult(t *testing.T, fn, in, got string, err error, want, fail string) {
	t.Helper()
	switch {
	case fail == "" && err != nil:
		t.Errorf("%s(%q) error %v", fn, in, err)
	case fail == "" && got != want:
		t.Errorf("%s(%q) = %s, want %s", fn, in, got, want)
	case fail != "" && (err == nil || !strings.Contains(err.Error(), fail)):
		t.Errorf("%s(%q) = %s, %v; want error containing %q", fn, in, got, err, fail)
	}
}

func TestRenderTemplate(t *testing.T) {
	vars := map[string]cty.Value{
		"user":  cty.StringVal("jon"),
		"nodes": cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
	}
	tests := []struct {
		src, want, fail string
	}{
		{"name: ${user}\n", "name: jon\n", ""},
		{"home: $${HOME}\n", "home: ${HOME}\n", ""},
		{"keep %%{ if x } as is", "keep %{ if x } as is", ""},
		{"$$ and %% and $HOME alone", "$$ and %% and $HOME alone", ""},
		{"%{ for n in nodes }${n},%{ endfor }", "a,b,", ""},
		{"line\r\nnext ${upper}", "", "t.tpl:2:8: Unknown template variable"},
		{"${cidrhost(\"10.0.0.0/24\", 5)}", "10.0.0.5", ""},
		{"${templatefile(\"x\", {})}", "", "no function named \"templatefile\""},
		{"${user", "", "Unclosed template interpolation"},
	}
	for _, tt := range tests {
		fns := (&decoder{}).functions(false)
		got, err := renderTemplate([]byte(tt.src), "t.tpl", vars, fns)
		if tt.fail == "" {
			if err != nil || got.AsString() != tt.want {
				t.Errorf("render %q = %#v, %v; want %q", tt.src, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("render %q = %#v, want error %q", tt.src, got, tt.fail)
			continue
		}
		if !strings.Contains(err.Error(), tt.fail) {
			t.Errorf("render %q error %q, want %q", tt.src, err, tt.fail)
		}
	}
}
