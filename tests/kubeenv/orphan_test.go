package kubeenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// OrphanHelperEnv makes TestMain run RunOrphanHelper instead of the tests.
const OrphanHelperEnv = "WEFT_KUBEENV_ORPHAN_HELPER"

// RunOrphanHelper starts a control plane in dir, writes its components'
// pids to dir/pids and waits to be killed (at most two minutes).
func RunOrphanHelper(dir string) int {
	bins, err := EnsureBinaries(0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, err := New(bins, Options{WithoutControllerManager: true, LogDir: filepath.Join(dir, "env")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pids := fmt.Sprintf("%d %d", env.etcd.cmd.Process.Pid, env.apiserver.cmd.Process.Pid)
	if err := os.WriteFile(filepath.Join(dir, "pids"), []byte(pids), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	time.Sleep(2 * time.Minute)
	return 0
}

// TestNoOrphansWhenTestBinaryDies kills a test binary that runs a control
// plane with SIGKILL, so no cleanup runs, and checks that etcd and
// kube-apiserver die with it (Pdeathsig).
func TestNoOrphansWhenTestBinaryDies(t *testing.T) {
	Binaries(t)
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), OrphanHelperEnv+"="+dir)
	helper.SysProcAttr = childAttrs()
	out := &strings.Builder{}
	helper.Stdout, helper.Stderr = out, out
	if err := startCmd(helper); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = helper.Wait(); close(exited) }()

	pids := waitPids(t, filepath.Join(dir, "pids"), exited, out)
	_ = syscall.Kill(helper.Process.Pid, syscall.SIGKILL)
	<-exited
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !alive(pids[0]) && !alive(pids[1]) {
			return
		}
	}
	for _, pid := range pids {
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("pid %d outlived the killed test binary", pid)
		}
	}
}

// waitPids waits up to a minute for the helper to write its children's pids.
func waitPids(t *testing.T, path string, exited <-chan struct{}, out fmt.Stringer) []int {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("helper exited early:\n%s", out)
		default:
		}
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var pids []int
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("pids file %q: %v", b, err)
			}
			pids = append(pids, pid)
		}
		return pids
	}
	t.Fatalf("helper wrote no pids in a minute:\n%s", out)
	return nil
}

// alive reports whether pid runs; a zombie (dead, not yet reaped by
// whoever inherited it) counts as dead.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
