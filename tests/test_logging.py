"""Logs: our own events at LOG_LEVEL, libraries at WARNING unless LOG_LEVELS asks (a notice
rendered without HarfBuzz used to log hundreds of fontTools and WeasyPrint INFO lines)."""

import logging

import pytest

from govtech import create_app
from govtech.logging_setup import logger_levels
from tests.test_awards import _confirmed


def test_libraries_log_warnings_only_and_our_own_loggers_info(app):
    assert not logging.getLogger("fontTools.subset").isEnabledFor(logging.INFO)
    assert not logging.getLogger("weasyprint").isEnabledFor(logging.INFO)
    assert logging.getLogger("fontTools.subset").isEnabledFor(logging.WARNING)
    assert logging.getLogger("govtech.awards.services").isEnabledFor(logging.INFO)


def test_log_levels_raises_a_library_on_request(monkeypatch, tmp_path):
    monkeypatch.setenv("LOG_LEVELS", "fontTools=DEBUG, weasyprint=info")
    monkeypatch.setenv("GOVTECH_INSTANCE_PATH", str(tmp_path))
    try:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        assert logging.getLogger("fontTools.subset").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("weasyprint").isEnabledFor(logging.INFO)
    finally:
        logging.getLogger("fontTools").setLevel(logging.NOTSET)
        logging.getLogger("weasyprint").setLevel(logging.NOTSET)


@pytest.mark.parametrize("setting", ["fontTools", "fontTools=LOUD", "=INFO"])
def test_a_malformed_log_levels_setting_is_refused(setting):
    with pytest.raises(ValueError, match="LOG_LEVELS"):
        logger_levels(setting)


def test_issuing_a_notice_logs_nothing_below_warning_from_libraries(app, db, caplog):
    _confirmed()
    db.session.commit()
    chatter = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno < logging.WARNING and not record.name.startswith("govtech")
    ]
    assert not chatter, chatter[:5]
