"""The metric names a PromQL expression selects, for checking the rules and the dashboard
against a server's /metrics.

A small lexer, not a parser: string literals, label matchers `{...}`, range and subquery
brackets `[...]` and Grafana variables (`$name`, `${name}`) are dropped; the label lists after
by, without, on, ignoring, group_left and group_right are dropped; what remains as an
identifier that is not a keyword, a function (followed by `(`), an aggregation (followed by by
or without), a number or a duration is a metric name. The `{__name__="..."}` form is not used
by our files and is refused rather than guessed at."""

import re

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "atan2", "inf", "nan", "start", "end"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}

_TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<var>\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<duration>(?:\d+(?:ms|s|m|h|d|w|y))+(?![A-Za-z0-9_:]))
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<open>[({\[])
  | (?P<close>[)}\]])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE)


def tokens(expr):
    for m in _TOKEN.finditer(expr):
        kind = m.lastgroup
        if kind != "space":
            yield kind, m.group()


def metric_names(expr):
    """The set of metric names `expr` selects."""
    if "__name__" in expr:
        raise ValueError(f"__name__ selectors are not supported: {expr}")
    toks = list(tokens(expr))
    names, depth_skip, i = set(), [], 0
    while i < len(toks):
        kind, text = toks[i]
        if kind == "open":
            # Label matchers and ranges are skipped whole; a grouping keyword's list too.
            skip = text in "{[" or (i > 0 and toks[i - 1][1] in GROUPING)
            depth_skip.append(skip)
        elif kind == "close":
            depth_skip.pop()
        elif any(depth_skip):
            pass
        elif kind == "ident" and text.lower() not in KEYWORDS:
            following = toks[i + 1][1] if i + 1 < len(toks) else ""
            # A function call, or an aggregation with its grouping first: sum by (x) (...).
            if following != "(" and following not in ("by", "without"):
                names.add(text)
        i += 1
    if depth_skip:
        raise ValueError(f"unbalanced brackets: {expr}")
    return names


def family_of(sample_name, families):
    """The family a sample name belongs to: itself, or a histogram's or summary's
    name before _bucket, _sum or _count."""
    if sample_name in families:
        return sample_name
    for suffix in ("_bucket", "_sum", "_count"):
        if sample_name.endswith(suffix):
            base = sample_name[: -len(suffix)]
            if families.get(base) in ("histogram", "summary") and (
                    suffix != "_bucket" or families[base] == "histogram"):
                return base
    return None
