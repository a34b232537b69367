//go:build !linux

package kubeenv

import "errors"

func reexecInNewNetns() (int, error) {
	return 0, errors.New("private network namespaces need Linux")
}

func setUpInside(string) error {
	return errors.New("private network namespaces need Linux")
}
