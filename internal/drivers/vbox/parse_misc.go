package vbox

import (
	"fmt"
	"strings"
)

// parseExtradata reads `getextradata <vm> enumerate`: `Key: <k>, Value: <v>`.
func parseExtradata(out string) (map[string]string, error) {
	kv := map[string]string{}
	for _, l := range lines(out) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		rest, ok := strings.CutPrefix(l, "Key: ")
		k, v, ok2 := strings.Cut(rest, ", Value: ")
		if !ok || !ok2 {
			return nil, fmt.Errorf("getextradata: unexpected line %q", l)
		}
		kv[k] = v
	}
	return kv, nil
}

// parseCreatedIf reads `hostonlyif create` output:
// "Interface 'vboxnet1' was successfully created".
func parseCreatedIf(out string) (string, error) {
	for _, l := range lines(out) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(l), "Interface '")
		name, ok2 := strings.CutSuffix(rest, "' was successfully created")
		if ok && ok2 && name != "" {
			return name, nil
		}
	}
	return "", fmt.Errorf("hostonlyif create: no interface name in output %q", out)
}

// importResult is what `import` says it did.
type importResult struct {
	VMName       string
	SettingsFile string
	Disks        []string // target paths
	Done         bool     // "Successfully imported the appliance."
}

// parseImport reads the numbered "Virtual system 0:" lines of `import`.
func parseImport(out string) importResult {
	var r importResult
	for _, l := range lines(out) {
		l = strings.TrimSpace(l)
		switch {
		case l == "Successfully imported the appliance.":
			r.Done = true
		case strings.Contains(l, "VM name specified with --vmname:"),
			strings.Contains(l, "Suggested VM name "):
			r.VMName = lastQuoted(l)
		case strings.Contains(l, "VM settings file name "):
			r.SettingsFile = lastQuoted(l)
		case strings.Contains(l, "Hard disk image: "):
			if _, t, ok := strings.Cut(l, "target path="); ok {
				t, _, _ = strings.Cut(t, ", controller=")
				r.Disks = append(r.Disks, t)
			}
		}
	}
	return r
}

// lastQuoted returns the text between the first and the last double quote.
func lastQuoted(l string) string {
	i, j := strings.Index(l, `"`), strings.LastIndex(l, `"`)
	if i < 0 || j <= i {
		return ""
	}
	return l[i+1 : j]
}
