"""A fuzz of the command line's inputs: random environments (credentials with any characters,
URLs), flags (known ones with hostile values, unknown ones) and files (random bytes, broken
YAML, specs with random values) given to every command, with zero tracebacks as the bar: each
run ends in the documented exit code (0, 1 or 2) and never prints the API key.

Commands run in process through click's test runner (a subprocess per example would make a
useful number of them take minutes); the CLI code is the real one, down to the local sandbox
in a temporary folder. No example can reach a network: a Wix target always has a key that is
refused before any call, and URLs point at a port nothing listens on or carry credentials,
which are refused before any call.

`FUZZ_EXAMPLES=2000 pytest tests/cli/test_cli_fuzz.py -s` runs a larger fuzz and prints its
tally (examples, exit codes, tracebacks).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.cli import main

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
DEVCON = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"
TALLY: Counter[str] = Counter()

# any text a process can be given: argv and the environment cannot carry NUL (or surrogates)
hostile_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",),
                                     exclude_characters="\x00"), max_size=40)
# a key a Wix target refuses before any call: a character no HTTP header can carry
refused_key = st.builds(lambda a, b: f"emu_{a}\u200b{b}", st.text("abc", max_size=5),
                        st.text("xyz", max_size=5))
targets = st.one_of(
    st.just("local"), hostile_text,
    st.sampled_from(["http://127.0.0.1:9", "http://u:p@127.0.0.1:9", "http://127.0.0.1:9/?key=s",
                     "http://[", "ftp://x", "", "wix"]))
# mostly values a flag takes, so runs get past click to the code behind it
flag_values = st.one_of(st.sampled_from(["1", "4", "0", "30", "plan.json"]),
                        st.sampled_from(["-1", "nan", "1e999", ""]), hostile_text,
                        st.integers(-5, 10**9).map(str))
RUN_FLAGS = ["--auto-approve", "--allow-cancel", "--allow-delete-sold", "--json", "--debug"]
RUN_VALUED = ["--parallelism", "--rate-limit", "--lock-timeout", "--target"]
# each command's own flags (a flag another command has is a usage error, tried now and then)
COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "validate": (["--json", "--all-envs", "--no-color"], ["--env"]),
    "plan": (["--json", "--markdown", "--detailed-exitcode", "--debug", "--all-envs"],
             ["--out", "--target", "--env"]),
    "apply": (RUN_FLAGS, RUN_VALUED),
    "destroy": (RUN_FLAGS, RUN_VALUED),
    "export": (["--pin-ids", "--debug"], ["--target", "--out", "--event", "--category"]),
    "render": ([], ["--out", "--var", "--var-file"]),
    "sandbox pull": (["--debug"], ["--target"]),
    "sandbox reset": ([], []),
    "sandbox sell": ([], ["--event", "--quantity", "--option"]),
    "status": (["--json", "--debug", "--no-color"], ["--target", "--env", "--var"]),
    "schema": (["--strict"], ["--out"]),
}
# the commands that take the spec file as their argument (the others take none, or a name)
TAKES_SPEC = ("validate", "plan", "apply", "destroy", "render", "status")


def spec_texts() -> st.SearchStrategy[bytes]:
    """Spec files: random bytes, random YAML, and DevCon with one value made hostile."""
    devcon = yaml.safe_load(DEVCON.read_text(encoding="utf-8"))
    json_values = st.recursive(st.none() | st.booleans() | st.integers() | hostile_text,
                               lambda inner: st.lists(inner, max_size=3)
                               | st.dictionaries(hostile_text, inner, max_size=3), max_leaves=8)

    def damaged(value: object, where: int) -> bytes:
        tree = yaml.safe_load(DEVCON.read_text(encoding="utf-8"))
        event = tree["events"][0]
        key = sorted(event)[where % len(event)]
        event[key] = value
        return yaml.safe_dump(tree, allow_unicode=True).encode("utf-8")

    return st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True).encode("utf-8")),
        st.builds(damaged, json_values, st.integers(0, 30)),
        st.just(yaml.safe_dump(devcon).encode("utf-8")))


@st.composite
def invocations(draw: st.DrawFn) -> tuple[list[str], dict[str, str], bytes]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    flags, valued = COMMANDS[command]
    args = command.split()
    if command == "sandbox sell":
        args.append(draw(st.one_of(hostile_text, st.just("Early Bird"))))
    args += draw(st.lists(st.sampled_from(flags), max_size=3, unique=True)) if flags else []
    for flag in draw(st.lists(st.sampled_from(valued), max_size=2, unique=True)) if valued \
            else []:
        args += [flag, draw(targets if flag == "--target" else flag_values)]
    if draw(st.integers(0, 9)) == 0:  # now and then, bad usage
        args.append(draw(st.sampled_from(["--nonsense", "-x", "--json=1", "--markdown"])))
    if draw(st.integers(0, 19)) == 0:
        args[0] = "no-such-command"
    env = {"WIX_API_KEY": draw(refused_key)} if draw(st.booleans()) else {}
    if draw(st.booleans()):
        env["WIX_SITE_ID"] = draw(hostile_text)
    if draw(st.booleans()):
        env["WIX_API_URL"] = draw(targets)
    if args[0] in TAKES_SPEC or draw(st.integers(0, 9)) == 0:  # now and then, one too many
        args.append("{spec}")
    return args, env, draw(spec_texts())


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(invocations())
def test_no_input_ends_in_a_traceback(tmp_path_factory: pytest.TempPathFactory,
                                      invocation: tuple[list[str], dict[str, str], bytes]
                                      ) -> None:
    args, env, text = invocation
    folder = tmp_path_factory.mktemp("fuzz")
    spec = folder / "spec.yaml"
    spec.write_bytes(text)
    clean = {k: None for k in os.environ if k.startswith("WIX_")}
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(folder)  # the local sandbox lands in the example's own folder
    try:
        result = runner.invoke(main, [str(spec) if a == "{spec}" else a for a in args],
                               env={**clean, **env}, catch_exceptions=True)
    finally:
        os.chdir(cwd)
    output = result.output
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    TALLY["examples"] += 1
    TALLY[f"exit {result.exit_code}"] += 1
    TALLY["tracebacks"] += crashed or "Traceback" in output
    assert not crashed, (args, env, repr(result.exception))
    assert "Traceback" not in output, (args, env, output)
    assert result.exit_code in (0, 1, 2), (args, env, output)
    key = env.get("WIX_API_KEY")
    assert not key or key not in output, "the API key was printed"


def teardown_module() -> None:
    if os.environ.get("FUZZ_EXAMPLES"):
        print(f"\ncli fuzz: {dict(sorted(TALLY.items()))}")
