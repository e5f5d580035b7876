"""Deployment steps of ``prefect.yaml``: where a worker's flow run finds the checkout.

A process worker starts each flow run in a child process; before the flow is
imported, the deployment's ``pull`` steps run there. The run needs the
checkout as its working folder (relative ``inputs`` and ``output`` are taken
from it). Prefect's own ``set_working_directory`` step fails with a long
traceback that never names the setting when ``{{ $NEWSCLEAN_DIR }}`` is not
set in the worker's environment, which is exactly what happens to an
operator who starts the worker the way Prefect's own hint says. So the step
here takes ``NEWSCLEAN_DIR`` when it is set and otherwise the checkout this
package is installed from (``pip install -e .``, as the README says), and
says in one sentence what to set when neither is usable.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV = "NEWSCLEAN_DIR"


def installed_checkout() -> Path | None:
    """The checkout ``flows`` was imported from, when it is one (it has ``prefect.yaml``), else None."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "prefect.yaml").is_file() and (root / "cleaners").is_dir() else None


def enter_checkout(directory: str | None = None) -> dict[str, str]:
    """Pull step: change into the checkout the runs work in; returns it (Prefect keeps a step's output).

    ``directory`` (from prefect.yaml) wins, then ``NEWSCLEAN_DIR``, then the installed checkout.
    """
    chosen = directory or os.environ.get(ENV) or None
    target = Path(chosen).expanduser() if chosen else installed_checkout()
    if target is None:
        raise RuntimeError(
            f"{ENV} is not set and the newsclean package is not installed from a checkout: start the worker "
            f"as `{ENV}=/path/to/newsclean prefect worker start --pool local-pool` (the checkout whose data/ "
            "the runs read and write)")
    if not target.is_dir():
        raise RuntimeError(f"{ENV}={target} is not a folder: set it to the newsclean checkout the runs work in")
    os.chdir(target)
    return {"directory": str(target)}
