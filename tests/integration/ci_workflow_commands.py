#!/usr/bin/env python3
"""Reads a GitHub Actions workflow (YAML) and prints, as JSON, what ci_example_test.cc
checks: its triggers, and for each job its environment, its needs and every wpfleet
command line in its run steps, as argv with the variables set.

usage: ci_workflow_commands.py WORKFLOW [NAME=VALUE]...

Variables come from the workflow's env maps (workflow, job, step), whose ${{ inputs.X }}
expressions take the value given as inputs.X=VALUE; NAME=VALUE arguments override them.
A variable the script sets itself (operation="$(...)") is unknown here and becomes
"sample": the parser only needs a word there.
"""
import json
import re
import shlex
import sys

import yaml

# Words after which a shell word is a command name.
COMMAND_POSITION = {"if", "then", "else", "elif", "do", "!", "time"}
OPERATOR = re.compile(r"^[();<>|&]+$")
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def evaluate(text, values):
    return EXPRESSION.sub(lambda m: values.get(m.group(1), "sample"), str(text))


def expand(word, env):
    return VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), "sample"), word)


def logical_lines(script):
    return script.replace("\\\n", " ").splitlines()


def wpfleet_commands(script, env):
    commands = []
    for line in logical_lines(script):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
        for i, word in enumerate(words):
            starts = i == 0 or words[i - 1] in COMMAND_POSITION or OPERATOR.match(words[i - 1])
            if word != "wpfleet" or not starts:
                continue
            argv = []
            for arg in words[i + 1:]:
                if OPERATOR.match(arg):
                    break
                argv.append(expand(arg, env))
            # "2>" is lexed as "2" then ">": a trailing file descriptor is not an argument.
            if argv and argv[-1].isdigit() and i + 1 + len(argv) < len(words):
                argv.pop()
            commands.append(argv)
    return commands


def main():
    path, assignments = sys.argv[1], sys.argv[2:]
    given = dict(a.split("=", 1) for a in assignments)
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    # YAML 1.1 reads the key `on` as the boolean true.
    triggers = doc.get("on", doc.get(True))
    workflow_env = {k: evaluate(v, given) for k, v in (doc.get("env") or {}).items()}
    jobs = {}
    for name, job in (doc.get("jobs") or {}).items():
        job_env = dict(workflow_env)
        job_env.update({k: evaluate(v, given) for k, v in (job.get("env") or {}).items()})
        commands = []
        for step in job.get("steps") or []:
            env = dict(job_env)
            env.update({k: evaluate(v, given) for k, v in (step.get("env") or {}).items()})
            env.update({k: v for k, v in given.items() if "." not in k})
            for argv in wpfleet_commands(step.get("run", ""), env):
                commands.append({"step": step.get("name", ""), "argv": argv})
        needs = job.get("needs") or []
        jobs[name] = {
            "environment": job.get("environment"),
            "needs": [needs] if isinstance(needs, str) else needs,
            "runs-on": job.get("runs-on"),
            "commands": commands,
        }
    json.dump({"name": doc.get("name"), "on": triggers, "jobs": jobs}, sys.stdout, indent=2)


if __name__ == "__main__":
    main()
