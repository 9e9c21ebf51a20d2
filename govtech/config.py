"""Settings read from environment variables, with safe defaults for development."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit


class ConfigurationError(RuntimeError):
    """Raised when a production setting is missing or unsafe."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret_key(instance_path: str) -> str:
    """Read the development secret key from the instance folder, creating it once."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(instance_path: str) -> str:
    """The SQLAlchemy URL: DATABASE_URL, or an SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(instance_path) / 'govtech.sqlite'}"
    # Hosting providers hand out postgres:// URLs; psycopg 3 needs its own driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def public_base_url(production: bool) -> str | None:
    """PUBLIC_BASE_URL, checked: every link the platform writes (emails, notices, QR codes,
    OCDS, the API) is built on it, so in production it must be set and be HTTPS."""
    url = (os.environ.get("PUBLIC_BASE_URL") or "").strip()
    if not url:
        if production:
            raise ConfigurationError(
                "PUBLIC_BASE_URL must be set when GOVTECH_ENV=production "
                "(links in emails, notices and the API are built on it)."
            )
        return None
    check_public_base_url(url)
    if production and urlsplit(url).scheme != "https":
        raise ConfigurationError("PUBLIC_BASE_URL must be an https:// URL in production.")
    return url.rstrip("/")


def check_public_base_url(url: str) -> None:
    """Refuse a public URL links cannot be built on (no host, a query, credentials...)."""
    parts = urlsplit(url)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise ConfigurationError(
            f"PUBLIC_BASE_URL must be an absolute http(s) URL such as "
            f"https://compras.example.gov, not {url!r}."
        )


def trusted_hosts(production: bool, base_url: str | None) -> list[str] | None:
    """The Host values requests may carry: in production the public URL's host plus any
    in TRUSTED_HOSTS (comma-separated; a leading dot allows subdomains); in development
    only those in TRUSTED_HOSTS, if set (None: any host)."""
    extra = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    if production and base_url:
        return [urlsplit(base_url).hostname, *extra]
    return extra or None


def load_settings(instance_path: str) -> dict:
    """Build the configuration mapping from the environment."""
    production = os.environ.get("GOVTECH_ENV", "development") == "production"
    secret_key = os.environ.get("SECRET_KEY")
    if production and not secret_key:
        raise ConfigurationError("SECRET_KEY must be set when GOVTECH_ENV=production.")
    if production and len(secret_key) < 32:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters in production.")
    if not secret_key:
        secret_key = _instance_secret_key(instance_path)
    base_url = public_base_url(production)

    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        # hide_parameters: a failed statement's message (logged) never carries a bid's content.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        "SESSION_COOKIE_HTTPONLY": True,
        # A session ends after this long without a request, and this long after sign-in.
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", 60)),
        "SESSION_ABSOLUTE_HOURS": int(os.environ.get("SESSION_ABSOLUTE_HOURS", 12)),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Largest request body: five 10 MB attachments plus form fields.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 11 * 1024 * 1024)),
        "MAX_ATTACHMENT_BYTES": int(os.environ.get("MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 25)),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "no-reply@govtech.localhost"),
        # Without a mail server in development, messages are logged instead of sent.
        "MAIL_SUPPRESS_SEND": _bool("MAIL_SUPPRESS_SEND", not production),
        # Log each unsent email whole, links included (`make run`); refused in production.
        "MAIL_LOG_BODY": _bool("MAIL_LOG_BODY", False) and not production,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "es",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": {"es": "Español", "pt_BR": "Português", "en": "English"},
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", 3600)),
        "OCDS_PREFIX": os.environ.get("OCDS_PREFIX", "ocds-govtech"),
        # Links are built on it in every context (govtech/__init__.py, PublicURLFlask).
        "PUBLIC_BASE_URL": base_url,
        # Requests for other hosts are refused with a 400 (govtech/__init__.py, host_guard).
        "TRUSTED_HOSTS": trusted_hosts(production, base_url),
        "FORCE_HTTPS": production and _bool("FORCE_HTTPS", True),
        "SHOW_DEMO_LOGINS": _bool("SHOW_DEMO_LOGINS", not production),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "LOG_LEVELS": os.environ.get("LOG_LEVELS", ""),
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", 0)),
        # Read-only pages are cached while no state change is committed, for at most this
        # long (govtech/page_cache.py); 0 turns the cache off.
        "PAGE_CACHE_SECONDS": int(os.environ.get("PAGE_CACHE_SECONDS", 10)),
        # Per worker by default; "RedisCache" with CACHE_REDIS_URL shares it between workers.
        "CACHE_TYPE": os.environ.get("CACHE_TYPE", "SimpleCache"),
        "CACHE_REDIS_URL": os.environ.get("CACHE_REDIS_URL"),
        "CACHE_THRESHOLD": int(os.environ.get("CACHE_THRESHOLD", 300)),
        "CACHE_KEY_PREFIX": "govtech:",
    }
