package contract

import "strings"

// SDS resource names for certificates a DestinationRule names by file path
// on the proxy, as Istio's agent serves them: weftd puts them in the
// clusters and weft-agent reads the files.
const (
	// FileCertPrefix + CERT + FileSeparator + KEY: a chain and private key.
	FileCertPrefix = "file-cert:"
	// FileRootPrefix + CA: trusted roots; FileRootSystem means the
	// operating system's bundle (a DestinationRule with no caCertificates).
	FileRootPrefix = "file-root:"
	FileRootSystem = FileRootPrefix + "system"
	FileSeparator  = "~"
)

// FileCertName names the SDS secret of a certificate and key file.
func FileCertName(cert, key string) string { return FileCertPrefix + cert + FileSeparator + key }

// FileRootName names the SDS secret of a CA file; "" is the system roots.
func FileRootName(ca string) string {
	if ca == "" {
		return FileRootSystem
	}
	return FileRootPrefix + ca
}

// ParseFileSecret returns the files a file-cert: or file-root: name refers
// to (ca is "system" for the system roots); ok is false for other names.
func ParseFileSecret(name string) (cert, key, ca string, ok bool) {
	if rest, found := strings.CutPrefix(name, FileCertPrefix); found {
		cert, key, ok = strings.Cut(rest, FileSeparator)
		return cert, key, "", ok && cert != "" && key != "" && !strings.Contains(key, FileSeparator)
	}
	if rest, found := strings.CutPrefix(name, FileRootPrefix); found {
		return "", "", rest, rest != "" && !strings.Contains(rest, FileSeparator)
	}
	return "", "", "", false
}
