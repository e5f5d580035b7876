"""The flow's parameters as one typed, validated model.

A deployment run is started far from the code: by a schedule, from the UI's
form, or with ``prefect deployment run --param``. A wrong value must fail when
the run is created, not halfway through a night's cleaning, and the message
must name the parameter and the form it expects. So every parameter is an
annotated type here, with its constraint and a description, and they are
used twice:

* :class:`CleanParameters` puts them together; the flow validates its
  arguments through it and the CLI builds it from its options, so both say
  the same (``index must be redis://HOST[:PORT][/DB] ..., got 'x'``);
* ``clean_flow``'s signature uses the very same types, because Prefect builds
  the deployment's parameter schema (the UI form, and what the server checks
  when ``enforce_parameter_schema`` is on) from the signature, not from a model.

The two URL-like parameters are checked by a validator with a plain message.
The JSON schema (``WithJsonSchema``) carries only a short pattern that reads
as the rule itself (``'localhost:6379' does not match '^redis://'``), so the
server rejects an obviously wrong value when a run is created with a message
an operator understands; the validator checks the rest when the run starts.

``tests/flows/test_parameters.py`` checks that the signature and the model
stay the same.
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import WithJsonSchema

from cleaners.config import CleanConfig
from cleaners.io.remote import is_url, local_path, url_problem

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_INPUTS = ["seeds"]
DEFAULT_OUTPUT = "data/clean"
DEFAULT_TASK_RUNNER = "threads"

# A host name, an IPv4 address or a bracketed IPv6 address, then an optional port (checked below).
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
REDIS_URL_PATTERN = rf"^redis://{_HOST}(?::[0-9]{{1,5}})?(?:/[0-9]+)?$"
TASK_RUNNER_PATTERN = rf"^(?:threads|dask|dask://{_HOST}:[0-9]{{1,5}})$"
#: What the deployment's schema shows and the server checks: the rule's shape, readable in an error.
REDIS_URL_SCHEMA_PATTERN = "^redis://"
TASK_RUNNER_SCHEMA_PATTERN = "^(threads|dask|dask://.+:[0-9]+)$"


def _port_in_range(url: str) -> bool:
    """The patterns only say 1 to 5 digits; a port must also be 1-65535."""
    try:
        port = urlsplit(url).port  # raises ValueError past 65535
    except ValueError:
        return False
    return port != 0


def _redis_url_valid(url: str) -> str:
    if not re.fullmatch(REDIS_URL_PATTERN, url) or not _port_in_range(url):
        raise ValueError(f"index must be redis://HOST[:PORT][/DB] (port 1-65535, DB a number), got {url!r}")
    return url


def _task_runner_valid(spec: str) -> str:
    if not re.fullmatch(TASK_RUNNER_PATTERN, spec) or not _port_in_range(spec):
        raise ValueError(f"task_runner must be 'threads', 'dask' or 'dask://HOST:PORT' (port 1-65535), got {spec!r}")
    return spec


def _output_valid(path: str) -> str:
    if is_url(path) and not path.lower().startswith("file:"):
        if (problem := url_problem(path)) is not None:
            raise ValueError(problem)
        return path
    return local_path(path)  # file:///x is the folder /x


def _inputs_without_secrets(urls: list[str]) -> list[str]:
    for url in urls:
        if is_url(url) and (problem := url_problem(url)) is not None:
            raise ValueError(problem)
    return urls


def _publish_target_valid(target: str | None) -> str | None:
    if target is not None and is_url(target) and (problem := url_problem(target)) is not None:
        raise ValueError(problem)
    return target


CONFIG_DESCRIPTION = ("Cleaning options: thresholds, text and HTML stage settings, shard size "
                      "(`python -m flows.clean --help` describes each one).")

InputPaths = Annotated[
    list[Annotated[str, StringConstraints(min_length=1)]],
    Field(min_length=1, description="Files or directories to clean (directories are read recursively), or "
          "fsspec URLs of objects and prefixes (s3://bucket/crawl/; credentials from the environment). "
          "Relative paths are taken from the working directory of the run (the checkout, NEWSCLEAN_DIR, "
          "for a deployment)."),
    AfterValidator(_inputs_without_secrets),
]
OutputPath = Annotated[
    str,
    StringConstraints(min_length=1),
    Field(description="Output dataset directory, or a URL such as s3://lake/news (kept as Delta tables; "
          "credentials from the environment); each run adds its rows to it (see full_rebuild)."),
    AfterValidator(_output_valid),
]
FullRebuild = Annotated[
    bool,
    Field(description="Ignore everything earlier runs into this output processed and rebuild the output "
          "from this run's inputs alone."),
]
IndexURL = Annotated[
    Annotated[str, AfterValidator(_redis_url_valid),
              WithJsonSchema({"type": "string", "pattern": REDIS_URL_SCHEMA_PATTERN})] | None,
    Field(description="Where the dedup index lives: empty (null) for the files next to the dataset, or "
          "redis://HOST:PORT/DB to share one index in Redis.",
          examples=[None, "redis://127.0.0.1:6379/0"]),
]
TaskRunnerSpec = Annotated[
    str,
    AfterValidator(_task_runner_valid),
    WithJsonSchema({"type": "string", "pattern": TASK_RUNNER_SCHEMA_PATTERN}),
    Field(description="Where the shard tasks run: 'threads' (this process), 'dask' (a temporary local Dask "
          "cluster, one worker process per core, for this run) or 'dask://HOST:PORT' (an existing Dask "
          "scheduler; its workers need the newsclean package and the input and output paths).",
          examples=["threads", "dask", "dask://127.0.0.1:8786"]),
]

Strict = Annotated[
    bool,
    Field(description="Fail the run when any input could not be used (rejections of kind input, limit or "
          "fault; not pages that held no article). The run's rows are committed either way."),
]
PublishTarget = Annotated[
    Annotated[str, StringConstraints(min_length=1)] | None,
    Field(description="After the run, publish an output of the snapshot layout as Delta Lake tables there: a "
          "folder (relative to the run's working directory, the checkout for a deployment) or a URL such as "
          "s3://lake/news (credentials from the environment; the s3 extra for s3://). A failed publish fails the run (exit 3), "
          "whose rows stay committed. None: not published."),
    AfterValidator(_publish_target_valid),
]

Layout = Annotated[
    Literal["auto", "snapshots", "delta"],
    Field(description="How the output keeps its datasets: delta (Delta Lake tables, at a URL or in a folder; "
          "an output of the snapshot layout is moved into tables in place by the run), snapshots (a local "
          "folder of hive Parquet datasets switched by one link: outputs written before tables were the "
          "default), or auto (delta)."),
]


class CleanParameters(BaseModel):
    """Everything a cleaning run is given, validated at once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inputs: InputPaths = DEFAULT_INPUTS  # pydantic copies a mutable default for every instance
    output: OutputPath = DEFAULT_OUTPUT
    config: CleanConfig = Field(CleanConfig(), description=CONFIG_DESCRIPTION)
    full_rebuild: FullRebuild = False
    index: IndexURL = None
    task_runner: TaskRunnerSpec = DEFAULT_TASK_RUNNER
    strict: Strict = False
    publish: PublishTarget = None
    layout: Layout = "auto"

    def flow_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``clean_flow`` that run with exactly these parameters."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    @property
    def uses_dask(self) -> bool:
        return self.task_runner != "threads"


def dask_address(spec: str) -> str | None:
    """``tcp://HOST:PORT`` for ``dask://HOST:PORT``, None for the other runners."""
    return "tcp://" + spec.removeprefix("dask://") if spec.startswith("dask://") else None


def redis_address(url: str) -> tuple[str, int]:
    """(host, port) of a validated ``redis://`` URL; the port defaults to Redis' 6379."""
    parts = urlsplit(url)
    return (parts.hostname or "localhost"), (parts.port or 6379)


def documented_by(model: type[BaseModel]) -> Callable[[F], F]:
    """Append an ``Args:`` section written from ``model``'s field descriptions to a function's docstring.

    Prefect takes a parameter's description (the help under each field of
    the deployment's form) from the flow's Google-style docstring, not from
    the ``Field`` in its annotation; this keeps one text for both. Apply it
    below ``@flow``, which copies the docstring when it wraps the function.
    """
    def decorate(fn: F) -> F:
        lines = [inspect.cleandoc(fn.__doc__ or ""), "", "Args:"]
        for name, info in model.model_fields.items():
            lines.append(f"    {name}: {info.description}")
        fn.__doc__ = "\n".join(lines)
        return fn
    return decorate
