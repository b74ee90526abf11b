"""Runs import-linter with contracts made from the apps that exist.

* core never imports a domain app;
* domain apps are independent of each other, except through another domain's public
  facade (its ``services``, ``selectors`` and ``events`` modules).

Domain apps come from :func:`cityos.modules.domain_apps` (disabled ones included), so a new
module is covered the moment it is added.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from cityos.modules import domain_apps

PUBLIC_FACADES = ("services", "selectors", "events")


def contracts() -> str:
    domains = domain_apps(include_disabled=True)
    lines = ["[importlinter]", "root_package = cityos", "include_external_packages = False", ""]
    lines += [
        "[importlinter:contract:core-below-domains]",
        "name = The core does not import domain apps or developer tools",
        "type = forbidden",
        "source_modules =",
        "    cityos.core",
        "forbidden_modules =",
        "    cityos.devtools",
        *[f"    {d}" for d in domains],
        "",
    ]
    if len(domains) >= 2:
        lines += [
            "[importlinter:contract:domains-independent]",
            "name = Domain apps use each other only through their public facades",
            "type = independence",
            "modules =",
            *[f"    {d}" for d in domains],
            "unmatched_ignore_imports_alerting = none",
            "ignore_imports =",
            # "a.**" so a facade may be imported from any module of the app, not only its __init__
            *[
                f"    {importer} -> {b}.{facade}"
                for a in domains
                for importer in (a, f"{a}.**")
                for b in domains
                if a != b
                for facade in PUBLIC_FACADES
            ],
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as config:
        config.write(contracts())
    print(f"import contracts for domain apps: {', '.join(domain_apps()) or '(none yet)'}")
    command = [str(Path(sys.executable).parent / "lint-imports"), config.name]
    return subprocess.call(command)  # noqa: S603 - our own tool with fixed arguments


if __name__ == "__main__":
    raise SystemExit(main())
