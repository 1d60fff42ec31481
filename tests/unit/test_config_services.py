"""`services:` in servicebot.yaml: the services whose availability is reported; refusals name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from servicebot.config import ConfigError, UnknownService, load_settings
from servicebot.domain.errors import InvalidInput
from tests.conftest import EXAMPLE_CONFIG


def _with_services(tmp_path: Path, services: object) -> Path:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    if services is None:
        del config["services"]
    else:
        config["services"] = services
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings({"SERVICEBOT_CONFIG": str(path)})
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_the_example_declares_network_ict_and_email() -> None:
    settings = load_settings({"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG)})
    assert [(s.id, s.title) for s in settings.services] == [
        ("network", "Public Sector Network"),
        ("ict", "ICT services"),
        ("email", "Email"),
    ]
    assert settings.service("email").title == "Email"


def test_a_config_without_services_gets_the_default_three(tmp_path: Path) -> None:
    settings = load_settings({"SERVICEBOT_CONFIG": str(_with_services(tmp_path, None))})
    assert [s.id for s in settings.services] == ["network", "ict", "email"]


def test_services_of_its_own(tmp_path: Path) -> None:
    path = _with_services(tmp_path, [{"id": "social-care", "title": "Social care case system"}])
    settings = load_settings({"SERVICEBOT_CONFIG": str(path)})
    assert settings.service("social-care").title == "Social care case system"
    with pytest.raises(UnknownService, match="Unknown service 'email'; choose one of: social-care"):
        settings.service("email")


def test_an_unknown_service_is_an_input_error_naming_the_configured_ones() -> None:
    settings = load_settings({"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG)})
    with pytest.raises(InvalidInput) as raised:
        settings.service("wifi")
    assert str(raised.value) == "Unknown service 'wifi'; choose one of: network, ict, email."


def test_no_services_at_all_says_so(tmp_path: Path) -> None:
    settings = load_settings({"SERVICEBOT_CONFIG": str(_with_services(tmp_path, []))})
    assert settings.services == ()
    with pytest.raises(UnknownService, match="no services are configured"):
        settings.service("email")


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        (
            [{"id": "Email", "title": "Email"}],
            "services.0.id: Value error, service id 'Email' must be lower-case",
        ),
        ([{"id": "e mail", "title": "Email"}], "services.0.id"),
        ([{"id": "email"}], "services.0.title: Field required"),
        ([{"id": "email", "title": ""}], "services.0.title"),
        ([{"id": "email", "title": "Email", "sla": 99}], "services.0.sla: Extra inputs are not permitted"),
        (
            [{"id": "email", "title": "Email"}, {"id": "email", "title": "Mail"}],
            "services: Value error, service id(s) given twice: email",
        ),
        ({"email": "Email"}, "services: Input should be a valid"),
    ],
    ids=["upper-case", "space", "no-title", "empty-title", "unknown-key", "duplicate", "not-a-list"],
)
def test_bad_services_are_refused_naming_the_key(tmp_path: Path, services: object, expected: str) -> None:
    message = _refusal(_with_services(tmp_path, services))
    assert expected in message, message
