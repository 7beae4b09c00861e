package vbox

import (
	"strconv"
	"strings"
)

// escapedKeys are printed with outputMachineReadableString, which escapes
// backslash and double quote; every other value is printed raw.
var escapedKeys = map[string]bool{
	"name": true, "groups": true, "ostype": true, "CfgFile": true, "SnapFldr": true,
	"LogFldr": true, "description": true,
}

// atoi reads a count; a malformed one counts as 0.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// isDigits reports whether s is a non-empty run of decimal digits.
func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// slotKey reports whether key is prefix followed by a decimal number.
func slotKey(key, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok || !isDigits(rest) {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// splitKV splits one machine-readable line, honouring which keys are
// escaped: quoted keys and escapedKeys are unescaped, others kept raw.
func splitKV(line string) (key, val string, ok bool) {
	escaped := false
	if strings.HasPrefix(line, `"`) {
		k, rest, ok := unquote(line)
		if !ok || !strings.HasPrefix(rest, "=") {
			return "", "", false
		}
		key, val, escaped = k, rest[1:], true
	} else {
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || k[0] == ' ' || k[0] == '\t' {
			return "", "", false
		}
		key, val, escaped = k, v, isEscapedKey(k)
	}
	if escaped {
		if v, rest, ok := unquote(val); ok && rest == "" {
			return key, v, true
		}
	}
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
		val = val[1 : len(val)-1]
	}
	return key, val, true
}

// joinContinued rejoins values that span lines: escaped strings (the VM
// description, say) keep their newlines, so a value whose closing quote is
// missing continues on the next line.
func joinContinued(in []string) []string {
	var out []string
	for i := 0; i < len(in); i++ {
		line := in[i]
		for isEscapedLine(line) && unterminated(line) && i+1 < len(in) {
			i++
			line += "\n" + in[i]
		}
		out = append(out, line)
	}
	return out
}

// isEscapedLine reports whether the line's value is an escaped string.
func isEscapedLine(line string) bool {
	if strings.HasPrefix(line, `"`) {
		return true
	}
	k, _, ok := strings.Cut(line, "=")
	return ok && isEscapedKey(k)
}

// isEscapedKey reports whether a bare key's value is escaped.
func isEscapedKey(k string) bool {
	return escapedKeys[k] || strings.HasPrefix(k, "SharedFolder") ||
		strings.HasPrefix(k, "storagecontrollername")
}

// unterminated reports whether the quoted value of an escaped line lacks
// its closing quote.
func unterminated(line string) bool {
	rest := line
	if strings.HasPrefix(line, `"`) {
		_, r, ok := unquote(line)
		if !ok {
			return true
		}
		rest = r
	}
	_, v, ok := strings.Cut(rest, "=")
	if !ok || !strings.HasPrefix(v, `"`) {
		return false
	}
	_, _, ok = unquote(v)
	return !ok
}

// unquote reads a double-quoted string with \\ and \" escapes from the
// start of s and returns it and what follows.
func unquote(s string) (string, string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '"'):
			b.WriteByte(s[i+1])
			i++
		case c == '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	return "", s, false
}

// lines splits output into lines, accepting CRLF.
func lines(out string) []string {
	out = strings.ReplaceAll(out, "\r\n", "\n")
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}
