package analysis

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// docs/weftctl.md's code table is what users read: every code weftctl can
// report has its row there, with the severity, name and description
// --list-analyzers prints.
func TestDocsListEveryCode(t *testing.T) {
	data, err := os.ReadFile("../../docs/weftctl.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Codes {
		row := fmt.Sprintf("| %s | %s | %s | %s |", c.Code, c.Severity, c.Name, c.Description)
		if !strings.Contains(string(data), row+"\n") {
			t.Errorf("docs/weftctl.md lacks the row\n%s", row)
		}
	}
}
