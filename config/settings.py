"""Settings, read from the environment (and a `.env` file if present).

Every behaviour that differs between the demo and production is switched by an
environment variable; see README.md for the full list.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# The demo key only works while DEBUG is on; production must set its own.
_DEMO_SECRET_KEY = "demo-only-insecure-key-change-me"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEMO_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Before the admin, so knowledge-base articles are edited in both languages there.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "allauth",
    "allauth.account",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "csp",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    # ours, bottom of the dependency graph first
    "accounts",
    "notifications",
    "wallet",
    "promotions",
    "wealth",
    "support",
    "backoffice",
    "experience",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Which channel (web, app, counter) a transaction posted by this request came through.
    "wallet.channel.ChannelMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff sessions end after BACKOFFICE_IDLE_SECONDS without a request (customers' do not).
    "backoffice.middleware.IdleStaffSessionMiddleware",
    "accounts.middleware.StaffSecondFactorMiddleware",
    # Customers onboarded at a branch enrol a second factor before any wallet page.
    "accounts.middleware.SecondFactorEnrolmentMiddleware",
    # Who and which URL, attached to the pghistory rows a request's writes create (PostgreSQL).
    "config.middleware.HistoryContextMiddleware",
    "accounts.middleware.DeviceCookieMiddleware",
    # Axes last: it turns a lockout flagged during the request into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.display_preferences",
                "notifications.context_processors.unread_notifications",
                "support.context_processors.notice_banners",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'wallet.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# A read replica (issue 9): reporting reads (models with `read_from_replica = True`, the KPI
# roll-ups) go there (config/db_routers.py); writes and migrations stay on default.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    # Tests never create a database of their own for it: it reads the default test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.db_routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def redis_url_for_test_worker(url: str, worker: int) -> str:
    """The same Redis server, database number moved on by worker + 1 (of Redis's 16)."""
    parts = urlsplit(url)
    database = int(parts.path.lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database + worker + 1) % 16}"))


# --- Redis: Celery broker and cache; absent means eager tasks and local memory ----
REDIS_URL = env.str("REDIS_URL", default="")
# Parallel test processes (pytest-xdist: gw0, gw1, ...) each get a Redis database of their own, as
# they each get a test database of their own, so one process's cache.clear() or queue purge never
# reaches a test running in another.
if REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    REDIS_URL = redis_url_for_test_worker(REDIS_URL, int(os.environ["PYTEST_XDIST_WORKER"][2:]))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="wallet"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request must not hang on a broker that is down: publishing gives up quickly and the outbox
# row waits for the periodic re-dispatch instead.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Asia/Shanghai"

# --- Email ---------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="数字钱包 <no-reply@wallet.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Identity ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "django_otp_webauthn.backends.WebAuthnBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupConsentForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[数字钱包] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str(
    "ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http" if DEBUG else "https"
)
# Failed logins are counted and locked out by django-axes, one mechanism for page and API.
ACCOUNT_RATE_LIMITS = {"login_failed": False}
# Confirming who you are again (before changing an email) takes the password; allauth 65.2x also
# offers a code sent by email, which is weaker than the password it would stand in for.
ACCOUNT_REAUTHENTICATION_METHODS = ("password",)

# django-axes: lock an account+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.lockout.username_from_request"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_VERBOSE = False
# Keep every failed login (not reset by a success): the risk rule on repeated failures reads it.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# django-otp and passkeys
OTP_TOTP_ISSUER = env.str("OTP_ISSUER", default="数字钱包 Wallet")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="localhost")
OTP_WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="数字钱包 Wallet")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ALLOWED_ORIGINS", default=["http://localhost:8000"]
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = True
BACKUP_CODE_COUNT = 10
# Paths a staff member may reach only after passing a second factor.
STAFF_SECOND_FACTOR_PATHS = ("/admin/", "/backoffice/")
# Paths a customer who set their password with a setup link reaches only with a second factor.
SECOND_FACTOR_ENROLMENT_PATHS = ("/dashboard/", "/wallet/", "/rewards/")
DEVICE_COOKIE_NAME = "wallet_device"
DEVICE_COOKIE_MAX_AGE = 60 * 60 * 24 * 365 * 2

