package sudo

import (
	"reflect"
	"strings"
	"testing"

	"github.com/labtool/lab/sim/guestcmd/guesttest"
)

const ubuntuSudoers = `#
# This file MUST be edited with the 'visudo' command as root.
Defaults	env_reset
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin"

# User privilege specification
root	ALL=(ALL:ALL) ALL

# Allow members of group sudo to execute any command
%sudo	ALL=(ALL:ALL) ALL

# See sudoers(5) for more information on "@include" directives:

@includedir /etc/sudoers.d
`

func TestDecide(t *testing.T) {
	g := guesttest.New(t)
	g.Write(t, "/etc/sudoers", ubuntuSudoers, 0o440)
	g.Write(t, "/etc/sudoers.d/90-cloud-init-users", "# Created by cloud-init\n\n"+
		"# User rules for ubuntu\nubuntu ALL=(ALL) NOPASSWD:ALL\n", 0o440)
	g.Write(t, "/etc/sudoers.d/README", "ops ALL=(ALL) NOPASSWD:/usr/bin/snap\n", 0o440)
	g.Write(t, "/etc/sudoers.d/skip.bak", "eve ALL=(ALL) NOPASSWD:ALL\n", 0o440)
	rules := ReadRules(g.Env)
	cases := []struct {
		user   string
		groups []string
		target string
		cmd    string
		want   Decision
	}{
		{"ubuntu", []string{"ubuntu", "sudo"}, "root", "/usr/bin/id", Decision{true, true}},
		{"ubuntu", []string{"ubuntu", "sudo"}, "lab", "/usr/bin/id", Decision{true, true}},
		{"admin", []string{"admin", "sudo"}, "root", "/usr/bin/id", Decision{true, false}},
		{"ops", []string{"ops"}, "root", "/usr/bin/snap", Decision{true, true}},
		{"ops", []string{"ops"}, "root", "/usr/bin/id", Decision{}},
		{"eve", []string{"eve"}, "root", "/usr/bin/id", Decision{}},
	}
	for _, c := range cases {
		if got := Decide(rules, c.user, c.groups, c.target, c.cmd); got != c.want {
			t.Errorf("%s %s: %+v, want %+v", c.user, c.cmd, got, c.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args []string
		want Options
		ok   bool
	}{
		{[]string{"-n", "true"}, Options{NonInteractive: true, User: "root",
			Cmd: []string{"true"}}, true},
		{[]string{"-nEu", "lab", "--", "id", "-u"}, Options{NonInteractive: true,
			PreserveEnv: true, User: "lab", Cmd: []string{"id", "-u"}}, true},
		{[]string{"-ulab", "-i"}, Options{User: "lab", Login: true}, true},
		{[]string{"-S", "microk8s", "status"}, Options{Stdin: true, User: "root",
			Cmd: []string{"microk8s", "status"}}, true},
		{[]string{"-Z", "x"}, Options{User: "root"}, false},
		{[]string{"-n", "A=1", "env"}, Options{NonInteractive: true, User: "root",
			Vars: []string{"A=1"}, Cmd: []string{"env"}}, true},
	}
	for _, c := range cases {
		got, ok := ParseArgs(c.args)
		if ok != c.ok || (ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("%v: %+v %v, want %+v %v", c.args, got, ok, c.want, c.ok)
		}
	}
}

func TestRefuse(t *testing.T) {
	cases := []struct {
		o    Options
		in   string
		want string
	}{
		{Options{NonInteractive: true}, "", "sudo: a password is required\n"},
		{Options{}, "", "sudo: a terminal is required to read the password; either use the " +
			"-S option to read from standard input or configure an askpass helper\n" +
			"sudo: a password is required\n"},
		{Options{Stdin: true}, "wrong\n", "[sudo] password for admin: Sorry, try again.\n" +
			"[sudo] password for admin: \nsudo: no password was provided\n" +
			"sudo: 1 incorrect password attempt\n"},
	}
	for _, c := range cases {
		g := guesttest.New(t)
		g.Env.Stdin = strings.NewReader(c.in)
		u, _ := g.Env.LookupUser("root")
		u.Name = "admin"
		if code := refuse(g.Env, c.o, u); code != 1 || g.Err.String() != c.want {
			t.Errorf("%+v: exit %d %q, want %q", c.o, code, g.Err, c.want)
		}
	}
}

func TestJoinEscaped(t *testing.T) {
	if got := joinEscaped([]string{"echo", "a b", "$HOME"}); got != `echo a\ b $HOME` {
		t.Errorf("got %q", got)
	}
}
