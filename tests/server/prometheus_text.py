"""A strict parser of the Prometheus text exposition format 0.0.4, for the metrics tests.

Stricter than Prometheus itself where that catches our mistakes: every family has exactly one
HELP and one TYPE line before its samples, samples of a family are contiguous, no series
appears twice, label values use only the three escapes the format defines, and histogram
series are checked for cumulative buckets ending in +Inf == _count.
"""

import math
import re

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class FormatError(AssertionError):
    pass


def _unescape_help(text, lineno):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "\\n":
                raise FormatError(f"line {lineno}: bad escape in HELP")
            out.append("\\" if text[i + 1] == "\\" else "\n")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _parse_value(text, lineno):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise FormatError(f"line {lineno}: bad sample value {text!r}")
    return float(text)


def _parse_labels(text, pos, lineno):
    """Parses `{a="x",b="y"}` from text[pos] == '{'; returns (labels, position after '}')."""
    labels = {}
    pos += 1
    if text[pos:pos + 1] == "}":
        return labels, pos + 1
    while True:
        m = LABEL_RE.match(text, pos)
        if not m:
            raise FormatError(f"line {lineno}: bad label name at {pos}")
        name = m.group(0)
        pos = m.end()
        if text[pos:pos + 2] != '="':
            raise FormatError(f"line {lineno}: expected =\" after label {name}")
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                raise FormatError(f"line {lineno}: unterminated label value")
            c = text[pos]
            if c == "\\":
                nxt = text[pos + 1:pos + 2]
                if nxt not in ("\\", '"', "n"):
                    raise FormatError(f"line {lineno}: bad escape \\{nxt} in label value")
                value.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                pos += 2
            elif c == '"':
                pos += 1
                break
            elif c == "\n":
                raise FormatError(f"line {lineno}: raw newline in label value")
            else:
                value.append(c)
                pos += 1
        if name in labels:
            raise FormatError(f"line {lineno}: label {name} twice")
        labels[name] = "".join(value)
        if text[pos:pos + 1] == ",":
            pos += 1
            continue
        if text[pos:pos + 1] == "}":
            return labels, pos + 1
        raise FormatError(f"line {lineno}: expected , or }} in labels")


def parse(text):
    """Returns {family: {"help", "type", "samples": [(name, labels, value)]}} in order."""
    if text and not text.endswith("\n"):
        raise FormatError("the document must end with a newline")
    families = {}
    current = None
    seen_series = set()
    for lineno, line in enumerate(text.split("\n")[:-1], start=1):
        if not line:
            raise FormatError(f"line {lineno}: empty line")
        if line.startswith("# HELP "):
            name, _, help_text = line[len("# HELP "):].partition(" ")
            if not NAME_RE.fullmatch(name) or name in families:
                raise FormatError(f"line {lineno}: bad or repeated HELP for {name}")
            families[name] = {"help": _unescape_help(help_text, lineno), "type": None,
                              "samples": []}
            current = name
            continue
        if line.startswith("# TYPE "):
            name, _, kind = line[len("# TYPE "):].partition(" ")
            if name != current or families[name]["type"] is not None or kind not in TYPES:
                raise FormatError(f"line {lineno}: TYPE must follow its HELP: {line!r}")
            families[name]["type"] = kind
            continue
        if line.startswith("#"):
            raise FormatError(f"line {lineno}: unexpected comment {line!r}")
        if current is None or families[current]["type"] is None:
            raise FormatError(f"line {lineno}: sample before HELP and TYPE")
        m = NAME_RE.match(line)
        if not m:
            raise FormatError(f"line {lineno}: bad metric name")
        name, pos = m.group(0), m.end()
        labels = {}
        if line[pos:pos + 1] == "{":
            labels, pos = _parse_labels(line, pos, lineno)
        if line[pos:pos + 1] != " ":
            raise FormatError(f"line {lineno}: expected one space before the value")
        value = _parse_value(line[pos + 1:], lineno)
        kind = families[current]["type"]
        allowed = {current}
        if kind == "histogram":
            allowed = {current + "_bucket", current + "_sum", current + "_count"}
        if name not in allowed:
            raise FormatError(f"line {lineno}: sample {name} outside its family {current}")
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            raise FormatError(f"line {lineno}: series {key} twice")
        seen_series.add(key)
        families[current]["samples"].append((name, labels, value))
    for name, fam in families.items():
        if fam["type"] == "histogram":
            check_histogram(name, fam["samples"])
        if fam["type"] == "counter":
            for _, _, value in fam["samples"]:
                if not value >= 0:
                    raise FormatError(f"{name}: a counter is negative or NaN")
    return families


def check_histogram(name, samples):
    series = {}
    for sample_name, labels, value in samples:
        base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        entry = series.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if sample_name == name + "_bucket":
            if "le" not in labels:
                raise FormatError(f"{name}: bucket without le")
            entry["buckets"].append((_parse_value(labels["le"], 0), value))
        elif sample_name == name + "_sum":
            entry["sum"] = value
        else:
            entry["count"] = value
    for base, entry in series.items():
        bounds = [b for b, _ in entry["buckets"]]
        counts = [c for _, c in entry["buckets"]]
        if not bounds or not math.isinf(bounds[-1]) or bounds != sorted(bounds):
            raise FormatError(f"{name}{base}: buckets must rise and end with le=\"+Inf\"")
        if counts != sorted(counts):
            raise FormatError(f"{name}{base}: bucket counts are not cumulative: {counts}")
        if entry["count"] is None or entry["sum"] is None or counts[-1] != entry["count"]:
            raise FormatError(f"{name}{base}: +Inf bucket {counts[-1]} != _count {entry['count']}")


def value(families, name, **labels):
    """The value of the one sample `name` whose labels include `labels` (0.0 when absent)."""
    family = name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name not in families and name[:-len(suffix)] in families:
            family = name[:-len(suffix)]
    found = [v for n, lbls, v in families.get(family, {"samples": []})["samples"]
             if n == name and all(lbls.get(k) == str(w) for k, w in labels.items())]
    if len(found) > 1:
        raise AssertionError(f"{name}{labels} matches {len(found)} series")
    return found[0] if found else 0.0
