package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

const chart = "../../charts/tuijin"

func helmBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "helm")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("helm is not installed (scripts/test.sh installs it): %v", err)
	}
	return p
}

func helm(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(helmBin(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, errors.New(stderr.String())
	}
	return out, nil
}

type manifest map[string]any

func (m manifest) kind() string { s, _ := m["kind"].(string); return s }
func (m manifest) name() string { return str(get(m, "metadata", "name")) }

func get(v any, path ...string) any {
	if m, ok := v.(manifest); ok {
		v = map[string]any(m)
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

func render(t *testing.T, args ...string) []manifest {
	t.Helper()
	out, err := helm(t, append([]string{"template", "t", chart}, args...)...)
	if err != nil {
		t.Fatalf("helm template %v: %v", args, err)
	}
	var docs []manifest
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var m map[string]any // not manifest: yaml.v3 would give nested maps that type too
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
	return docs
}

var valueSets = map[string][]string{
	"default":  nil,
	"external": {"-f", chart + "/ci/external-values.yaml"},
	"trial":    {"-f", chart + "/ci/trial-values.yaml"},
	"worker":   {"--set", "worker.enabled=true"},
}

func TestHelmLint(t *testing.T) {
	for name, args := range valueSets {
		if out, err := helm(t, append([]string{"lint", "--strict", chart}, args...)...); err != nil {
			t.Errorf("%s: helm lint: %v\n%s", name, err, out)
		}
	}
}

// TestChartManifests checks every rendering: containers non-root with
// resources, long-running ones with probes, the migration Job a hook, no
// secret in a ConfigMap, the HPA on the API Deployment, and the owner's
// credentials only in the migration Job.
func TestChartManifests(t *testing.T) {
	trialSecrets := secretValues(t, chart+"/ci/trial-values.yaml")
	credURL := regexp.MustCompile(`://[^/@\s]*:[^/@\s]+@`)
	for name, args := range valueSets {
		docs := render(t, args...)
		kinds := map[string]int{}
		var apiDeployment string
		for _, m := range docs {
			kinds[m.kind()]++
			switch m.kind() {
			case "Deployment", "Job":
				checkPod(t, name, m)
				if m.kind() == "Deployment" && str(get(m, "spec", "template", "metadata", "labels", "app.kubernetes.io/component")) == "api" {
					apiDeployment = m.name()
				}
			case "ConfigMap":
				data, _ := get(m, "data").(map[string]any)
				for k, v := range data {
					s := str(v)
					if credURL.MatchString(s) || slices.ContainsFunc(trialSecrets, func(sec string) bool { return strings.Contains(s, sec) }) {
						t.Errorf("%s: ConfigMap %s key %s holds a secret", name, m.name(), k)
					}
				}
			}
			if m.kind() == "Job" {
				hook := str(get(m, "metadata", "annotations", "helm.sh/hook"))
				if !strings.Contains(hook, "pre-install") || !strings.Contains(hook, "pre-upgrade") {
					t.Errorf("%s: Job %s is not a pre-install/pre-upgrade hook: %q", name, m.name(), hook)
				}
			}
		}
		if kinds["Job"] != 1 || kinds["Deployment"] < 1 || kinds["Service"] < 1 || kinds["PodDisruptionBudget"] != 1 {
			t.Errorf("%s: unexpected set of kinds %v", name, kinds)
		}
		for _, m := range docs {
			if m.kind() == "HorizontalPodAutoscaler" {
				if str(get(m, "spec", "scaleTargetRef", "kind")) != "Deployment" || str(get(m, "spec", "scaleTargetRef", "name")) != apiDeployment {
					t.Errorf("%s: HPA targets %v, want Deployment %s", name, get(m, "spec", "scaleTargetRef"), apiDeployment)
				}
			}
			if m.kind() == "Secret" && name != "trial" {
				t.Errorf("%s: the chart made a Secret although existingSecret is set", name)
			}
		}
		if name != "trial" && kinds["HorizontalPodAutoscaler"] != 1 {
			t.Errorf("%s: no HPA", name)
		}
		if name == "worker" && kinds["Deployment"] != 2 {
			t.Errorf("worker enabled but %d Deployments", kinds["Deployment"])
		}
	}
}

func checkPod(t *testing.T, set string, m manifest) {
	spec := get(m, "spec", "template", "spec")
	podNonRoot := get(spec, "securityContext", "runAsNonRoot") == true
	containers, _ := get(spec, "containers").([]any)
	if len(containers) == 0 {
		t.Errorf("%s: %s %s has no containers", set, m.kind(), m.name())
	}
	for _, c := range containers {
		cname := str(get(c, "name"))
		where := set + ": " + m.kind() + " " + m.name() + "/" + cname
		if !podNonRoot && get(c, "securityContext", "runAsNonRoot") != true {
			t.Errorf("%s: may run as root", where)
		}
		if get(c, "securityContext", "readOnlyRootFilesystem") != true || get(c, "securityContext", "allowPrivilegeEscalation") != false {
			t.Errorf("%s: writable root or privilege escalation", where)
		}
		if drop, _ := get(c, "securityContext", "capabilities", "drop").([]any); !slices.Contains(drop, any("ALL")) {
			t.Errorf("%s: capabilities not dropped", where)
		}
		for _, kind := range []string{"requests", "limits"} {
			for _, r := range []string{"cpu", "memory"} {
				if get(c, "resources", kind, r) == nil {
					t.Errorf("%s: no resources.%s.%s", where, kind, r)
				}
			}
		}
		if m.kind() == "Deployment" && (get(c, "livenessProbe") == nil || get(c, "readinessProbe") == nil) {
			t.Errorf("%s: long-running without liveness and readiness probes", where)
		}
		env, _ := get(c, "env").([]any)
		for _, e := range env {
			if str(get(e, "name")) == "TUIJIN_MIGRATE_DATABASE_URL" && m.kind() != "Job" {
				t.Errorf("%s: carries the owning role's database URL", where)
			}
			if get(e, "value") != nil && strings.Contains(strings.ToUpper(str(get(e, "name"))), "SECRET") {
				t.Errorf("%s: secret %s given as a plain value", where, str(get(e, "name")))
			}
		}
	}
}

func secretValues(t *testing.T, file string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Secrets map[string]string }
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range v.Secrets {
		out = append(out, s)
	}
	if len(out) < 5 {
		t.Fatalf("trial values have %d secrets", len(out))
	}
	return out
}

// TestChartSchemaRefusesBadValues: values.schema.json fails a wrong value
// at install time, naming it.
func TestChartSchemaRefusesBadValues(t *testing.T) {
	for _, set := range []string{"config.logLevel=verbose", "api.replicas=0", "service.type=Magic", "config.sessionIdle=soon", "typoKey=1",
		"securityContext.runAsNonRoot=false", "secrets.databaseUrl=mysql://x"} {
		_, err := helm(t, "template", "t", chart, "--set", set)
		key := strings.SplitN(set, "=", 2)[0]
		if err == nil {
			t.Errorf("--set %s accepted", set)
		} else if leaf := key[strings.LastIndex(key, ".")+1:]; !strings.Contains(err.Error(), leaf) {
			t.Errorf("--set %s: error does not name %s: %v", set, leaf, err)
		}
	}
	if _, err := helm(t, "template", "t", chart, "--set", "existingSecret="); err == nil || !strings.Contains(err.Error(), "secrets.") {
		t.Errorf("no existingSecret and no secrets accepted: %v", err)
	}
}

// TestCompose loads docker-compose.yml with the Compose specification's own
// loader and checks health checks, start order and the application role.
func TestCompose(t *testing.T) {
	wd, _ := filepath.Abs("../..")
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  wd,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(wd, "docker-compose.yml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("tuijin", true); o.Profiles = []string{"*"} })
	if err != nil {
		t.Fatalf("compose-go cannot load docker-compose.yml: %v", err)
	}
	oneShot := map[string]bool{"migrate": true, "demo": true}
	stores := []string{"postgres", "redis", "s3"}
	for _, want := range append([]string{"serve", "migrate", "demo"}, stores...) {
		if _, ok := p.Services[want]; !ok {
			t.Errorf("no service %s", want)
		}
	}
	for name, s := range p.Services {
		if !oneShot[name] && (s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 || s.HealthCheck.Disable) {
			t.Errorf("long-running service %s has no health check", name)
		}
		if !oneShot[name] && s.Restart == "" {
			t.Errorf("long-running service %s has no restart policy", name)
		}
	}
	serve := p.Services["serve"]
	for _, store := range stores {
		if d, ok := serve.DependsOn[store]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("serve does not wait for %s to be healthy: %+v", store, d)
		}
	}
	if d := serve.DependsOn["migrate"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("serve does not wait for the migration: %+v", d)
	}
	if d := p.Services["migrate"].DependsOn["postgres"]; d.Condition != types.ServiceConditionHealthy {
		t.Errorf("migrate does not wait for postgres: %+v", d)
	}
	dbURL := serve.Environment["TUIJIN_DATABASE_URL"]
	if dbURL == nil || !strings.Contains(*dbURL, "tuijin_app:") {
		t.Errorf("serve does not connect as the application role: %v", dbURL)
	}
	redisCmd := strings.Join(p.Services["redis"].Command, " ")
	if !strings.Contains(redisCmd, "--appendonly yes") || !strings.Contains(redisCmd, "noeviction") {
		t.Errorf("redis is not set up for a job queue: %s", redisCmd)
	}
}
