"""Configuration from the environment: development, testing and production classes."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on")."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


class Config:
    """Settings shared by every environment."""

    APP_NAME = os.environ.get("APP_NAME", "Ta'allam · تعلّم")  # a brand, shown as is in both languages
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Where the public site answers: certificates print verification links and QR codes for it.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000")
    STORAGE_URL = os.environ.get("STORAGE_URL", f"osfs://{INSTANCE_DIR / 'media'}")
    # Providers tried in order when a write to STORAGE_URL fails (comma-separated URLs).
    STORAGE_FAILOVER_URLS = env_list("STORAGE_FAILOVER_URLS")
    MEDIA_TEMPORARY_HOURS = int(os.environ.get("MEDIA_TEMPORARY_HOURS", "24"))
    MEDIA_LINK_SECONDS = int(os.environ.get("MEDIA_LINK_SECONDS", "300"))
    MEDIA_THUMBNAIL_SIZES = [(128, 128), (512, 512)]
    MEDIA_UPLOAD_RATE_LIMIT = os.environ.get("MEDIA_UPLOAD_RATE_LIMIT", "60 per minute")
    # Square sizes (pixels) made of every avatar; pages ask for the nearest one at least as large.
    MEDIA_AVATAR_SIZES = [64, 128, 256]
    # CVs a learner may keep on their profile (each a `cv` media file: pdf, doc, docx).
    PROFILE_MAX_CVS = int(os.environ.get("PROFILE_MAX_CVS", "10"))
    # How deep comment replies nest: 3 = a comment, a reply, a reply to the reply (at least 2).
    COMMENT_MAX_DEPTH = int(os.environ.get("COMMENT_MAX_DEPTH", "3"))
    # Kinds of upload reserved to some roles (the others are open to every signed-in user).
    MEDIA_KIND_ROLES = {
        "course_material": ["Admin", "Instructor"],
        "event_banner": ["Admin", "Instructor"],
    }
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "512")) * 1024 * 1024
    CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET") or None
    # Courses: how often the lesson player reports time spent, and how often lapsed
    # subscription enrolments are expired (access itself is checked live on every request).
    HEARTBEAT_INTERVAL_SECONDS = int(os.environ.get("HEARTBEAT_INTERVAL_SECONDS", "30"))
    # Hosts whose players lessons may embed (external videos and embeds), for the CSP's frame-src.
    EMBED_FRAME_SOURCES = env_list("EMBED_FRAME_SOURCES") or [
        "https://www.youtube-nocookie.com",
        "https://www.youtube.com",
        "https://player.vimeo.com",
    ]

    # Billing: days of access after an unpaid period end, reminders before expiry, VAT, refunds on
    # cancellation (full, prorated or none), the seller shown on invoices.
    BILLING_GRACE_DAYS = int(os.environ.get("BILLING_GRACE_DAYS", "3"))
    BILLING_REMINDER_DAYS = int(os.environ.get("BILLING_REMINDER_DAYS", "7"))
    # Read notifications older than this go to the trash (task purge_read_notifications).
    NOTIFICATION_RETENTION_DAYS = int(os.environ.get("NOTIFICATION_RETENTION_DAYS", "90"))
    # Shares: how long after a visit through a share link its sign-ups, enrolments and purchases
    # are credited to the sharer.
    REFERRAL_WINDOW_DAYS = int(os.environ.get("REFERRAL_WINDOW_DAYS", "30"))
    BILLING_VAT_PERCENT = os.environ.get("BILLING_VAT_PERCENT", "15")
    BILLING_REFUND_POLICY = os.environ.get("BILLING_REFUND_POLICY", "prorated")
    # The sandbox gateway (a checkout page and signed webhooks that behave like a provider's, with
    # pretend money) is for development, demos and tests: production turns it off unless asked.
    BILLING_SANDBOX_ENABLED = env_bool("BILLING_SANDBOX_ENABLED", True)
    BILLING_SANDBOX_SECRET = os.environ.get("BILLING_SANDBOX_SECRET", "sandbox-webhook-secret")
    COMPANY_NAME = os.environ.get("COMPANY_NAME", "Ta'allam Learning")
    COMPANY_ADDRESS = os.environ.get("COMPANY_ADDRESS", "Riyadh, Saudi Arabia")
    # Arabic invoices show the seller's Arabic name and address (empty: the ones above).
    COMPANY_NAME_AR = os.environ.get("COMPANY_NAME_AR", "تعلّم للتعليم الإلكتروني")
    COMPANY_ADDRESS_AR = os.environ.get("COMPANY_ADDRESS_AR", "الرياض، المملكة العربية السعودية")
    COMPANY_TAX_ID = os.environ.get("COMPANY_TAX_ID", "300000000000003")
    COMPANY_EMAIL = os.environ.get("COMPANY_EMAIL", "billing@example.com")

    # Web push (VAPID keys: `flask app vapid-keys` prints a pair). No private key: push is off (no
    # button, nothing sent). The private key is the raw 32-byte key in base64url, or a PEM (EC P-256,
    # "\n" may stand for line breaks); the public key is derived from it when unset.
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY") or None
    VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY") or None
    # Who push services contact about this sender (mailto: or https:).
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT") or f"mailto:{COMPANY_EMAIL}"
    # How long a push service keeps a notification for a browser that is offline.
    PUSH_TTL_SECONDS = int(os.environ.get("PUSH_TTL_SECONDS", "86400"))
    # Browsers per user; a new one beyond this replaces the one unused for the longest time.
    PUSH_MAX_SUBSCRIPTIONS = int(os.environ.get("PUSH_MAX_SUBSCRIPTIONS", "10"))
    # The server posts to a subscription's address, so only the browsers' push services (host or a
    # subdomain of one): Chrome, Edge, Firefox, Safari. Empty: any https host.
    PUSH_ENDPOINT_HOSTS = env_list(
        "PUSH_ENDPOINT_HOSTS",
        "fcm.googleapis.com,android.googleapis.com,updates.push.services.mozilla.com,"
        "notify.windows.com,push.apple.com",
    )
    # Tests only: http endpoints on any host (the tests' push service stub is on http://127.0.0.1).
    PUSH_ALLOW_INSECURE_ENDPOINTS = env_bool("PUSH_ALLOW_INSECURE_ENDPOINTS", False)

    # Mail
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "no-reply@localhost")

    # Flask-AppBuilder
    AUTH_TYPE = AUTH_DB
    AUTH_USER_REGISTRATION = True
    AUTH_USER_REGISTRATION_ROLE = "Student"
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.LmsSecurityManager"
    FAB_INDEX_VIEW = "app.core.views.AdminIndexView"
    FAB_BASE_TEMPLATE = "lms/baselayout.html"
    FAB_CREATE_DB = False  # the schema comes from migrations only
    FAB_UPDATE_PERMS = False  # permissions and roles are synced by `flask app init`
    FAB_ADD_SECURITY_API = True
    FAB_API_SWAGGER_UI = True
    FAB_API_SHOW_STACKTRACE = False
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    # Host patterns (fnmatch, port included) that redirects may go to: local servers on any port.
    FAB_SAFE_REDIRECT_HOSTS = env_list("SAFE_REDIRECT_HOSTS", "127.0.0.1,localhost,127.0.0.1:*,localhost:*")
    PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", "12"))
    RECAPTCHA_USE = False
    AUTH_USER_REGISTRATION_RECAPTCHA = False  # no remote captcha service is reachable offline

    # Languages: the user's saved locale, then the session (/lang/<code>), then Accept-Language.
    LANGUAGES = {
        "en": {"flag": "gb", "name": "English"},
        "ar": {"flag": "sa", "name": "العربية"},
    }
    BABEL_DEFAULT_LOCALE = "en"
    # The regional locale whose calendar each language's date pickers follow (the first day of the
    # week, per CLDR): Saturday in Egypt and most Arab countries; `ar_SA` starts on Sunday.
    CALENDAR_LOCALES = {
        "ar": os.environ.get("CALENDAR_LOCALE_AR", "ar_EG"),
        "en": os.environ.get("CALENDAR_LOCALE_EN", "en_US"),
    }
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Sessions, cookies and CSRF
    WTF_CSRF_ENABLED = True
    # Signing out ends on the public home page (FAB would show the back office's sign-in prompt).
    LOGOUT_REDIRECT_URL = "/"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_HOURS", "12")))
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=int(os.environ.get("JWT_MINUTES", "30")))
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000"))

    # Rate limits (Flask-Limiter, owned by FAB's security manager)
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    # Per account whatever the IP: slows a distributed guesser; the owner's known devices and IPs
    # still get through (app/security/ratelimit.py), so a guesser cannot lock them out.
    ACCOUNT_LOGIN_RATE_LIMIT = os.environ.get("ACCOUNT_LOGIN_RATE_LIMIT", "30 per 10 minutes")
    KNOWN_DEVICE_DAYS = int(os.environ.get("KNOWN_DEVICE_DAYS", "180"))
    # Account e-mails: verification links (and new-address confirmations) work this many hours,
    # password reset links this many minutes; "Resend" per account, reset requests per IP address.
    EMAIL_VERIFY_HOURS = int(os.environ.get("EMAIL_VERIFY_HOURS", "48"))
    PASSWORD_RESET_MINUTES = int(os.environ.get("PASSWORD_RESET_MINUTES", "60"))
    VERIFY_RESEND_RATE_LIMIT = os.environ.get("VERIFY_RESEND_RATE_LIMIT", "3 per hour")
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour")
    # Portal share posts (the share dialog's buttons), per user and per IP address.
    SHARE_RATE_LIMIT = os.environ.get("SHARE_RATE_LIMIT", "30 per minute")

    # Tasks and real time
    RQ_QUEUES = ["default", "low"]
    SOCKETIO_MESSAGE_QUEUE = REDIS_URL
    SOCKETIO_CORS_ALLOWED_ORIGINS = env_list("SOCKETIO_CORS_ALLOWED_ORIGINS")

    # Measuring: the X-Query-Count header
    QUERY_COUNT_HEADER = True

    # Views: one per user or visitor and target in this window; VIEW_COUNTING=0 records none.
    # Redis keys start with VIEW_KEY_PREFIX (the flush schedule is VIEW_FLUSH_CRON, app/schedule.py).
    VIEW_DEDUPE_MINUTES = int(os.environ.get("VIEW_DEDUPE_MINUTES", "30"))
    VIEW_COUNTING = env_bool("VIEW_COUNTING", True)
    VIEW_KEY_PREFIX = os.environ.get("VIEW_KEY_PREFIX", "lms:views")
    # A user's repeat share of an item through one channel counts once in this window; visits through
    # share links from one IP address count once per sharer (Redis keys start with REFERRAL_KEY_PREFIX).
    SHARE_DEDUPE_HOURS = float(os.environ.get("SHARE_DEDUPE_HOURS", "24"))
    REFERRAL_KEY_PREFIX = os.environ.get("REFERRAL_KEY_PREFIX", "lms:referrals")

    LOOKUP_CACHE_SECONDS = int(os.environ.get("LOOKUP_CACHE_SECONDS", "300"))
    # Lists count at most this many rows, then say "more than N" (API: `count_capped: true`).
    LIST_COUNT_CAP = int(os.environ.get("LIST_COUNT_CAP", "10000"))


class DevelopmentConfig(Config):
    """`make run`: SQLite in instance/, inline tasks, local storage."""

    SQLALCHEMY_DATABASE_URI = Config.SQLALCHEMY_DATABASE_URI or (f"sqlite:///{INSTANCE_DIR / 'lms.sqlite3'}")
    # No `rq cron` here: without REDIS_URL a counted view applies the pending views this often.
    VIEW_INLINE_FLUSH_SECONDS = int(os.environ.get("VIEW_INLINE_FLUSH_SECONDS", "60"))


class TestingConfig(Config):
    """pytest: PostgreSQL and Redis on localhost."""

    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_test"
    )
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    RATELIMIT_STORAGE_URI = REDIS_URL
    SOCKETIO_MESSAGE_QUEUE = None  # socketio.test_client refuses a message queue
    PROXY_FIX_X_FOR = 1  # tests play a reverse proxy with X-Forwarded-For
    WTF_CSRF_ENABLED = False
    PUSH_ALLOW_INSECURE_ENDPOINTS = True  # the tests' push service stub listens on http://127.0.0.1
    LOGIN_RATE_LIMIT = "1000 per minute"
    ACCOUNT_LOGIN_RATE_LIMIT = "1000 per minute"
    API_RATE_LIMIT = "10000 per minute"
    PASSWORD_MIN_LENGTH = 12
    # A cheap hash keeps the suite fast; production keeps FAB's scrypt default.
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method name, not a secret


class ProductionConfig(Config):
    """Production: every secret from the environment."""

    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"
    QUERY_COUNT_HEADER = False
    BILLING_SANDBOX_ENABLED = env_bool("BILLING_SANDBOX_ENABLED", False)

    @classmethod
    def check(cls) -> None:
        """Refuse to start without a secret key and a database URL."""
        missing = [
            name
            for name, value in (
                ("SECRET_KEY", os.environ.get("SECRET_KEY")),
                ("DATABASE_URL", os.environ.get("DATABASE_URL")),
                # A sandbox with the public default secret would accept forged payments.
                *(
                    [("BILLING_SANDBOX_SECRET", os.environ.get("BILLING_SANDBOX_SECRET"))]
                    if cls.BILLING_SANDBOX_ENABLED
                    else []
                ),
            )
            if not value
        ]
        if missing:
            raise RuntimeError(
                "Production configuration needs these environment variables: " + ", ".join(missing)
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
