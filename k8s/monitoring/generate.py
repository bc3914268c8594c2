#!/usr/bin/env python3
"""Makes the files of k8s/monitoring/ that are derived, so that each has one source:

- prometheusrule.yaml: rules.yml's groups as a PrometheusRule (monitoring.coreos.com/v1) for the
  Prometheus Operator, the text of rules.yml indented under `spec:` (comments and all);
- grafana-dashboard.json: the Grafana dashboard, from the panel list in dashboard.py.

`python3 k8s/monitoring/generate.py` rewrites them; `--check` only compares and exits 1 naming
the files that differ (tests/monitoring runs it)."""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dashboard  # noqa: E402

RULE_HEADER = """\
# GENERATED from rules.yml by generate.py: edit rules.yml, then run
# `python3 k8s/monitoring/generate.py`. The same alerting rules as a PrometheusRule for the
# Prometheus Operator; the label `release` is what a kube-prometheus-stack install selects rules
# by by default (its ruleSelector): change it to match yours.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: codeyard
  namespace: codeyard
  labels:
    app.kubernetes.io/name: codeyard
    app.kubernetes.io/component: monitoring
    release: kube-prometheus-stack
spec:
"""


def prometheus_rule():
    lines = (HERE / "rules.yml").read_text().splitlines()
    body = [line for line in lines if not line.startswith("#")]
    while body and not body[0].strip():
        body.pop(0)
    return RULE_HEADER + "".join(("  " + line if line.strip() else "") + "\n" for line in body)


def grafana_dashboard():
    return json.dumps(dashboard.build(), indent=2) + "\n"


OUTPUTS = {"prometheusrule.yaml": prometheus_rule, "grafana-dashboard.json": grafana_dashboard}


def main(argv):
    check = "--check" in argv
    stale = []
    for name, make in OUTPUTS.items():
        path = HERE / name
        text = make()
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("k8s/monitoring: out of date (run python3 k8s/monitoring/generate.py): "
              + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
