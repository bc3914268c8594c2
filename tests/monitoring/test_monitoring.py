"""The monitoring of k8s/monitoring/ against the real tools and a real server (ctest
"monitoring: rules, dashboard and a real Prometheus"): promtool checks and unit-tests the
alerting rules; the PrometheusRule is rules.yml's groups and the generated files are current;
the operator objects pass our schema check; and a Prometheus started here (loopback, a free
port, a temporary directory, stopped at the end) scrapes a running codeyard-server, loads the
rules and answers every dashboard query, while the server's /metrics passes
`promtool check metrics` and names every metric the rules and the dashboard use."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MONITORING = ROOT / "k8s" / "monitoring"
sys.path.insert(0, str(ROOT / "tests" / "server"))

import operator_schema  # noqa: E402
import prometheus_text  # noqa: E402
from promql_names import family_of, metric_names  # noqa: E402
from test_server import Server, free_port  # noqa: E402

PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"
# Series Prometheus makes itself for every target, not the server.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
DEADLINE_S = 20


def load_rules():
    return yaml.safe_load((MONITORING / "rules.yml").read_text())


def alerts():
    return [r for g in load_rules()["groups"] for r in g["rules"] if "alert" in r]


def dashboard_exprs():
    doc = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in doc["panels"] for t in p.get("targets", [])]
    for var in doc["templating"]["list"]:
        if var["type"] == "query":
            m = re.fullmatch(r"label_values\((\w+), *\w+\)", var["definition"])
            assert m, var["definition"]
            exprs.append(m.group(1))
    return exprs


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)


# ---- the PromQL name extractor itself ------------------------------------------------------

@pytest.mark.parametrize("expr,names", [
    ('histogram_quantile(0.95, sum by (route, le) (rate(x_bucket{a=~"$v",b="c"}'
     '[$__rate_interval])))', {"x_bucket"}),
    ("sum(rate(a_total[5m])) by (le) / on(instance) group_left(job) b offset 1h30m > bool 1e3",
     {"a_total", "b"}),
    ("max(q) > 0 and (sum(increase(f_total[10m])) or vector(0)) == 0", {"q", "f_total"}),
    ('sum without (le) (x) + topk(3, y{l="sum(z)"}) unless up', {"x", "y", "up"}),
])
def test_the_name_extractor_finds_metrics_and_nothing_else(expr, names):
    assert metric_names(expr) == names


def test_histogram_suffixes_belong_to_their_family():
    families = {"h": "histogram", "s": "summary", "c_total": "counter"}
    assert family_of("h_bucket", families) == "h"
    assert family_of("h_count", families) == "h"
    assert family_of("s_sum", families) == "s"
    assert family_of("s_bucket", families) is None
    assert family_of("c_total_count", families) is None
    assert family_of("nothing", families) is None


# ---- the rules -------------------------------------------------------------------------------

def test_promtool_checks_the_rules_and_the_prometheusrule_spec(tmp_path):
    checked = run(PROMTOOL, "check", "rules", str(MONITORING / "rules.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in checked.stdout
    spec = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())["spec"]
    (tmp_path / "spec.yml").write_text(yaml.safe_dump(spec))
    checked = run(PROMTOOL, "check", "rules", str(tmp_path / "spec.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_promtool_unit_tests_fire_each_alert_and_keep_it_silent_under_threshold():
    tested = run(PROMTOOL, "test", "rules", str(HERE / "rules_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    firing, silent = set(), set()
    for case in yaml.safe_load((HERE / "rules_test.yml").read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {a["alert"] for a in alerts()}
    assert firing == names, "alerts without a firing test: " + str(names - firing)
    assert silent == names, "alerts without a silent test: " + str(names - silent)


def test_a_wrong_expectation_fails_promtool(tmp_path):
    doc = yaml.safe_load((HERE / "rules_test.yml").read_text())
    doc["rule_files"] = [str(MONITORING / "rules.yml")]
    doc["tests"] = doc["tests"][:1]  # the first firing case, with one label changed
    fired = doc["tests"][0]["alert_rule_test"][-1]["exp_alerts"][0]
    (tmp_path / "good.yml").write_text(yaml.safe_dump(doc))
    assert run(PROMTOOL, "test", "rules", str(tmp_path / "good.yml")).returncode == 0
    fired["exp_labels"]["severity"] = "page"
    (tmp_path / "bad.yml").write_text(yaml.safe_dump(doc))
    assert run(PROMTOOL, "test", "rules", str(tmp_path / "bad.yml")).returncode != 0


def test_each_alert_has_severity_summary_description_and_a_runbook_section():
    docs = (ROOT / "docs" / "monitoring.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
               for h in re.findall(r"^#+ (.*)$", docs, re.M)}
    for a in alerts():
        assert a["labels"]["severity"] in ("warning", "critical"), a["alert"]
        assert set(a["annotations"]) == {"summary", "description", "runbook"}, a["alert"]
        path, _, anchor = a["annotations"]["runbook"].partition("#")
        assert path == "docs/monitoring.md" and anchor in anchors, a["alert"]
        assert anchor == a["alert"].lower()


def test_the_generated_files_are_current_and_the_prometheusrule_is_rules_yml():
    checked = run(sys.executable, str(MONITORING / "generate.py"), "--check")
    assert checked.returncode == 0, checked.stderr
    rule = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    assert rule["spec"] == load_rules()


# ---- the manifests -------------------------------------------------------------------------

def kustomize(path):
    rendered = run(os.environ.get("KUBECTL", "kubectl"), "kustomize", str(path))
    assert rendered.returncode == 0, rendered.stderr
    return [o for o in yaml.safe_load_all(rendered.stdout) if o]


def test_the_monitoring_kustomization_renders_valid_objects(tmp_path):
    objects = {o["kind"]: o for o in kustomize(MONITORING)}
    assert sorted(objects) == ["ConfigMap", "PrometheusRule", "ServiceMonitor"]
    for kind in ("PrometheusRule", "ServiceMonitor"):
        assert operator_schema.check(objects[kind]) == [], kind
    dashboard = objects["ConfigMap"]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["data"]["grafana-dashboard.json"] == (
        MONITORING / "grafana-dashboard.json").read_text()
    # The ConfigMap through tests/k8s's offline validation (kubernetes-models and our checks).
    (tmp_path / "cm.yaml").write_text(yaml.safe_dump(dashboard))
    validated = run("node", str(ROOT / "tests" / "k8s" / "validate.mjs"),
                    str(ROOT / "k8s" / "namespaces.yaml"), str(tmp_path / "cm.yaml"))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    # The ServiceMonitor selects the server's Service and names one of its ports.
    monitor = objects["ServiceMonitor"]["spec"]
    services = [o for o in kustomize(ROOT / "k8s") if o["kind"] == "Service"
                and o["metadata"]["namespace"] in monitor["namespaceSelector"]["matchNames"]
                and monitor["selector"]["matchLabels"].items() <= o["metadata"]["labels"].items()]
    assert [s["metadata"]["name"] for s in services] == ["codeyard-server"]
    ports = {p["name"] for p in services[0]["spec"]["ports"]}
    assert {e["port"] for e in monitor["endpoints"]} <= ports
    assert re.match(monitor["endpoints"][0]["path"], "/metrics")


@pytest.mark.parametrize("mutate,finding", [
    (lambda o: o["spec"]["groups"][0]["rules"][0].pop("expr"), "expr: required"),
    (lambda o: o["spec"]["groups"][0]["rules"][0].update({"for": "ten minutes"}),
     "not a duration"),
    (lambda o: o["spec"]["groups"][0]["rules"][0].update({"annotation": {}}), "unknown field"),
    (lambda o: o["spec"]["groups"][0]["rules"][0]["labels"].update({"severity": 3}),
     "must be a string"),
    (lambda o: o["spec"]["groups"][0]["rules"][0].update({"record": "x"}), "exactly one"),
    (lambda o: o["metadata"].update({"name": "Codeyard_Rules"}), "DNS-1123"),
    (lambda o: o.update({"apiVersion": "monitoring.coreos.com/v2"}), "not a monitoring"),
])
def test_the_operator_schema_check_can_fail(mutate, finding):
    obj = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    assert operator_schema.check(obj) == []
    mutate(obj)
    findings = operator_schema.check(obj)
    assert findings and any(finding in f for f in findings), findings


# ---- a real server scraped by a real Prometheus ----------------------------------------------

def http_json(url):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


def wait_for(what, probe):
    deadline = time.monotonic() + DEADLINE_S
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except OSError as e:
            last = e
        time.sleep(0.1)
    pytest.fail(f"{what} within {DEADLINE_S}s; last: {last}")


class Prometheus:
    def __init__(self, tmp_path, target_port):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(MONITORING / "rules.yml")],
            "scrape_configs": [{"job_name": "codeyard-server", "metrics_path": "/metrics",
                                "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]}],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = open(tmp_path / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             f"--web.console.templates={tmp_path}", f"--web.console.libraries={tmp_path}"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        self.log_path = tmp_path / "prometheus.log"

    def query(self, expr):
        return http_json(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# Started first (autouse) so that Prometheus opens its database and takes its first scrapes
# while the offline tests above run.
@pytest.fixture(scope="module", autouse=True)
def live(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("server"))
    prometheus = Prometheus(tmp_path_factory.mktemp("prometheus"), server.port)
    try:
        # Traffic for the request families: an answer and a 404.
        assert server.request("GET", "/api/v1/health")[0] == 200
        assert server.request("GET", "/api/v1/no-such-route")[0] == 404
        yield server, prometheus
    finally:
        prometheus.stop()
        server.stop()


def test_the_servers_metrics_pass_promtool_check_metrics(live):
    server, _ = live
    status, _, body = server.request("GET", "/metrics")
    assert status == 200
    checked = run(PROMTOOL, "check", "metrics", stdin=body.decode())
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_metric_the_rules_and_dashboard_name_is_in_the_servers_output(live):
    server, _ = live
    families = {name: f["type"] for name, f in
                prometheus_text.parse(server.request("GET", "/metrics")[2].decode()).items()}
    exprs = [a["expr"] for a in alerts()] + dashboard_exprs()
    named = set().union(*(metric_names(e) for e in exprs))
    assert len(named) > 30  # the extractor found the files' metrics
    missing = sorted(n for n in named - SYNTHETIC if family_of(n, families) is None)
    assert missing == []
    # The new health metrics read sensible values from this server.
    parsed = prometheus_text.parse(server.request("GET", "/metrics")[2].decode())
    value = lambda name: prometheus_text.value(parsed, name)  # noqa: E731
    assert value("codeyard_storage_up") == 1
    assert 0 < value("codeyard_data_dir_free_bytes") <= value("codeyard_data_dir_size_bytes")
    assert value("codeyard_replica_lease_seconds") > 0
    assert 0 <= value("codeyard_replica_heartbeat_age_seconds") < value(
        "codeyard_replica_lease_seconds")
    assert value("codeyard_pod_create_failures_total") == 0
    assert value("codeyard_seccomp_kills_total") == 0


def test_prometheus_scrapes_the_server_and_evaluates_every_rule(live):
    _, prometheus = live
    wait_for("the server scraped", lambda: prometheus.query(
        'codeyard_storage_up{job="codeyard-server"} == 1')["data"]["result"])
    assert prometheus.query('up{job="codeyard-server"}')["data"]["result"][0]["value"][1] == "1"

    def evaluated():
        groups = http_json(prometheus.url + "/api/v1/rules")["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        done = [r for r in rules if not r["lastEvaluation"].startswith("0001")]
        return rules if rules and len(done) == len(rules) else None
    rules = wait_for("every rule evaluated", evaluated)
    assert sorted(r["name"] for r in rules) == sorted(a["alert"] for a in alerts())
    assert [r for r in rules if r["health"] != "ok"] == []
    # A healthy server fires nothing.
    assert [r["name"] for r in rules if r["state"] != "inactive"] == []


def test_prometheus_answers_every_dashboard_query(live):
    _, prometheus = live
    wait_for("the server scraped twice", lambda: prometheus.query(
        'count_over_time(up{job="codeyard-server"}[1m]) >= 2')["data"]["result"])
    for expr in dashboard_exprs():
        concrete = expr.replace("$__rate_interval", "1m").replace("$instance", ".*")
        answer = prometheus.query(concrete)
        assert answer["status"] == "success", (expr, answer)
    # The queries see the live series: the request rate of the route that answered.
    rate = prometheus.query('sum by (route) (rate(codeyard_http_requests_total[1m]))')
    assert "/api/v1/health" in {r["metric"].get("route") for r in rate["data"]["result"]}
