package vbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
)

// Locator finds VBoxManage on the host. Its fields are the host facts it
// reads, so tests can describe any host.
type Locator struct {
	GOOS     string
	Getenv   func(string) string
	LookPath func(string) (string, error)
	IsFile   func(string) bool
}

// HostLocator looks at the real host.
func HostLocator() Locator {
	return Locator{
		GOOS:     runtime.GOOS,
		Getenv:   os.Getenv,
		LookPath: exec.LookPath,
		IsFile: func(p string) bool {
			st, err := os.Stat(p)
			return err == nil && !st.IsDir()
		},
	}
}

// Find returns the path of VBoxManage: PATH first, then the folders named
// by VBOX_MSI_INSTALL_PATH and VBOX_INSTALL_PATH (";"-separated, as the
// Windows installer sets them), then the usual install folders. The error
// names every place looked.
func (l Locator) Find() (string, error) {
	var looked []string
	for _, name := range l.exeNames() {
		if p, err := l.LookPath(name); err == nil {
			return p, nil
		}
	}
	looked = append(looked, fmt.Sprintf("PATH (%s)", strings.Join(l.exeNames(), ", ")))
	for _, env := range []string{"VBOX_MSI_INSTALL_PATH", "VBOX_INSTALL_PATH"} {
		val := l.Getenv(env)
		if val == "" {
			looked = append(looked, env+" (not set)")
			continue
		}
		for _, dir := range strings.Split(val, ";") {
			if dir = strings.TrimSpace(dir); dir == "" {
				continue
			}
			p := l.join(dir, l.exeNames()[len(l.exeNames())-1])
			if l.IsFile(p) {
				return p, nil
			}
			looked = append(looked, fmt.Sprintf("%s from %s", p, env))
		}
	}
	for _, p := range l.usualPaths() {
		if l.IsFile(p) {
			return p, nil
		}
		looked = append(looked, p)
	}
	return "", errors.New("VBoxManage not found; looked in:\n  " + strings.Join(looked, "\n  "))
}

func (l Locator) exeNames() []string {
	if l.GOOS == "windows" {
		return []string{"VBoxManage", "VBoxManage.exe"}
	}
	return []string{"VBoxManage"}
}

// join joins with the separator of the located host, not of this process.
func (l Locator) join(dir, name string) string {
	sep := "/"
	if l.GOOS == "windows" {
		sep = `\`
	}
	return strings.TrimRight(dir, `/\`) + sep + name
}

// usualPaths are where the official installers put VBoxManage.
func (l Locator) usualPaths() []string {
	switch l.GOOS {
	case "windows":
		var out []string
		for _, env := range []string{"ProgramFiles", "ProgramW6432"} {
			if d := l.Getenv(env); d != "" {
				out = append(out, l.join(d, `Oracle\VirtualBox\VBoxManage.exe`))
			}
		}
		out = append(out, `C:\Program Files\Oracle\VirtualBox\VBoxManage.exe`)
		return slices.Compact(out)
	case "darwin":
		return []string{"/Applications/VirtualBox.app/Contents/MacOS/VBoxManage",
			"/usr/local/bin/VBoxManage"}
	default:
		return []string{"/usr/bin/VBoxManage", "/usr/local/bin/VBoxManage",
			"/usr/lib/virtualbox/VBoxManage", "/opt/VirtualBox/VBoxManage"}
	}
}
