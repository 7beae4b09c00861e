package microk8s

import (
	"context"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labtool/lab/internal/provision"
)

// statusYAML is the part of `microk8s status --format yaml` lab reads.
type statusYAML struct {
	Addons []struct {
		Name       string `yaml:"name"`
		Repository string `yaml:"repository"`
		Status     string `yaml:"status"`
	} `yaml:"addons"`
}

// enabledAddons reads which addons are on; unreadable output means none
// are known, and enabling an enabled addon is harmless.
func enabledAddons(ctx context.Context, cp *member) (map[string]bool, error) {
	text, err := stdout(ctx, cp, "sudo -n microk8s status --format yaml")
	if err != nil {
		return nil, fmt.Errorf("reading addons on %s: %w", cp.node.Name, err)
	}
	var st statusYAML
	on := map[string]bool{}
	if yaml.Unmarshal([]byte(text), &st) != nil {
		return on, nil
	}
	for _, a := range st.Addons {
		if a.Status == "enabled" {
			on[a.Name] = true
			on[a.Repository+"/"+a.Name] = true
		}
	}
	return on, nil
}

// addonName drops the arguments of an addon spec ("dns:1.1.1.1").
func addonName(addon string) string {
	name, _, _ := strings.Cut(addon, ":")
	return name
}

// enableAddons enables each addon not yet enabled, in order.
func enableAddons(ctx context.Context, cp *member, addons []string) error {
	if len(addons) == 0 {
		return nil
	}
	on, err := enabledAddons(ctx, cp)
	if err != nil {
		return err
	}
	for _, a := range addons {
		if on[addonName(a)] {
			continue
		}
		if err := run(ctx, cp, "sudo -n microk8s enable "+provision.ShellQuote(a)); err != nil {
			return fmt.Errorf("enabling addon %s (see `microk8s status` and "+
				"`microk8s inspect` on %s): %w", a, cp.node.Name, err)
		}
	}
	return nil
}
