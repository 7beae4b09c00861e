// Package view turns plans and apply events into text for people or JSON
// for machines. It decides colour in one place.
package view

// UseColor is the one decision on colour and symbols: only on a terminal,
// and not when NO_COLOR is set (to anything) or TERM is "dumb".
func UseColor(isTTY bool, getenv func(string) string) bool {
	if !isTTY || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return true
}

// Style holds the ANSI sequences a view uses; the zero Style prints plain.
type Style struct {
	on bool
}

// NewStyle returns a Style that colours when color is true.
func NewStyle(color bool) Style { return Style{on: color} }

const reset = "\x1b[0m"

func (s Style) paint(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + reset
}

// Green, Yellow, Red, Magenta, Cyan, Blue and Bold wrap text in colour.
func (s Style) Green(t string) string { return s.paint("32", t) }

// Yellow colours text.
func (s Style) Yellow(t string) string { return s.paint("33", t) }

// Red colours text.
func (s Style) Red(t string) string { return s.paint("31", t) }

// Magenta colours text.
func (s Style) Magenta(t string) string { return s.paint("35", t) }

// Cyan colours text.
func (s Style) Cyan(t string) string { return s.paint("36", t) }

// Blue colours text.
func (s Style) Blue(t string) string { return s.paint("34", t) }

// Bold makes text bold.
func (s Style) Bold(t string) string { return s.paint("1", t) }

// Dim greys text out.
func (s Style) Dim(t string) string { return s.paint("2", t) }
