package sys

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// User is one /etc/passwd entry.
type User struct {
	Name  string
	UID   int
	GID   int
	Gecos string
	Home  string
	Shell string
}

// Group is one /etc/group entry.
type Group struct {
	Name    string
	GID     int
	Members []string
}

// Users reads /etc/passwd.
func (e *Env) Users() ([]User, error) {
	rows, err := e.colonFile("/etc/passwd", 7)
	if err != nil {
		return nil, err
	}
	var out []User
	for _, f := range rows {
		uid, _ := strconv.Atoi(f[2])
		gid, _ := strconv.Atoi(f[3])
		out = append(out, User{f[0], uid, gid, f[4], f[5], f[6]})
	}
	return out, nil
}

// Groups reads /etc/group.
func (e *Env) Groups() ([]Group, error) {
	rows, err := e.colonFile("/etc/group", 4)
	if err != nil {
		return nil, err
	}
	var out []Group
	for _, f := range rows {
		gid, _ := strconv.Atoi(f[2])
		var members []string
		for _, m := range strings.Split(f[3], ",") {
			if m != "" {
				members = append(members, m)
			}
		}
		out = append(out, Group{f[0], gid, members})
	}
	return out, nil
}

func (e *Env) colonFile(p string, n int) ([][]string, error) {
	data, err := e.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	var rows [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		for len(f) < n {
			f = append(f, "")
		}
		rows = append(rows, f)
	}
	return rows, nil
}

// LookupUser finds a user by name.
func (e *Env) LookupUser(name string) (User, bool) {
	users, _ := e.Users()
	for _, u := range users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}

// LookupUID finds a user by uid.
func (e *Env) LookupUID(uid int) (User, bool) {
	users, _ := e.Users()
	for _, u := range users {
		if u.UID == uid {
			return u, true
		}
	}
	return User{}, false
}

// LookupGroup finds a group by name.
func (e *Env) LookupGroup(name string) (Group, bool) {
	groups, _ := e.Groups()
	for _, g := range groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// GroupIDs lists the gids of user: the primary group and every group naming it.
func (e *Env) GroupIDs(u User) []int {
	ids := []int{u.GID}
	groups, _ := e.Groups()
	for _, g := range groups {
		for _, m := range g.Members {
			if m == u.Name && g.GID != u.GID {
				ids = append(ids, g.GID)
			}
		}
	}
	return ids
}

// GroupNames lists the names of the groups of user.
func (e *Env) GroupNames(u User) []string {
	var names []string
	groups, _ := e.Groups()
	for _, g := range groups {
		if g.GID == u.GID {
			names = append(names, g.Name)
			continue
		}
		for _, m := range g.Members {
			if m == u.Name {
				names = append(names, g.Name)
			}
		}
	}
	return names
}

// Ubuntu's fixed system group ids, so created groups look like the image's.
var wellKnownGIDs = map[string]int{
	"adm": 4, "cdrom": 24, "sudo": 27, "dip": 30, "plugdev": 46, "lxd": 110,
	"netdev": 109, "users": 100,
}

// EnsureGroup creates group name if it is missing and returns its gid.
// System groups take a free id below 1000, counting down from 999.
func (e *Env) EnsureGroup(name string, system bool) (int, error) {
	if g, ok := e.LookupGroup(name); ok {
		return g.GID, nil
	}
	groups, err := e.Groups()
	if err != nil {
		return 0, err
	}
	used := map[int]bool{}
	for _, g := range groups {
		used[g.GID] = true
	}
	gid, ok := wellKnownGIDs[name]
	if !ok || used[gid] {
		gid = freeID(used, system)
	}
	line := fmt.Sprintf("%s:x:%d:\n", name, gid)
	if err := e.appendLine("/etc/group", line, 0o644); err != nil {
		return 0, err
	}
	if e.Exists("/etc/gshadow") {
		_ = e.appendLine("/etc/gshadow", name+":!::\n", 0o640)
	}
	return gid, nil
}

func freeID(used map[int]bool, system bool) int {
	if system {
		for id := 999; id > 100; id-- {
			if !used[id] {
				return id
			}
		}
	}
	for id := 1000; ; id++ {
		if !used[id] {
			return id
		}
	}
}

func (e *Env) appendLine(p, line string, mode os.FileMode) error {
	data, err := e.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", p, err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	return e.WriteFile(p, append(data, line...), mode)
}

// AddUser creates a user with its own primary group. An existing user is
// returned unchanged.
func (e *Env) AddUser(name, gecos, home, shell string) (User, error) {
	if u, ok := e.LookupUser(name); ok {
		return u, nil
	}
	users, err := e.Users()
	if err != nil {
		return User{}, err
	}
	groups, _ := e.Groups()
	used := map[int]bool{}
	for _, u := range users {
		used[u.UID] = true
	}
	for _, g := range groups {
		used[g.GID] = true
	}
	uid := freeID(used, false)
	gid := uid
	if g, ok := e.LookupGroup(name); ok {
		gid = g.GID
	} else if err := e.appendLine("/etc/group", fmt.Sprintf("%s:x:%d:\n", name, gid),
		0o644); err != nil {
		return User{}, err
	}
	u := User{name, uid, gid, gecos, home, shell}
	line := fmt.Sprintf("%s:x:%d:%d:%s:%s:%s\n", name, uid, gid, gecos, home, shell)
	if err := e.appendLine("/etc/passwd", line, 0o644); err != nil {
		return User{}, err
	}
	// "*" rather than "!": an OpenSSH built without PAM refuses "!" accounts.
	if err := e.appendLine("/etc/shadow", name+":*:20000:0:99999:7:::\n", 0o640); err != nil {
		return User{}, err
	}
	return u, nil
}

// AddToGroups adds user to each named group, creating missing groups.
func (e *Env) AddToGroups(user string, names []string) error {
	for _, n := range names {
		if _, err := e.EnsureGroup(n, true); err != nil {
			return err
		}
	}
	data, err := e.ReadFile("/etc/group")
	if err != nil {
		return fmt.Errorf("reading /etc/group: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for i, line := range lines {
		f := strings.Split(line, ":")
		if len(f) < 4 || !want[f[0]] {
			continue
		}
		members := []string{}
		for _, m := range strings.Split(f[3], ",") {
			if m != "" && m != user {
				members = append(members, m)
			}
		}
		members = append(members, user)
		f[3] = strings.Join(members, ",")
		lines[i] = strings.Join(f, ":")
	}
	return e.WriteFile("/etc/group", []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
