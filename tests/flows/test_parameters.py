"""The flow's typed parameters: one model, the same schema Prefect builds, clear errors. No server needed."""
from __future__ import annotations

import inspect
import socket

import pytest
from prefect.exceptions import ParameterTypeError
from prefect.utilities.callables import parameter_schema
from pydantic import ValidationError

from cleaners.config import CleanConfig
from flows.clean import build_parser, clean_flow, main
from flows.parameters import (
    CleanParameters,
    FullRebuild,
    IndexURL,
    InputPaths,
    Layout,
    OutputPath,
    PublishTarget,
    Strict,
    TaskRunnerSpec,
    dask_address,
    redis_address,
)
from flows.runners import build_task_runner, runner_spec
from tests.conftest import SEEDS

GOOD_INDEXES = [None, "redis://127.0.0.1:6379/0", "redis://localhost", "redis://cache.internal:6380",
                "redis://[::1]:6379/2"]
BAD_INDEXES = ["bogus", "http://127.0.0.1:6379/0", "redis://", "redis://host:0/0", "redis://host:65536/0",
               "redis://host:6379/db", "redis://user:secret@host:6379/0", " redis://host:6379/0"]
GOOD_RUNNERS = ["threads", "dask", "dask://127.0.0.1:8786", "dask://scheduler.internal:8786", "dask://[::1]:8786"]
BAD_RUNNERS = ["thread", "Dask", "dask://host", "dask://:8786", "dask://host:0", "dask://host:70000",
               "tcp://127.0.0.1:8786", "dask://host:8786/x", ""]


def test_the_flow_signature_is_the_parameter_model() -> None:
    """Same names, order, defaults and types: the deployment form and the model cannot drift apart."""
    signature = inspect.signature(clean_flow.fn, eval_str=True)
    fields = CleanParameters.model_fields
    assert list(signature.parameters) == list(fields)
    defaults = CleanParameters()
    types = {"inputs": InputPaths, "output": OutputPath, "config": CleanConfig, "full_rebuild": FullRebuild,
             "index": IndexURL, "task_runner": TaskRunnerSpec, "strict": Strict, "publish": PublishTarget,
             "layout": Layout}
    for name, parameter in signature.parameters.items():
        assert parameter.default == getattr(defaults, name), name
        assert parameter.annotation is types[name], name


def test_prefect_builds_the_models_schema_with_descriptions_and_patterns() -> None:
    flow_schema = parameter_schema(clean_flow).model_dump_for_openapi()["properties"]
    model_schema = CleanParameters.model_json_schema()["properties"]
    for name in ("inputs", "output", "full_rebuild", "index", "task_runner", "strict", "layout"):
        ours = {k: v for k, v in model_schema[name].items() if k != "title"}
        theirs = {k: v for k, v in flow_schema[name].items() if k not in ("title", "position")}
        assert theirs == ours, name
    assert flow_schema["index"]["anyOf"][0]["pattern"] == "^redis://"
    assert flow_schema["task_runner"]["pattern"] == "^(threads|dask|dask://.+:[0-9]+)$"
    assert flow_schema["inputs"]["minItems"] == 1
    assert all(flow_schema[name].get("description") for name in CleanParameters.model_fields)


def test_the_server_side_check_reads_as_the_rule_not_a_regular_expression() -> None:
    """With enforce_parameter_schema the server validates by JSON schema and shows the failed pattern:
    it must read as the rule (`'localhost:6379' does not match '^redis://'`), not as 100 characters of regex."""
    import jsonschema

    schema = parameter_schema(clean_flow).model_dump_for_openapi()["properties"]
    with pytest.raises(jsonschema.ValidationError) as refused:
        jsonschema.validate("localhost:6379", schema["index"]["anyOf"][0])
    assert refused.value.message == "'localhost:6379' does not match '^redis://'"
    with pytest.raises(jsonschema.ValidationError) as refused:
        jsonschema.validate("dask:/host:8786", schema["task_runner"])
    assert len(refused.value.message) < 80, refused.value.message
    for good in GOOD_RUNNERS:
        jsonschema.validate(good, schema["task_runner"])  # the short pattern never refuses a valid value
    for good in GOOD_INDEXES[1:]:
        jsonschema.validate(good, schema["index"]["anyOf"][0])


def test_redis_address_defaults_to_the_redis_port() -> None:
    assert redis_address("redis://cache.internal") == ("cache.internal", 6379)
    assert redis_address("redis://127.0.0.1:6380/2") == ("127.0.0.1", 6380)


@pytest.mark.parametrize("index", GOOD_INDEXES)
def test_good_index_urls_pass(index: str | None) -> None:
    assert CleanParameters(index=index).index == index
    assert clean_flow.validate_parameters({"index": index})["index"] == index


@pytest.mark.parametrize("index", BAD_INDEXES)
def test_bad_index_urls_fail_with_the_expected_form(index: str) -> None:
    with pytest.raises(ValidationError, match=r"index must be redis://HOST\[:PORT\]\[/DB\]"):
        CleanParameters(index=index)
    with pytest.raises(ParameterTypeError, match=r"index: .*index must be redis://HOST"):
        clean_flow.validate_parameters({"index": index})


