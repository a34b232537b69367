package kubeenv

import (
	"encoding/base64"
	"fmt"
	"os"
)

// kubeconfigTemplate is a minimal admin kubeconfig. It is written by hand
// rather than through clientcmd to keep that dependency out of test binaries.
const kubeconfigTemplate = `apiVersion: v1
kind: Config
clusters:
- name: kubeenv
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: kubeenv
  context:
    cluster: kubeenv
    user: %s
current-context: kubeenv
`

// writeKubeconfig writes an admin kubeconfig for server to path.
func writeKubeconfig(path, server string, p *pki) error {
	body := fmt.Sprintf(kubeconfigTemplate, server, base64.StdEncoding.EncodeToString(p.caPEM),
		AdminUser, p.adminToken, AdminUser)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}
