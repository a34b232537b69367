package contract

import "testing"

func TestParseFileSecret(t *testing.T) {
	for _, c := range []struct {
		name          string
		cert, key, ca string
		ok            bool
	}{
		{FileCertName("/c.pem", "/k.pem"), "/c.pem", "/k.pem", "", true},
		{FileRootName("/ca.pem"), "", "", "/ca.pem", true},
		{FileRootName(""), "", "", "system", true},
		{"file-cert:/c.pem", "", "", "", false},
		{"file-cert:/c.pem~/k.pem~/x", "", "", "", false},
		{"file-cert:~/k.pem", "", "", "", false},
		{"file-root:", "", "", "", false},
		{"file-root:/a~/b", "", "", "", false},
		{"kubernetes://x", "", "", "", false},
		{"default", "", "", "", false},
	} {
		cert, key, ca, ok := ParseFileSecret(c.name)
		if ok != c.ok || ok && (cert != c.cert || key != c.key || ca != c.ca) {
			t.Errorf("ParseFileSecret(%q) = %q %q %q %v, want %q %q %q %v", c.name, cert, key, ca, ok, c.cert, c.key, c.ca, c.ok)
		}
	}
}
