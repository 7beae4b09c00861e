package vbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// boxHome is Vagrant's home: $VAGRANT_HOME, else .vagrant.d in the user's
// home (%USERPROFILE% on Windows).
func boxHome(goos string, getenv func(string) string) (string, error) {
	if h := getenv("VAGRANT_HOME"); h != "" {
		return h, nil
	}
	home := getenv("HOME")
	if goos == "windows" {
		home = getenv("USERPROFILE")
	}
	if home == "" {
		return "", errors.New("cannot find Vagrant's home: " +
			"neither VAGRANT_HOME nor the home folder is set")
	}
	return filepath.Join(home, ".vagrant.d"), nil
}

// boxDirName encodes a box name the way Vagrant names its folder.
func boxDirName(goos, name string) string {
	name = strings.ReplaceAll(name, "/", "-VAGRANTSLASH-")
	if goos == "windows" {
		name = strings.ReplaceAll(name, ":", "-VAGRANTCOLON-")
	}
	return name
}

// vagrantArch is Vagrant's name for a Go architecture.
func vagrantArch(goarch string) string {
	if goarch == "386" {
		return "i386"
	}
	return goarch
}

// findBox returns the box.ovf of the newest version of a VirtualBox box:
// <home>/boxes/<name>/<version>/[<arch>/]virtualbox/box.ovf.
func findBox(home, goos, goarch, name string) (string, error) {
	dir := filepath.Join(home, "boxes", boxDirName(goos, name))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("vagrant box %q not found (looked in %s)", name, dir)
	}
	var versions []string
	for _, e := range entries {
		if e.IsDir() && validBoxVersion(e.Name()) {
			versions = append(versions, e.Name())
		}
	}
	sort.Slice(versions, func(i, j int) bool { return compareVersions(versions[i], versions[j]) > 0 })
	for _, v := range versions {
		for _, p := range []string{
			filepath.Join(dir, v, vagrantArch(goarch), "virtualbox", "box.ovf"),
			filepath.Join(dir, v, "virtualbox", "box.ovf"),
		} {
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("vagrant box %q has no virtualbox box.ovf for %s in %s", name,
		vagrantArch(goarch), dir)
}

// validBoxVersion accepts what Gem::Version does, roughly: dot-separated
// alphanumeric segments starting with a digit.
func validBoxVersion(v string) bool {
	if v == "" || v[0] < '0' || v[0] > '9' {
		return false
	}
	for _, seg := range strings.Split(v, ".") {
		if seg == "" || strings.Trim(seg, alnum) != "" {
			return false
		}
	}
	return true
}

const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// compareVersions orders versions like Gem::Version: numeric segments by
// value, missing ones as 0, a letter segment (a pre-release) before any
// number.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		x, y := "0", "0"
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		if c := compareSegment(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func compareSegment(x, y string) int {
	xn, xerr := strconv.Atoi(x)
	yn, yerr := strconv.Atoi(y)
	switch {
	case xerr == nil && yerr == nil:
		return xn - yn
	case xerr == nil:
		return 1
	case yerr == nil:
		return -1
	}
	return strings.Compare(x, y)
}
