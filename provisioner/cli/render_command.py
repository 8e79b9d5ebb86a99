"""`provisioner render`: a spec with its templates expanded (variables, series, `from`,
relative times), as plain YAML that is valid on its own and plans exactly as the template
does. It reads no site. Exit codes: 0 rendered, 1 the spec has errors (listed on stderr, and
nothing is written), 2 bad usage.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import checked_spec, env_options, fail, plural, select, template_options


@click.command()
@click.argument("paths", nargs=-1, metavar="[SPEC]...")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the rendered spec to this file (default: stdout).")
@template_options
@env_options(all_envs=False)
def render(paths: tuple[str, ...], out_file: Path | None, var_assignments: tuple[str, ...],
           var_files: tuple[str, ...], env_name: str | None) -> None:
    """Print the spec with every template construct expanded: plain YAML, valid on its own.

    The files' categories and events are written as one document, in order. Without SPEC,
    the workspace's specs; with --env, that environment's variables.
    """
    from ..client.errors import ProvisionerError
    from ..export.write import to_yaml, write_text

    selection = select(env_name)
    paths = selection.spec_paths(paths)
    try:
        result = checked_spec(paths, selection.variables(var_assignments, var_files),
                              "nothing was rendered")
    except ProvisionerError as error:
        fail(str(error))
    document: dict[str, list[object]] = {}
    for doc in result.documents:
        if isinstance(doc.data, dict):
            for key in ("categories", "events"):
                document.setdefault(key, []).extend(doc.data.get(key) or [])
    # a `${{` left in a text was written `$${{` (a literal): `to_yaml` escapes it again, so
    # the rendered file reads back as the same text
    rendered = {key: value for key, value in document.items() if value}
    given = [*([f"--env {selection.env_name}"] if selection.env_name else []),
             *(f"--var-file {f}" for f in var_files), *(f"--var {a}" for a in var_assignments)]
    header = (f"Rendered by `provisioner render` from {', '.join(paths)}"
              f"{' with ' + ' '.join(given) if given else ''}.\n"
              "Generated: edit the template, not this file.")
    text = to_yaml(rendered, header, reorder=False)
    if out_file is None:
        click.echo(text, nl=False)
        return
    try:
        write_text(out_file, text)
    except OSError as error:
        fail(f"cannot write {out_file}: {error.strerror or error}")
    except ProvisionerError as error:
        fail(str(error))
    click.echo(f"Rendered {plural(len(document.get('events', [])), 'event')} to {out_file}.",
               err=True)