# --- API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "accounts.api_auth.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api_auth.SecondFactorEnrolled",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The API speaks JSON only (DESIGN.md): form bodies would turn "" into "use the default".
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["config.ratelimit.CacheTolerantScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "auth_token": env.str("API_TOKEN_THROTTLE_RATE", default="10/minute"),
    },
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "数字钱包 Wallet API",
    "DESCRIPTION": "The customer API of the digital wallet portal.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CurrencyEnum": "wallet.money.CURRENCY_CODES",
        "TransactionKindEnum": "wallet.models.Transaction.Kind",
        "LinkedAccountKindEnum": "accounts.models.LinkedAccount.Kind",
        "ReferralStatusEnum": "promotions.models.Referral.Status",
        "TransactionStatusEnum": "wallet.models.Transaction.Status",
        "FundOrderKindEnum": "wealth.models.FundOrder.Kind",
        "KbArticleKindEnum": "support.models_kb.Article.Kind",
        "NoticeKindEnum": "support.models_kb.Notice.Kind",
        "ClassModeEnum": "support.models_classes.TrainingClass.Mode",
        "ModeEnum": "wealth.models.FundOrder.Mode",
        "ClassLanguageEnum": "support.models_classes.TrainingClass.Language",
        "FeedbackKindEnum": "support.models_feedback.Feedback.Kind",
    },
}

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "wallet_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
# django-modeltranslation (knowledge base): Chinese is the default and the fallback.
MODELTRANSLATION_DEFAULT_LANGUAGE = "zh-hans"
MODELTRANSLATION_LANGUAGES = ("zh-hans", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("zh-hans",)

# --- Static files (served by whitenoise, never a CDN) ---------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

# --- Security headers: on by default outside DEBUG, each switchable -------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# --- Wallet: money rules (see DESIGN.md "Money and the ledger") ---------------------
# The largest amount any single request may carry, in any currency.
WALLET_MAX_AMOUNT = env.str("WALLET_MAX_AMOUNT", default="1000000")
# Shards per merchant account: concurrent payments to one merchant spread over this many rows.
WALLET_MERCHANT_SHARDS = env.int("WALLET_MERCHANT_SHARDS", default=8)
WALLET_NOTE_MAX_LENGTH = 140
WALLET_DEFAULT_CURRENCY = "CNY"
# How long a payment request (receive QR) can be paid.
WALLET_PAYMENT_REQUEST_TTL_MINUTES = env.int("WALLET_PAYMENT_REQUEST_TTL_MINUTES", default=60 * 24)
# How long an exchange quote holds its rate.
WALLET_FX_QUOTE_TTL_SECONDS = env.int("WALLET_FX_QUOTE_TTL_SECONDS", default=60)
# Limits on money leaving a wallet, per KYC level, in CNY (other currencies count at the mid rate).
WALLET_LIMITS = {
    0: {"per_transaction": "2000", "daily": "5000", "monthly": "20000"},
    1: {"per_transaction": "20000", "daily": "50000", "monthly": "200000"},
    2: {"per_transaction": "200000", "daily": "500000", "monthly": "2000000"},
}
# A temporary limit override (granted by four eyes in the back office): at most these, in CNY,
# for at most this many days.
WALLET_LIMIT_OVERRIDE_MAX_PER_TRANSACTION = env.str(
    "WALLET_LIMIT_OVERRIDE_MAX_PER_TRANSACTION", default="500000"
)
WALLET_LIMIT_OVERRIDE_MAX_DAILY = env.str("WALLET_LIMIT_OVERRIDE_MAX_DAILY", default="1000000")
WALLET_LIMIT_OVERRIDE_MAX_DAYS = env.int("WALLET_LIMIT_OVERRIDE_MAX_DAYS", default=7)
# A transfer or payment above this (CNY) needs a second-factor check bound to it.
WALLET_STEP_UP_THRESHOLD = env.str("WALLET_STEP_UP_THRESHOLD", default="1000")
WALLET_STEP_UP_TTL_SECONDS = env.int("WALLET_STEP_UP_TTL_SECONDS", default=300)
# Key of the receipts' verification codes (defaults to the secret key).
RECEIPT_SIGNING_KEY = env.str("RECEIPT_SIGNING_KEY", default="")
RECEIPT_VERIFY_RATE_PER_MINUTE = env.int("RECEIPT_VERIFY_RATE_PER_MINUTE", default=30)
# Cash withdrawal codes a customer issues on their phone for the branch counter.
WALLET_CASH_CODE_TTL_SECONDS = env.int("WALLET_CASH_CODE_TTL_SECONDS", default=10 * 60)
WALLET_CASH_CODE_MAX_ATTEMPTS = env.int("WALLET_CASH_CODE_MAX_ATTEMPTS", default=5)
# Risk rules (wallet/risk/): off only to measure what they cost (make bench).
RISK_RULES_ENABLED = env.bool("RISK_RULES_ENABLED", default=True)
# A held payment's case is due for a decision this many minutes after it is held.
RISK_REVIEW_DUE_MINUTES = env.int("RISK_REVIEW_DUE_MINUTES", default=60)
# Cash desk: a cash out above this (CNY) needs a second staff member's approval (four eyes).
BACKOFFICE_CASH_OUT_APPROVAL_LIMIT = env.str(
    "BACKOFFICE_CASH_OUT_APPROVAL_LIMIT", default="20000.00"
)

# --- Funding: the bank connector (DESIGN.md "The bank connector") -------------------
# A real bank's adapter replaces the sandbox by this setting alone.
BANK_CONNECTOR = env.str("BANK_CONNECTOR", default="accounts.bank.sandbox.SandboxBankConnector")
# The sandbox declines this share (0 to 1) of operations at random, and answers this slowly.
BANK_SANDBOX_FAILURE_RATE = env.float("BANK_SANDBOX_FAILURE_RATE", default=0.0)
BANK_SANDBOX_DELAY_SECONDS = env.float("BANK_SANDBOX_DELAY_SECONDS", default=0.0)
# Bank statements and reconciliation (issue 11): the wallet's clearing account at the bank as
# its statements name it, what the sandbox charges per day with activity and after how many
# business days it books a returned payment; how many days apart a bank line and a ledger entry
# may be and still match (late bookings, weekends).
BANK_CLEARING_ACCOUNT_ID = env.str("BANK_CLEARING_ACCOUNT_ID", default="CN-SANDBOX-CLEARING-0001")
BANK_SANDBOX_DAILY_FEE = env.str("BANK_SANDBOX_DAILY_FEE", default="5.00")
BANK_SANDBOX_RETURN_AFTER_DAYS = env.int("BANK_SANDBOX_RETURN_AFTER_DAYS", default=3)
RECONCILIATION_WINDOW_DAYS = env.int("RECONCILIATION_WINDOW_DAYS", default=5)
# Wrong micro-deposit answers before a linked account's verification is locked.
LINKED_ACCOUNT_MAX_VERIFY_ATTEMPTS = env.int("LINKED_ACCOUNT_MAX_VERIFY_ATTEMPTS", default=3)
# Top-ups and withdrawals move money between a customer's bank and wallet in these currencies.
FUNDING_CURRENCIES = ("CNY",)

# --- E-invoices (电子发票, issue 10): the invoicing platform's connector --------------
# A real platform's adapter replaces the sandbox by this setting alone (wallet/invoicing/).
INVOICE_CONNECTOR = env.str(
    "INVOICE_CONNECTOR", default="wallet.invoicing.sandbox.SandboxInvoiceConnector"
)
# The sandbox fails this share (0 to 1) of requests, as a platform that is down; a seed makes
# its failures repeatable (empty: random).
INVOICE_SANDBOX_FAILURE_RATE = env.float("INVOICE_SANDBOX_FAILURE_RATE", default=0.0)
INVOICE_SANDBOX_SEED = env.str("INVOICE_SANDBOX_SEED", default="")
# Attempts (retried with backoff by the outbox task) before an invoice is marked failed; the
# customer may then try again. Below OUTBOX_MAX_ATTEMPTS, so the invoice decides, not the row.
INVOICE_MAX_ATTEMPTS = env.int("INVOICE_MAX_ATTEMPTS", default=5)
# Payments older than this many days get no invoice.
INVOICE_MAX_AGE_DAYS = env.int("INVOICE_MAX_AGE_DAYS", default=180)
# VAT rate by merchant category (amounts are tax-inclusive): goods 13%, transport and
# utilities 9%, services (catering, entertainment, health) 6%.
INVOICE_TAX_RATES = {
    "food": "0.06",
    "transport": "0.09",
    "shopping": "0.13",
    "utilities": "0.09",
    "entertainment": "0.06",
    "health": "0.06",
    "other": "0.06",
}

# Notices (风险提示): customers reached per fan-out batch (one outbox row, one insert each).
NOTICE_FANOUT_BATCH_SIZE = env.int("NOTICE_FANOUT_BATCH_SIZE", default=1000)

# --- Notifications -------------------------------------------------------------------
SMS_BACKEND = env.str("SMS_BACKEND", default="notifications.sms.ConsoleSmsBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms.log"))
# Outbox rows still pending after this long are dispatched again by the periodic task.
OUTBOX_REDISPATCH_AFTER_SECONDS = env.int("OUTBOX_REDISPATCH_AFTER_SECONDS", default=30)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
# Periodic tasks, declared here and synced into django-celery-beat (editable in the admin).
CELERY_BEAT_SCHEDULE = {
    "redispatch-pending-outbox": {
        "task": "notifications.redispatch_pending_outbox",
        "schedule": 60.0,
    },
    # Four-eyes requests expire after 24 hours (approval checks expiry itself; this tidies).
    "expire-approval-requests": {
        "task": "backoffice.approvals_expire",
        "schedule": 300.0,
    },
    # Experience mode (体验区): demo sessions past their 15 minutes are deleted.
    "experience-delete-expired-sessions": {
        "task": "experience.sessions_delete_expired",
        "schedule": 300.0,
    },
    "promotions-expire-vouchers": {
        "task": "promotions.expire_vouchers",
        "schedule": 3600.0,
    },
    # Points past their programme's validity expire once a day, at 03:30 Beijing time.
    "expire-points": {
        "task": "promotions.expire_points",
        "schedule": crontab(hour=3, minute=30),
    },
    # The ledger's hash chain (wallet/chain.py): seals what committed since the last run.
    "seal-ledger": {
        "task": "wallet.seal_ledger",
        "schedule": env.float("LEDGER_SEAL_EVERY_SECONDS", default=10.0),
    },
    # Reconciles the previous business day's bank statement at 07:00 Beijing time (issue 11).
    "reconcile-bank": {
        "task": "wallet.reconcile_bank",
        "schedule": crontab(hour=7, minute=0),
    },
    # Wealth (wealth/accrual.py): yesterday's declared yield paid at 00:30 Beijing time; pending
    # redemptions settled on business days from 09:00.
    "wealth-accrue-yield": {
        "task": "wealth.accrue_yield",
        "schedule": crontab(hour=0, minute=30),
    },
    # KPI roll-ups (backoffice/kpi/rollups.py): what changed since the last run.
    "kpi-refresh": {
        "task": "backoffice.kpi_refresh",
        "schedule": env.float("KPI_REFRESH_EVERY_SECONDS", default=300.0),
    },
    "wealth-settle-redemptions": {
        "task": "wealth.settle_redemptions",
        "schedule": crontab(hour="9-17", minute=0),
    },
    # Customer segments and win-back messages (promotions/segments.py), at 02:30 Beijing time.
    "promotions-compute-segments": {
        "task": "promotions.compute_segments",
        "schedule": crontab(hour=2, minute=30),
    },
    # Support SLAs (support/sla.py): warnings 15 minutes before a breach, breaches escalated;
    # every minute, so a warning comes between 14 and 15 minutes ahead.
    # Ticket attachment files whose message was rolled back (support/attachments.py), nightly.
    "support-attachments-sweep": {
        "task": "support.attachments_sweep",
        "schedule": crontab(hour=3, minute=40),
    },
    "support-sla-check": {
        "task": "support.sla_check",
        "schedule": 60.0,
    },
    # Resolved tickets close 7 days after their resolution (the end of the reopen window).
    "support-tickets-autoclose": {
        "task": "support.tickets_autoclose",
        "schedule": crontab(minute=15),
    },
    # NPS survey (support/surveys.py): a random sample of active customers, Mondays 10:00.
    "support-nps-invite": {
        "task": "support.nps_invite_sample",
        "schedule": crontab(hour=10, minute=0, day_of_week=1),
    },
    # Classes (support/classes.py): the reminder the day before, once per registration; every
    # 15 minutes so a class is reminded 23¾ to 24 hours ahead.
    "support-class-reminders": {
        "task": "support.class_reminders",
        "schedule": crontab(minute="*/15"),
    },
    # Live chats without a message for SUPPORT_CHAT_IDLE_MINUTES end (support/chat.py); every
    # minute, so a chat ends at most a minute after its time is up.
    "support-chats-end-idle": {
        "task": "support.chats_end_idle",
        "schedule": 60.0,
    },
}
# KPI dashboards: customers with an email at these domains are test wallets, not counted.
KPI_EXCLUDED_EMAIL_DOMAINS = env.list("KPI_EXCLUDED_EMAIL_DOMAINS", default=["test.invalid"])
# Days (bank time, YYYY-MM-DD) on which fund redemptions do not settle, besides weekends.
WEALTH_HOLIDAYS = env.list("WEALTH_HOLIDAYS", default=[])
# A customer who signed up without a referral link may enter a friend's code this many days.
PROMOTIONS_REFERRAL_ENTRY_DAYS = env.int("PROMOTIONS_REFERRAL_ENTRY_DAYS", default=7)
# Segments (promotions/segments.py): a high spender pays at least this much (CNY) in 30 days,
# or is in the top tenth of spenders when there are at least SEGMENT_DECILE_MIN_CUSTOMERS of
# them; a category whose affinity score reaches the minimum is one of the customer's top
# categories (at most SEGMENT_TOP_CATEGORIES of them).
SEGMENT_HIGH_SPENDER_MONTHLY_CNY = env.str("SEGMENT_HIGH_SPENDER_MONTHLY_CNY", default="5000")
SEGMENT_DECILE_MIN_CUSTOMERS = env.int("SEGMENT_DECILE_MIN_CUSTOMERS", default=10)
SEGMENT_TOP_CATEGORY_MIN_SCORE = env.str("SEGMENT_TOP_CATEGORY_MIN_SCORE", default="0.25")
SEGMENT_TOP_CATEGORIES = env.int("SEGMENT_TOP_CATEGORIES", default=2)
# Sealing: transactions per batch (one short transaction each), and how old a transaction must
# be before the sealer stops looking below it for late commits (wallet/chain.py).
LEDGER_SEAL_BATCH = env.int("LEDGER_SEAL_BATCH", default=500)
LEDGER_SEAL_WATERMARK_LAG_SECONDS = env.int("LEDGER_SEAL_WATERMARK_LAG_SECONDS", default=300)

