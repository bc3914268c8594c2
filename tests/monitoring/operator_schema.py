"""Our own schema check of the Prometheus Operator objects in k8s/monitoring/ (PrometheusRule,
ServiceMonitor, monitoring.coreos.com/v1), which kubernetes-models 4.5.1 does not know. It
follows the operator's CRDs for the fields we use: required fields, types, durations, label
names, and no field the CRD does not define (a typo such as `annotation:` would otherwise be
dropped by the API server without a word). Returns findings as strings; none means valid."""

import re

DURATION = re.compile(r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
                      r"(([0-9]+)s)?(([0-9]+)ms)?)$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

STR, INT = "string", "integer"


def _string_map(value, where, out, label_names=False):
    if not isinstance(value, dict):
        out.append(f"{where}: must be a map of strings")
        return
    for k, v in value.items():
        if not isinstance(v, str):
            out.append(f"{where}.{k}: must be a string")
        if label_names and not LABEL_NAME.match(str(k)):
            out.append(f"{where}.{k}: not a Prometheus label name")


def _object(value, where, fields, required, out):
    """fields: name -> type string, or a function(value, where, out)."""
    if not isinstance(value, dict):
        out.append(f"{where}: must be an object")
        return
    for name in required:
        if name not in value:
            out.append(f"{where}.{name}: required")
    for name, v in value.items():
        kind = fields.get(name)
        if kind is None:
            out.append(f"{where}.{name}: unknown field")
        elif kind == STR:
            if not isinstance(v, str):
                out.append(f"{where}.{name}: must be a string")
        elif kind == INT:
            if not isinstance(v, int) or isinstance(v, bool):
                out.append(f"{where}.{name}: must be an integer")
        else:
            kind(v, f"{where}.{name}", out)


def _duration(value, where, out):
    if not isinstance(value, str) or not DURATION.match(value) or value == "":
        out.append(f"{where}: not a duration: {value!r}")


def _list_of(check):
    def run(value, where, out):
        if not isinstance(value, list):
            out.append(f"{where}: must be a list")
            return
        for i, item in enumerate(value):
            check(item, f"{where}[{i}]", out)
    return run


def _rule(value, where, out):
    _object(value, where, {
        "alert": STR, "record": STR, "expr": lambda v, w, o: None if isinstance(v, (str, int))
        else o.append(f"{w}: must be a string"), "for": _duration, "keep_firing_for": _duration,
        "labels": lambda v, w, o: _string_map(v, w, o, label_names=True),
        "annotations": lambda v, w, o: _string_map(v, w, o, label_names=True),
    }, ["expr"], out)
    if isinstance(value, dict) and ("alert" in value) == ("record" in value):
        out.append(f"{where}: needs exactly one of alert and record")


def _group(value, where, out):
    _object(value, where, {"name": STR, "interval": _duration, "rules": _list_of(_rule),
                           "partial_response_strategy": STR, "limit": INT}, ["name"], out)


def _metadata(value, where, out):
    def name(v, w, o):
        if not isinstance(v, str) or not DNS1123.match(v) or len(v) > 253:
            o.append(f"{w}: not a DNS-1123 name: {v!r}")
    _object(value, where, {"name": name, "namespace": name,
                           "labels": lambda v, w, o: _string_map(v, w, o),
                           "annotations": lambda v, w, o: _string_map(v, w, o)},
            ["name"], out)


def _selector(value, where, out):
    _object(value, where, {"matchLabels": lambda v, w, o: _string_map(v, w, o),
                           "matchExpressions": _list_of(lambda v, w, o: _object(
                               v, w, {"key": STR, "operator": STR,
                                      "values": _list_of(lambda x, y, z: None if isinstance(
                                          x, str) else z.append(f"{y}: must be a string"))},
                               ["key", "operator"], o))}, [], out)


def _endpoint(value, where, out):
    _object(value, where, {"port": STR, "targetPort": lambda v, w, o: None,
                           "path": STR, "scheme": STR, "interval": _duration,
                           "scrapeTimeout": _duration, "honorLabels": lambda v, w, o: None},
            [], out)
    if isinstance(value, dict) and "port" not in value and "targetPort" not in value:
        out.append(f"{where}: needs port or targetPort")


def _namespace_selector(value, where, out):
    _object(value, where, {"any": lambda v, w, o: None if isinstance(v, bool)
                           else o.append(f"{w}: must be a boolean"),
                           "matchNames": _list_of(lambda v, w, o: None if isinstance(v, str)
                                                  else o.append(f"{w}: must be a string"))},
            [], out)


SPECS = {
    "PrometheusRule": ({"groups": _list_of(_group)}, ["groups"]),
    "ServiceMonitor": ({"selector": _selector, "endpoints": _list_of(_endpoint),
                        "namespaceSelector": _namespace_selector, "jobLabel": STR},
                       ["selector", "endpoints"]),
}


def check(obj):
    out = []
    kind = obj.get("kind")
    where = f"{kind}/{obj.get('metadata', {}).get('name')}"
    if obj.get("apiVersion") != "monitoring.coreos.com/v1" or kind not in SPECS:
        return [f"{where}: not a monitoring.coreos.com/v1 PrometheusRule or ServiceMonitor"]
    fields, required = SPECS[kind]
    _object(obj, where, {"apiVersion": STR, "kind": STR, "metadata": _metadata,
                         "spec": lambda v, w, o: _object(v, w, fields, required, o)},
            ["metadata", "spec"], out)
    return out
