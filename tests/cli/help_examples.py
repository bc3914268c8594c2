"""Walks every `codeyard` command and subcommand (read from the Subcommands part of each
--help) and requires an "Examples:" part in its help whose lines run that very command, so no
command can be added without examples. Usage: help_examples.py PATH-TO-codeyard."""
import re
import subprocess
import sys


def help_text(cli, path):
    out = subprocess.run([cli, *path, "--help"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        sys.exit(f"codeyard {' '.join(path)} --help exited {out.returncode}: {out.stderr}")
    return out.stdout


def subcommands(text):
    """The names listed under "Subcommands:" (CLI11: "  name[, alias]   what it does")."""
    names = []
    lines = text.splitlines()
    if "Subcommands:" not in lines:
        return names
    for line in lines[lines.index("Subcommands:") + 1:]:
        if line.strip() and not line.startswith("  "):
            break
        m = re.match(r"^  ([a-z][a-z0-9-]*)[, ]", line)
        if m:
            names.append(m.group(1))
    return names


def main():
    cli = sys.argv[1]
    missing = []
    seen = 0
    todo = [[]]
    while todo:
        path = todo.pop()
        text = help_text(cli, path)
        todo.extend(path + [name] for name in subcommands(text))
        if not path:
            continue
        seen += 1
        command = "codeyard " + " ".join(path)
        examples = text.split("Examples:", 1)
        if len(examples) < 2 or not any(
            f" {command} " in f" {line.strip()} " or f"$({command} " in line
            for line in examples[1].splitlines()
        ):
            missing.append(command)
    if seen < 30:
        sys.exit(f"only {seen} commands found: is the Subcommands part still parsed right?")
    if missing:
        sys.exit("no 'Examples:' running the command in --help of: " + ", ".join(sorted(missing)))
    print(f"{seen} commands, each with examples")


main()
