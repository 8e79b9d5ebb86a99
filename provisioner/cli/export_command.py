"""`provisioner export`: write a site's events and categories as a spec, so an existing site
can be adopted as code (export, commit, review the empty plan, then edit).

Output: one YAML document on stdout (no `--out`), one file (`--out FILE.yaml`), or a folder
(`--out DIR`) with a file per event and one for the categories. The target line, warnings and
the summary go to stderr, so stdout is the spec alone. Exit codes: 0 written (warnings are not
failures), 1 an error (no such event, an unreadable site, a file that cannot be written), 2
bad usage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ..client.errors import ProvisionerError
from .common import (
    color_text,
    configure_logging,
    env_options,
    fail,
    plural,
    read_site_with,
    select,
)

SPEC_SUFFIXES = (".yaml", ".yml")


@click.command()
@click.option("--target", "target_name", metavar="TARGET",
              help="`local` (the embedded sandbox; the default without WIX_API_KEY), `wix`, or "
                   "the URL of an emulator or API. Credentials come from WIX_API_KEY and "
                   "WIX_SITE_ID.")
@click.option("--event", "slugs", multiple=True, metavar="SLUG",
              help="Export this event (repeatable); its categories come with it. "
                   "Default: every event and category.")
@click.option("--category", "category_names", multiple=True, metavar="NAME",
              help="Export this category (repeatable).")
@click.option("--out", "out_path", type=click.Path(path_type=Path),
              help="A folder (one file per event, and categories.yaml) or a FILE.yaml. "
                   "Default: one document on stdout.")
@click.option("--pin-ids", is_flag=True,
              help="Write each object's live id, pinning the spec to these objects whatever "
                   "their names become.")
@click.option("--debug", is_flag=True,
              help="Trace every API call on stderr (the API key is never shown).")
@env_options(all_envs=False)
def export(target_name: str | None, slugs: tuple[str, ...], category_names: tuple[str, ...],
           out_path: Path | None, pin_ids: bool, debug: bool, env_name: str | None) -> None:
    """Write the site's events and categories as a spec. Reads only.

    Times are local in each event's zone, prices decimal strings, and fields equal to the
    API's defaults or filled in by the site are left out. What a spec cannot say is listed as
    a warning. `plan` of the export against the same site shows no changes.
    """
    # imported with the command's other stages, when it runs: its `--help` and shell
    # completion need none of them
    from .. import kinds
    from ..export.document import export_state
    from ..export.read import read_site
    from ..export.write import folder_files, to_yaml, write_files, write_text

    configure_logging(debug)
    selection = select(env_name, target_name)
    target = selection.announce(target_name, to_stderr=True)
    live, calls = read_site_with(target, lambda client: read_site(
        client, tuple(dict.fromkeys(slugs)), tuple(dict.fromkeys(category_names))))
    exported = export_state(live, pin_ids=pin_ids)
    for warning in exported.warnings:
        click.echo(color_text(f"warning: {warning}", fg="yellow"), err=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    source = target.describe().removeprefix("Target: ")
    header = (f"Exported by `provisioner export` from {source} on {stamp}.\n"
              "`provisioner plan` of this file against that site shows no changes.")
    counts = kinds.spec_counts([exported.document()])
    what = ", ".join(plural(counts[kind.count_key], kind.noun, kind.plural)
                     for kind in kinds.KINDS if kind.count_key and counts[kind.count_key])
    what = what or "nothing (the site holds no events or categories)"
    try:
        if out_path is None:
            click.echo(to_yaml(exported.document(), header), nl=False)
            where = "stdout"
        elif out_path.suffix in SPEC_SUFFIXES:
            if out_path.is_dir():
                fail(f"{out_path} is a folder; give a folder without a .yaml suffix, or a file")
            write_text(out_path, to_yaml(exported.document(), header))
            where = str(out_path)
        else:
            if out_path.exists() and not out_path.is_dir():
                fail(f"{out_path} is a file; --out takes a folder, or a file ending in .yaml")
            files = folder_files(exported.categories, exported.events, header)
            others = write_files(out_path, files)
            where = f"{out_path}/ ({plural(len(files), 'file')})"
            if others:
                click.echo(color_text(
                    f"warning: {out_path} also holds {', '.join(others)}, which this export did "
                    "not write; a plan of the folder reads them too", fg="yellow"), err=True)
    except ProvisionerError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write the export to {out_path}: {error.strerror or error}")
    warnings = plural(len(exported.warnings), "warning")
    click.echo(f"Exported {what} to {where} in {plural(calls, 'call')}; {warnings}.", err=True)