@pytest.mark.parametrize("spec", GOOD_RUNNERS)
def test_good_task_runners_pass_and_map_to_a_runner_and_back(spec: str) -> None:
    assert CleanParameters(task_runner=spec).task_runner == spec
    assert runner_spec(build_task_runner(spec)) == spec  # else the flow would re-enter itself as a subflow


@pytest.mark.parametrize("spec", BAD_RUNNERS)
def test_bad_task_runners_fail_naming_the_accepted_forms(spec: str) -> None:
    with pytest.raises(ValidationError, match="task_runner must be 'threads', 'dask' or 'dask://HOST:PORT'"):
        CleanParameters(task_runner=spec)
    with pytest.raises(ParameterTypeError, match="task_runner"):
        clean_flow.validate_parameters({"task_runner": spec})


def test_other_parameters_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="inputs"):
        CleanParameters(inputs=[])
    with pytest.raises(ValidationError, match="output"):
        CleanParameters(output="")
    with pytest.raises(ValidationError, match="extra"):
        CleanParameters(shard_bytes=10)  # a config option belongs in config
    with pytest.raises(ParameterTypeError, match="shard_bytes"):
        clean_flow.validate_parameters({"config": {"shard_bytes": 10}})
    assert clean_flow.validate_parameters({"config": {"shard_bytes": 5000}})["config"] == CleanConfig(shard_bytes=5000)


def test_inputs_and_the_output_may_be_urls_without_passwords() -> None:
    assert CleanParameters(inputs=["s3://bkt/crawl/", "seeds"]).inputs == ["s3://bkt/crawl/", "seeds"]
    with pytest.raises(ValidationError, match="must not hold a user name or password") as refused:
        CleanParameters(inputs=["s3://key:secret@bkt/crawl"])
    assert "secret" not in str(refused.value).split("input_value")[0]  # the message itself never repeats it
    with pytest.raises(ValidationError, match="query string"):
        CleanParameters(publish="https://lake.example/news?sig=abc")
    assert CleanParameters(publish="s3://lake/news").publish == "s3://lake/news"
    assert CleanParameters(output="s3://bkt/clean").output == "s3://bkt/clean"  # kept as Delta tables
    with pytest.raises(ValidationError, match="must not hold a user name or password"):
        CleanParameters(output="s3://key:secret@bkt/clean")
    assert CleanParameters(output="file:///tmp/clean").output == "/tmp/clean"  # a local path in URL form
    assert CleanParameters(layout="delta").layout == "delta"
    with pytest.raises(ValidationError, match="layout"):
        CleanParameters(layout="parquet")  # type: ignore[arg-type]


def test_dask_address_is_the_schedulers_tcp_address() -> None:
    assert dask_address("dask://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    assert dask_address("dask") is None and dask_address("threads") is None


def cli_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_cli_names_the_option_and_the_expected_form(capsys: pytest.CaptureFixture[str]) -> None:
    err = cli_error(capsys, ["--no-prefect", "--index", "localhost:6379", str(SEEDS)])
    assert "--index: index must be redis://HOST[:PORT][/DB]" in err and "'localhost:6379'" in err
    err = cli_error(capsys, ["--task-runner", "dask://localhost", str(SEEDS)])
    assert "--task-runner: task_runner must be 'threads', 'dask' or 'dask://HOST:PORT'" in err


@pytest.mark.parametrize("runner", ["dask", "dask://127.0.0.1:8786"])
def test_cli_refuses_dask_without_prefect(capsys: pytest.CaptureFixture[str], runner: str) -> None:
    err = cli_error(capsys, ["--no-prefect", "--task-runner", runner, str(SEEDS)])
    assert f"--task-runner {runner} needs Prefect: drop --no-prefect" in err


def test_cli_refuses_workers_that_would_be_ignored(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--workers applies to --no-prefect" in cli_error(capsys, ["--workers", "2", str(SEEDS)])
    assert "--workers -1: give a number of processes" in cli_error(capsys, ["--no-prefect", "--workers", "-1",
                                                                          str(SEEDS)])


def test_cli_says_when_the_dask_scheduler_cannot_be_reached(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = cli_error(capsys, ["--task-runner", f"dask://127.0.0.1:{port}", str(SEEDS)])
    assert f"cannot reach the Dask scheduler at 127.0.0.1:{port}" in err and "dask scheduler --host 127.0.0.1" in err


def test_cli_says_in_one_line_when_the_redis_index_cannot_be_reached(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = cli_error(capsys, ["--no-prefect", "--index", f"redis://127.0.0.1:{port}/0", str(SEEDS)])
    assert f"cannot reach the Redis index at 127.0.0.1:{port}" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 2  # argparse's usage line and the message


def test_cli_help_shows_the_orchestration_defaults() -> None:
    text = " ".join(build_parser().format_help().split())
    assert "--full-rebuild" in text and "--index URL" in text
    assert "--task-runner {threads,dask,dask://HOST:PORT}" in text and "(default: threads)" in text
