package leangrpc

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// EventedService is implemented by a service whose calls need no
// goroutine while they wait: the transport runs a call's Events when it
// has something to take, on a goroutine started for that and gone after.
// An idle call then costs its state alone; with thousands of proxies each
// holding an ADS stream for hours, that is most of what weftd serves.
type EventedService interface {
	// OpenEvents starts the call ss of method (its full name) and returns
	// its Events; nil Events leave the call to the method's handler. An
	// error ends the call with its status.
	OpenEvents(method string, ss grpc.ServerStream) (Events, error)
}

// Events serve one call. Next and Ended run one at a time.
type Events interface {
	// Next takes what the call has to take (a message, the client's end
	// or an error, through the stream's RecvMsg, which does not block).
	// end true ends the call with err's status (nil: OK).
	Next() (end bool, err error)
	// Ended runs once the call has ended, however it ended.
	Ended()
}

// runEvents opens an evented call and serves what is ready; later
// readiness starts drain again (stream.notify).
func (s *Server) runEvents(st *stream, m *method, es EventedService) {
	ev, err := es.OpenEvents(st.req.path, st)
	switch {
	case err != nil:
		st.finish(status.Convert(err))
		st.c.endCall(st)
		return
	case ev == nil:
		s.runCall(st, m)
		return
	}
	st.c.mu.Lock()
	st.ev = ev
	st.c.mu.Unlock()
	st.drain()
}

// drain runs Next while the call has something to take, then leaves it
// idle (running false) until the reader has more.
func (st *stream) drain() {
	for st.stillReady() {
		end, err := st.ev.Next()
		if end {
			st.finish(status.Convert(err))
			st.c.endCall(st)
			st.ev.Ended()
			return
		}
	}
}

// stillReady reports whether Next has something to take; if not, the
// call goes idle under the same lock the reader checks it with.
func (st *stream) stillReady() bool {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	if st.readyLocked() {
		return true
	}
	st.running = false
	return false
}

func (st *stream) readyLocked() bool {
	return len(st.msgs) > 0 || st.recvErr != nil || st.done || st.halfClosed || st.ctx.Err() != nil
}

// wakeLocked starts drain for an idle evented call with something to
// take. Callers hold c.mu.
func (st *stream) wakeLocked() {
	if st.ev == nil || st.running || !st.readyLocked() {
		return
	}
	st.running = true
	go st.drain()
}
