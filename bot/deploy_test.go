package bot

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestDeployUsesExportedMetrics: every metric the alert rules and the Grafana dashboard in
// deploy/ query is one the bot exports (a renamed metric would leave an alert that never fires).
func TestDeployUsesExportedMetrics(t *testing.T) {
	st := openTestStore(t, filepath.Join(t.TempDir(), "m.db"))
	t.Cleanup(func() { st.Close() })
	m := newMetrics(st)
	descs := make(chan *prometheus.Desc, 256)
	go func() { m.reg.Describe(descs); close(descs) }()
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	var exported []string
	for d := range descs {
		if mm := fqName.FindStringSubmatch(d.String()); mm != nil {
			exported = append(exported, mm[1])
		}
	}
	used := regexp.MustCompile(`discourse_chatbot_[a-z_]+`)
	for _, file := range []string{"alerts.yaml", "alerts_test.yaml", "grafana-dashboard.json"} {
		data, err := os.ReadFile(filepath.Join("..", "deploy", file))
		if err != nil {
			t.Fatal(err)
		}
		names := used.FindAllString(string(data), -1)
		if len(names) == 0 {
			t.Errorf("%s queries no discourse_chatbot metric", file)
		}
		for _, n := range names {
			base := n
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if b, ok := strings.CutSuffix(n, suffix); ok && slices.Contains(exported, b) {
					base = b
				}
			}
			if !slices.Contains(exported, base) {
				t.Errorf("deploy/%s uses %s, which the bot does not export", file, n)
			}
		}
	}
}
