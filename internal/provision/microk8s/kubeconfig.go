package microk8s

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/labtool/lab/internal/spec"
)

// serverLine matches the kubeconfig's API server address.
var serverLine = regexp.MustCompile(`(?m)^(\s*server:\s*)https://\S+$`)

// RewriteServer points a kubeconfig at the forwarded API port on the host.
func RewriteServer(kubeconfig string, apiHostPort int) string {
	return serverLine.ReplaceAllString(kubeconfig,
		fmt.Sprintf("${1}https://127.0.0.1:%d", apiHostPort))
}

// writeKubeconfig fetches the admin kubeconfig from the control plane (its
// contents are never echoed) and writes it to c.Kubeconfig, mode 0600. It
// returns a warning when the file may reach git.
func writeKubeconfig(ctx context.Context, c *spec.Cluster, cp *member,
	apiHostPort int) (string, error) {
	text, err := stdout(ctx, cp, "sudo -n microk8s config")
	if err != nil {
		return "", fmt.Errorf("reading kubeconfig on %s: %w", cp.node.Name, err)
	}
	if !serverLine.MatchString(text) {
		return "", fmt.Errorf("kubeconfig from %s has no server line", cp.node.Name)
	}
	if err := writePrivate(c.Kubeconfig, []byte(RewriteServer(text, apiHostPort))); err != nil {
		return "", fmt.Errorf("writing kubeconfig: %w", err)
	}
	return gitWarning(c.Kubeconfig), nil
}

// writePrivate writes data through a temporary file and a rename, 0600.
func writePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// gitWarning warns about a kubeconfig outside a .lab folder, which lab
// keeps git-ignored.
func gitWarning(path string) string {
	for _, part := range strings.Split(filepath.ToSlash(path), "/") {
		if part == ".lab" {
			return ""
		}
	}
	return fmt.Sprintf("kubeconfig %s holds cluster credentials; keep it git-ignored "+
		"(or leave kubeconfig at its default under .lab/)", path)
}
