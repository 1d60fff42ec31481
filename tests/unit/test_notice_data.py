"""What the core stores to be shown later survives the trip through JSON exactly, and what is not one is
named, not guessed at."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot.domain.message import Code, Emphasis, Message, Strong, User, from_data, to_data
from servicebot.domain.outbox import Notice, Upload

spans = st.one_of(
    st.text(min_size=1),
    st.builds(User, st.text(min_size=1)),
    st.builds(Strong, st.text()),
    st.builds(Emphasis, st.text()),
    st.builds(Code, st.text()),
)


@given(st.lists(spans).map(lambda s: Message(tuple(s))))
def test_a_message_comes_back_from_json_as_it_was(message: Message) -> None:
    assert from_data(json.loads(json.dumps(to_data(message)))) == message


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ("text", "a list of spans, not str"),
        ([{"bold": "x"}], "not a stored span: {'bold': 'x'}"),
        ([{"user": 3}], "not a stored span: {'user': 3}"),
        ([{"user": "U1", "strong": "x"}], "not a stored span"),
        ([7], "not a stored span: 7"),
    ],
)
def test_what_is_not_a_stored_message_is_named(data: object, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("{", r"\{").replace("}", r"\}")):
        from_data(data)


@given(st.binary(max_size=2048), st.none() | st.text(min_size=1))
def test_an_upload_and_a_notice_come_back_from_json_as_they_were(
    content: bytes, reply_to: str | None
) -> None:
    upload = Upload("C1", "chart.png", "ICT01", content, "twelve months", reply_to)
    assert Upload.of(json.loads(json.dumps(upload.payload()))) == upload
    notice = Notice("text", "U1", {"message": ["hi"], "n": 3}, reply_to)
    assert Notice.of(json.loads(json.dumps(notice.payload()))) == notice


def test_an_upload_whose_content_is_not_base64_is_refused() -> None:
    with pytest.raises(ValueError, match="not base64"):
        Upload.of({"to": "C1", "filename": "a", "title": "a", "content": "***"})
