package runner

import (
	"runtime"
	"strings"
)

// CommandLine renders argv for the shell of the host OS: POSIX sh quoting
// everywhere but Windows, where it follows the rules of CommandLineToArgvW.
func CommandLine(argv []string) string {
	return commandLineFor(runtime.GOOS, argv)
}

func commandLineFor(goos string, argv []string) string {
	quote := QuotePOSIX
	if goos == "windows" {
		quote = QuoteWindows
	}
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = quote(a)
	}
	return strings.Join(parts, " ")
}

// QuotePOSIX quotes one argument for a POSIX shell: plain words stay as
// they are, anything else goes in single quotes.
func QuotePOSIX(s string) string {
	if s == "" {
		return "''"
	}
	if strings.Trim(s, posixSafe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const posixSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" +
	"@%+=:,./-_"

// QuoteWindows quotes one argument the way CommandLineToArgvW reads it
// back: double quotes around anything with blanks, quotes or cmd.exe
// metacharacters; backslashes doubled only before a quote.
func QuoteWindows(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t\"&|<>^()%!,;=") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	// Backslashes before the closing quote must be doubled.
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}
