package simulate

// Stubs for the stages being written in parallel; each file that
// implements a stage deletes its stub here.
