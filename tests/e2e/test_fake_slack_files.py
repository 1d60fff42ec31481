"""The fake Slack's file upload, as slack_sdk's `files_upload_v2` drives it: files.getUploadURLExternal, the
bytes POSTed to the upload URL it hands out, and files.completeUploadExternal sharing the file into a
thread. The KPI trend chart goes to Slack this way, so the tests that check it will trust these answers."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from servicebot.reports.chart import render_png
from tests.support import dashboards
from tests.support.fake_slack import BOT_TOKEN, UPLOAD_METHOD, FakeSlack

CHANNEL = "C0ICTHELP"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=5)


@pytest.fixture(scope="module")
def png() -> bytes:
    return render_png(dashboards.ICT_KPIS[0])


def _thread(client: WebClient) -> str:
    posted = client.chat_postMessage(channel=CHANNEL, text="ICT01 is AMBER this month")
    return str(posted["ts"])


def test_a_chart_uploaded_with_files_upload_v2_arrives_whole_in_the_thread(
    slack: FakeSlack, client: WebClient, png: bytes
) -> None:
    thread_ts = _thread(client)
    response = client.files_upload_v2(
        channel=CHANNEL,
        thread_ts=thread_ts,
        file=png,
        filename="ICT01-2016-12.png",
        title="ICT01 trend to December 2016",
        initial_comment="ICT01, the last 12 months",
    )
    assert response["ok"] is True
    assert [c.method for c in slack.calls[1:]] == [
        "files.getUploadURLExternal",
        UPLOAD_METHOD,
        "files.completeUploadExternal",
    ]
    (shared,) = slack.uploaded_files()
    assert shared.content == png and shared.length == len(png)
    assert (shared.channel_id, shared.thread_ts) == (CHANNEL, thread_ts)
    assert shared.filename == "ICT01-2016-12.png" and shared.title == "ICT01 trend to December 2016"
    assert shared.initial_comment == "ICT01, the last 12 months"
    # What slack_sdk hands back is the file, as Slack's answer describes it.
    assert response["file"]["id"] == shared.id and response["file"]["mimetype"] == "image/png"
    assert response["file"]["size"] == len(png)
    # And the thread shows it, after the message it answers.
    replies = client.conversations_replies(channel=CHANNEL, ts=thread_ts)["messages"]
    assert [m.get("subtype") for m in replies] == [None, "file_share"]
    assert replies[1]["files"][0]["id"] == shared.id and replies[1]["text"] == "ICT01, the last 12 months"


def test_the_upload_url_takes_the_bytes_without_a_token(slack: FakeSlack, client: WebClient) -> None:
    client.files_upload_v2(channel=CHANNEL, content=b"\x00\xffnot utf-8\r\n", filename="raw.bin")
    (upload,) = slack.calls_to(UPLOAD_METHOD)
    assert upload.token is None and upload.ok and upload.args["length"] == 13
    assert slack.uploaded_files()[0].content == b"\x00\xffnot utf-8\r\n"


def test_a_failed_upload_shares_nothing_and_a_new_attempt_does(
    slack: FakeSlack, client: WebClient, png: bytes
) -> None:
    slack.server_error_next(UPLOAD_METHOD, status=503)
    with pytest.raises(urllib.error.HTTPError) as failed:
        client.files_upload_v2(channel=CHANNEL, file=png, filename="chart.png")
    assert failed.value.code == 503
    assert slack.uploaded_files() == [] and slack.calls_to("files.completeUploadExternal") == []
    client.files_upload_v2(channel=CHANNEL, file=png, filename="chart.png")
    (shared,) = slack.uploaded_files()
    assert shared.content == png and shared.thread_ts is None


def test_a_rate_limited_upload_url_request_is_retried_by_slack_sdk(slack: FakeSlack, png: bytes) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=5)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    slack.rate_limit_next("files.getUploadURLExternal", retry_after=0)
    client.files_upload_v2(channel=CHANNEL, file=png, filename="chart.png")
    statuses = [c.status for c in slack.calls_to("files.getUploadURLExternal")]
    assert statuses == [429, 200]
    assert [f.content for f in slack.uploaded_files()] == [png]


def test_a_file_is_shared_once_and_only_after_its_bytes_arrived(slack: FakeSlack, client: WebClient) -> None:
    url = client.files_getUploadURLExternal(filename="chart.png", length=10)
    file_id = url["file_id"]
    assert str(url["upload_url"]).startswith(slack.base_url)
    with pytest.raises(SlackApiError) as early:
        client.files_completeUploadExternal(files=[{"id": file_id}], channel_id=CHANNEL)
    assert early.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as unknown:
        client.files_completeUploadExternal(files=[{"id": "F0NOSUCH"}], channel_id=CHANNEL)
    assert unknown.value.response["error"] == "file_not_found"
    assert slack.uploaded_files() == []

    client.files_upload_v2(channel=CHANNEL, content=b"chart", filename="chart.png")
    (done,) = slack.uploaded_files()
    with pytest.raises(SlackApiError) as again:
        client.files_completeUploadExternal(files=[{"id": done.id}], channel_id=CHANNEL)
    assert again.value.response["error"] == "file_not_found"
    assert len(slack.uploaded_files()) == 1


def test_bad_upload_requests_are_refused_as_slack_refuses_them(slack: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as empty:
        client.api_call("files.getUploadURLExternal", params={"filename": "chart.png", "length": 0})
    assert empty.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as unnamed:
        client.api_call("files.getUploadURLExternal", params={"length": 10})
    assert unnamed.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as no_channel:
        client.files_upload_v2(content=b"x", filename="x.png", thread_ts="1700000000.000100")
    assert no_channel.value.response["error"] == "invalid_arguments"


def test_reset_forgets_files(slack: FakeSlack, client: WebClient) -> None:
    client.files_upload_v2(channel=CHANNEL, content=b"chart", filename="chart.png")
    slack.reset()
    assert slack.uploaded_files() == []