# Versions of the legal texts a customer accepts at sign-up (recorded with each acceptance).
TERMS_VERSION = env.str("TERMS_VERSION", default="2026-11")
PRIVACY_VERSION = env.str("PRIVACY_VERSION", default="2026-11")
MARKETING_CONSENT_VERSION = env.str("MARKETING_CONSENT_VERSION", default="2026-11")
# A closed account's records (identity, transactions) are kept this long after closing, as
# anti-money-laundering rules require; nothing is deleted when a customer closes an account.
RECORDS_RETENTION_YEARS = env.int("RECORDS_RETENTION_YEARS", default=5)

# --- Support tickets (support/tickets.py) ---------------------------------------------------
# A ticket about a payment of at least this much (in its currency) gets one step more priority.
SUPPORT_LARGE_AMOUNT = env.str("SUPPORT_LARGE_AMOUNT", default="5000")
# Per customer and minute: tickets opened, and messages written.
SUPPORT_TICKETS_PER_MINUTE = env.int("SUPPORT_TICKETS_PER_MINUTE", default=3)
SUPPORT_MESSAGES_PER_MINUTE = env.int("SUPPORT_MESSAGES_PER_MINUTE", default=20)
# In-app feedback (support/feedback.py): at most this many per customer and minute.
SUPPORT_FEEDBACK_PER_MINUTE = env.int("SUPPORT_FEEDBACK_PER_MINUTE", default=3)
# Attachments (images and PDF, support/attachments.py): size, count per message, image pixels.
SUPPORT_ATTACHMENT_MAX_BYTES = env.int("SUPPORT_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
SUPPORT_ATTACHMENTS_PER_MESSAGE = env.int("SUPPORT_ATTACHMENTS_PER_MESSAGE", default=5)
SUPPORT_ATTACHMENT_MAX_PIXELS = env.int("SUPPORT_ATTACHMENT_MAX_PIXELS", default=40_000_000)
# Surveys (support/surveys.py): CSAT and NPS links work once, for this many days; NPS invites
# this many customers per run, among those active (a completed transaction they initiated) in
# the last NPS_ACTIVE_DAYS, never anyone invited in the last NPS_QUIET_DAYS.
SURVEY_LINK_TTL_DAYS = env.int("SURVEY_LINK_TTL_DAYS", default=14)
NPS_SAMPLE_SIZE = env.int("NPS_SAMPLE_SIZE", default=200)
NPS_ACTIVE_DAYS = env.int("NPS_ACTIVE_DAYS", default=30)
NPS_QUIET_DAYS = env.int("NPS_QUIET_DAYS", default=90)
# Where customers reach the portal, for links sent by email (survey links).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Identity verification (KYC): phone codes sent by SMS ------------------------------
KYC_PHONE_CODE_TTL_SECONDS = env.int("KYC_PHONE_CODE_TTL_SECONDS", default=300)
KYC_PHONE_CODE_MAX_ATTEMPTS = env.int("KYC_PHONE_CODE_MAX_ATTEMPTS", default=5)
# One code per this many seconds, and at most so many per hour per customer and per number.
KYC_PHONE_CODE_RESEND_SECONDS = env.int("KYC_PHONE_CODE_RESEND_SECONDS", default=60)
KYC_PHONE_CODES_PER_HOUR = env.int("KYC_PHONE_CODES_PER_HOUR", default=5)

# --- Onboarding at the counter, setup links and the SMS second factor -----------------------
# Identity document images: on disk outside MEDIA_ROOT and static, never served by a URL of
# their own; only a back-office view that checks who may see the customer streams them.
PRIVATE_MEDIA_ROOT = env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))
ONBOARDING_DOCUMENT_MAX_BYTES = env.int("ONBOARDING_DOCUMENT_MAX_BYTES", default=5 * 1024 * 1024)
ONBOARDING_MIN_AGE_YEARS = env.int("ONBOARDING_MIN_AGE_YEARS", default=16)
# The link a customer onboarded at a branch sets their own password with.
SETUP_LINK_TTL_HOURS = env.int("SETUP_LINK_TTL_HOURS", default=24)
# The SMS second factor: how long a code lives, and how many codes per 10 minutes at most.
OTP_SMS_TOKEN_VALIDITY = env.int("OTP_SMS_TOKEN_VALIDITY", default=300)
OTP_SMS_THROTTLE_FACTOR = env.int("OTP_SMS_THROTTLE_FACTOR", default=1)
OTP_SMS_MAX_SENDS_PER_10_MIN = env.int("OTP_SMS_MAX_SENDS_PER_10_MIN", default=3)

