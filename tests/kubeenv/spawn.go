package kubeenv

import (
	"os/exec"
	"runtime"
	"sync"
)

// Pdeathsig fires when the OS thread that forked a child exits, not when the
// process does, and Go ends a thread whose goroutine locked it and returned.
// So every child is started from one goroutine locked to its thread for the
// life of the process: the kernel then signals children only when the test
// binary itself dies.
var spawner struct {
	once sync.Once
	reqs chan spawnRequest
}

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

// startCmd is cmd.Start() on the spawner thread.
func startCmd(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnRequest)
		go spawnLoop(spawner.reqs)
	})
	req := spawnRequest{cmd: cmd, done: make(chan error, 1)}
	spawner.reqs <- req
	return <-req.done
}

func spawnLoop(reqs <-chan spawnRequest) {
	runtime.LockOSThread() // never unlocked: the thread must outlive every child
	for req := range reqs {
		req.done <- req.cmd.Start()
	}
}
