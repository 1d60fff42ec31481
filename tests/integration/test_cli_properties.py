"""`servicebot digest` and `servicebot schedule list` given any arguments, in-process through the real
`main()` on a real database: a status of 0, 1 or 2, and a refusal is one line on stderr naming what was
wrong; never a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicebot.cli.main import main
from servicebot.config import DIGEST_CONTENTS
from tests.conftest import EXAMPLE_CONFIG, MODEL_CACHE, make_settings

_VALUE = st.one_of(
    st.sampled_from(
        ["ict", "contact", "hr", "ICT", "", " ", "ict-daily", "-", "--dry-run", *DIGEST_CONTENTS]
    ),
    st.text(max_size=12).filter(lambda s: "\x00" not in s),
)
_OPTION = st.one_of(
    st.tuples(st.sampled_from(["--desk", "--content", "--name", "--format"]), _VALUE).map(list),
    st.sampled_from([["--dry-run"], ["--help"], ["--bogus"], ["extra"]]),
)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("cli-properties")
    url = make_settings(folder).database_url
    patch = pytest.MonkeyPatch()
    patch.setenv("SERVICEBOT_CONFIG", str(EXAMPLE_CONFIG))
    patch.setenv("SERVICEBOT_DATABASE_URL", url)
    patch.setenv("SERVICEBOT_MODEL_CACHE", str(MODEL_CACHE))
    patch.chdir(folder)
    try:
        assert main(["db", "upgrade"]) == 0
        yield url
    finally:
        patch.undo()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.sampled_from([["digest"], ["schedule", "list"], ["schedule"]]),
    options=st.lists(_OPTION, max_size=4),
)
def test_digest_and_schedule_arguments(
    database: str, capsys: pytest.CaptureFixture[str], command: list[str], options: list[list[str]]
) -> None:
    argv = [*command, *(word for option in options for word in option)]
    capsys.readouterr()
    try:
        status = main(argv)
    except SystemExit as exit:  # argparse: usage errors (2) and --help (0)
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    assert status in (0, 1, 2), (argv, status, err)
    assert "Traceback" not in err and "Traceback" not in out
    if status:
        last = err.strip().splitlines()[-1]
        assert last.startswith(("servicebot", "usage:")), (argv, err)
        if status == 1 or "--desk" in last or "--name" in last:
            assert any(word in last for word in argv if word.strip()) or "digest" in last, (argv, err)


def test_a_usage_error_quoting_a_line_break_stays_on_one_line(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["schedule", "list", "--desk", "ict\r\nfake: all is well"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\r" not in err
    assert "unrecognized arguments: --desk ict\\r\\nfake: all is well" in err
