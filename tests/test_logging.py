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


def test_issuing_notices_logs_nothing_below_warning_from_libraries(app, db, caplog):
    _confirmed()
    _confirmed()
    db.session.commit()
    chatter = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno < logging.WARNING and not record.name.startswith("govtech")
    ]
    assert not chatter, chatter[:5]
    # Without HarfBuzz's subsetter: one line says so, not one per font of every notice.
    fonts = [r for r in caplog.records if "HarfBuzz" in r.getMessage()]
    assert len(fonts) <= 1, [r.getMessage() for r in fonts]


def test_the_missing_subsetter_is_reported_once_per_process(monkeypatch, caplog):
    from govtech.awards import notices

    monkeypatch.setattr(notices, "HARFBUZZ_SUBSET", False)
    monkeypatch.setattr(notices, "_slow_fonts_reported", False)
    notices._report_font_subsetter()
    notices._report_font_subsetter()
    logging.getLogger("weasyprint").warning("Using fontTools instead of HarfBuzz-Subset")
    lines = [r.getMessage() for r in caplog.records if "HarfBuzz" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "make pdf-deps" in lines[0]
