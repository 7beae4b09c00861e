package e2e

import (
	"fmt"
	"strings"
	"testing"
)

const stepsLab = `
lab "s" {}

image "jammy" {
  box = "ubuntu/jammy64"
}

node "a" {
  image = image.jammy
  provision "shell" "on-change" {
    inline = ["echo x >> /tmp/on-change"]
    env    = { V = "%s" }
  }
  provision "shell" "once" {
    run    = "once"
    inline = ["echo x >> /tmp/once"]
  }
  provision "shell" "always" {
    run    = "always"
    inline = ["echo x >> /tmp/always"]
  }
  provision "file" "upload" {
    source      = "files/f.txt"
    destination = "/tmp/f.txt"
  }
}
`

// TestStepPolicies checks when steps run: on_change when its commands, env
// or uploaded files change, once only once, always on every up without
// counting as a change for --detailed-exitcode.
func TestStepPolicies(t *testing.T) {
	w := newWorld(t)
	counts := func() string {
		r := w.must(w.lab("exec", "a", "--", "sh", "-c",
			"wc -l < /tmp/on-change; wc -l < /tmp/once; wc -l < /tmp/always; cat /tmp/f.txt"))
		return strings.Join(strings.Fields(r.stdout), " ")
	}
	steps := []struct {
		env, file string
		planCode  int
		want      string // on-change once always runs, then the file's content
	}{
		{"1", "one", 2, "1 1 1 one"},
		{"1", "one", 0, "1 1 2 one"}, // only the always step runs
		{"2", "one", 2, "2 1 3 one"}, // env changed
		{"2", "two", 2, "2 1 4 two"}, // uploaded file changed
	}
	for i, s := range steps {
		w.writeLabfile(fmt.Sprintf(stepsLab, s.env), map[string]string{"files/f.txt": s.file})
		if r := w.lab("plan", "--detailed-exitcode"); r.code != s.planCode {
			t.Fatalf("round %d: plan exit %d, want %d:\n%s", i, r.code, s.planCode, r)
		}
		w.must(w.lab("up", "--auto-approve"))
		if got := counts(); got != s.want {
			t.Errorf("round %d: runs and file %q, want %q", i, got, s.want)
		}
	}
}

// folderLab copies a folder into /etc and runs a step with a sensitive env
// value.
const folderLab = `
lab "f" {}

variable "pw" {
  type      = string
  default   = "s3cr3t-pw"
  sensitive = true
}

image "jammy" {
  box = "ubuntu/jammy64"
}

node "a" {
  image = image.jammy
  provision "file" "conf" {
    source      = "conf"
    destination = "/etc"
  }
  provision "shell" "secret" {
    inline = ["test \"$PW\" = s3cr3t-pw", "ps -ef > /tmp/ps.txt"]
    env    = { PW = var.pw }
  }
}
`

// TestFolderStepAndSecretEnv: a folder copied into an existing folder
// leaves that folder's owner and mode alone, and a step's sensitive env
// reaches the script without showing on the guest's process list.
func TestFolderStepAndSecretEnv(t *testing.T) {
	w := newWorld(t)
	w.writeLabfile(folderLab, map[string]string{"conf/app.conf": "x = 1\n",
		"conf/ssh/lab-extra.conf": "# extra\n"})
	w.must(w.lab("up", "--auto-approve"))
	checks := []struct {
		args []string
		want string
	}{
		{[]string{"stat", "-c", "%U %a", "/etc", "/etc/ssh"}, "root 755\nroot 755\n"},
		{[]string{"cat", "/etc/ssh/lab-extra.conf"}, "# extra\n"},
		{[]string{"cat", "/etc/app.conf"}, "x = 1\n"},
	}
	for _, c := range checks {
		if r := w.must(w.lab(append([]string{"exec", "a", "--"}, c.args...)...)); r.stdout != c.want {
			t.Errorf("%s: %q, want %q", strings.Join(c.args, " "), r.stdout, c.want)
		}
	}
	if r := w.must(w.lab("exec", "a", "--", "cat", "/tmp/ps.txt")); strings.Contains(r.stdout,
		"s3cr3t-pw") {
		t.Errorf("the sensitive value showed in the guest's process list:\n%s", r.stdout)
	}
}