# --- back office: staff sessions, reveal, break-glass, training ------------------------------
# A staff session ends after this long without a request (customers keep SESSION_COOKIE_AGE).
BACKOFFICE_IDLE_SECONDS = env.int("BACKOFFICE_IDLE_SECONDS", default=15 * 60)
# A second-factor code typed to reveal a masked field covers further reveals for this long.
BACKOFFICE_REVEAL_FRESH_SECONDS = env.int("BACKOFFICE_REVEAL_FRESH_SECONDS", default=5 * 60)
# How long break-glass access to a customer outside one's branch lasts.
BACKOFFICE_BREAK_GLASS_SECONDS = env.int("BACKOFFICE_BREAK_GLASS_SECONDS", default=60 * 60)
# The share of right answers (percent) that passes a training quiz.
BACKOFFICE_TRAINING_PASS_PERCENT = env.int("BACKOFFICE_TRAINING_PASS_PERCENT", default=80)
# At most this many setup links per customer per hour (the first one at onboarding included).
BACKOFFICE_SETUP_LINKS_PER_HOUR = env.int("BACKOFFICE_SETUP_LINKS_PER_HOUR", default=3)

# --- experience mode (体验区): demo wallets on branch devices, sandbox money only -------------
EXPERIENCE_SESSION_SECONDS = env.int("EXPERIENCE_SESSION_SECONDS", default=15 * 60)
EXPERIENCE_STARTING_BALANCE = env.str("EXPERIENCE_STARTING_BALANCE", default="1000.00")
EXPERIENCE_MAX_BALANCE = env.str("EXPERIENCE_MAX_BALANCE", default="5000.00")

