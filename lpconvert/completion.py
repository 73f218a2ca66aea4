"""Shell completion: commands, options, format names, loss kinds and `-O`/`-I` keys.

argcomplete does the shell side (bash, zsh, fish, through one protocol: the shell runs
`lpconvert` with `_ARGCOMPLETE` set and reads the candidates back), so lpconvert only says
what each argument can be, from the installed formats. argcomplete is imported only when
the shell asks, so `lpconvert --help` and every real run start as fast as before.
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Iterable
from typing import Any

SHELLS = ("bash", "zsh", "fish")


def add_completion_parser(sub: Any) -> None:
    p = sub.add_parser("completion", help="print a shell completion script",
                       description="Print the script that makes SHELL complete lpconvert's commands, options, "
                       "formats and -O/-I keys. bash: eval \"$(lpconvert completion bash)\" in ~/.bashrc; "
                       "zsh: the same in ~/.zshrc; fish: lpconvert completion fish > "
                       "~/.config/fish/completions/lpconvert.fish")
    p.add_argument("shell", metavar="SHELL", choices=SHELLS, help="bash, zsh or fish")


class CompletionUnavailable(Exception):
    """argcomplete is not installed (a dependency, but an environment can lack it)."""


def _argcomplete() -> Any:
    try:
        import argcomplete
    except ImportError:
        raise CompletionUnavailable("shell completion needs argcomplete: pip install argcomplete") from None
    return argcomplete


def cmd_completion(args: argparse.Namespace) -> int:
    print(_argcomplete().shellcode(["lpconvert"], shell=args.shell))
    return 0


def _specs() -> list[Any]:
    from .plugin_manager import get_registry

    return sorted(get_registry().formats.values(), key=lambda s: s.name)


def _format_names(**_: Any) -> list[str]:
    return [spec.name for spec in _specs()]


def _loss_kinds(**_: Any) -> list[str]:
    return sorted({kind for spec in _specs() for kind in spec.loss_kinds})


def _option_keys(field: str, chosen: str) -> Any:
    """Completer of `-O`/`-I`: KEY= of the chosen format's declared options (every format's
    when none is chosen yet), then KEY=VALUE for an option with choices."""

    def complete(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> Iterable[str]:
        name = getattr(parsed_args, chosen, None)
        options = [o for spec in _specs() if name in (None, spec.name) for o in getattr(spec, field, ()) or ()]
        key, sep, _value = prefix.partition("=")
        if sep:
            return [f"{o.name}={choice}" for o in options if o.name == key.replace("-", "_")
                    for choice in getattr(o, "choices", ()) or ()]
        return sorted({f"{o.name}=" for o in options})

    return complete


COMPLETERS = {
    "from_format": lambda: _format_names,
    "to": lambda: _format_names,
    "allow_loss": lambda: _loss_kinds,
    "option": lambda: _option_keys("writer_options", "to"),
    "read_option": lambda: _option_keys("reader_options", "from_format"),
}
"""Argument dest -> a factory of its completer."""


def _attach(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if action.dest in COMPLETERS:
            action.completer = COMPLETERS[action.dest]()  # type: ignore[attr-defined]
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                _attach(child)


def _default_command(commands: Iterable[str]) -> None:
    """`lpconvert IN OUT --to <TAB>` is `lpconvert convert IN OUT --to <TAB>`: say so to the
    parser argcomplete runs, as `main` does for a real run (`with_default_command`)."""
    from .cli import with_default_command

    line, point = os.environ.get("COMP_LINE", ""), int(os.environ.get("COMP_POINT", "0") or 0)
    try:
        words = shlex.split(line[:point])
    except ValueError:
        return
    done = words[1:] if line[:point].endswith(" ") else words[1:-1]  # the word being typed may be a command
    # IN may still be to come: `lpconvert -t <TAB>` is convert's --to too
    if not done or done[0] == "convert" or with_default_command([*done, "IN"], set(commands))[0] != "convert":
        return
    at = len(words[0]) + len(line[len(words[0]):]) - len(line[len(words[0]):].lstrip())
    os.environ["COMP_LINE"] = f"{line[:at]}convert {line[at:]}"
    os.environ["COMP_POINT"] = str(point + len("convert "))


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit (argcomplete's protocol)."""
    try:
        argcomplete = _argcomplete()
    except CompletionUnavailable:
        return  # the shell asked; without argcomplete there is nothing to answer
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    _default_command(sub.choices)  # the parser's commands: a plugin's too
    _attach(parser)
    argcomplete.autocomplete(parser)