# --- Live chat and callbacks (support/chat.py) ---------------------------------------------
# Service hours of the chat and of callbacks, every day, in SUPPORT_CHAT_TIME_ZONE
# ("HH:MM-HH:MM"; "00:00-24:00" is all day).
SUPPORT_CHAT_HOURS = env.str("SUPPORT_CHAT_HOURS", default="08:00-22:00")
SUPPORT_CHAT_TIME_ZONE = env.str("SUPPORT_CHAT_TIME_ZONE", default="Asia/Shanghai")
# The hotline shown when the chat is closed (a demo number in the style of 95588).
SUPPORT_HOTLINE = env.str("SUPPORT_HOTLINE", default="95568")
# Per customer and minute: chats started, chat messages written, callbacks requested.
SUPPORT_CHATS_PER_MINUTE = env.int("SUPPORT_CHATS_PER_MINUTE", default=3)
SUPPORT_CHAT_MESSAGES_PER_MINUTE = env.int("SUPPORT_CHAT_MESSAGES_PER_MINUTE", default=30)
SUPPORT_CALLBACKS_PER_MINUTE = env.int("SUPPORT_CALLBACKS_PER_MINUTE", default=3)
# How far ahead a callback may be booked.
SUPPORT_CALLBACK_MAX_DAYS = env.int("SUPPORT_CALLBACK_MAX_DAYS", default=14)
# A chat (waiting for an agent or in progress) with no message from either side for this many
# minutes is ended by the system, its transcript kept as a ticket as when someone ends it.
SUPPORT_CHAT_IDLE_MINUTES = env.int("SUPPORT_CHAT_IDLE_MINUTES", default=15)
