"""Django settings for Needle's web platform.

Everything that differs between machines comes from Needle's settings table through
``needle_web.config`` (and so from the environment, documented in
docs/reference/settings.md); everything else is fixed here. The defaults are the secure
ones: a server that sets nothing gets HTTPS-only cookies, HSTS and an HTTPS redirect; only
``NEEDLE_WEB_DEBUG=1`` on a developer's machine, and local mode (``NEEDLE_WEB_LOCAL_HTTP=1``,
set by ``needle serve`` on a loopback address) relax them. See decision 0008.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from needle_web import config

BASE_DIR = Path(__file__).resolve().parent
HOME = config.web_home()

DEBUG = config.debug()
SECRET_KEY = config.secret_key(HOME)
ALLOWED_HOSTS = config.allowed_hosts()

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "needle_web.accounts",
    "needle_web.audit",
    "needle_web.pages",
    "needle_web.submissions",
    "django_tasks",
    "django_tasks_db",
    "needle_web.dashboards",
    "needle_web.tracker",
    "needle_web.feedback",
    "needle_web.initiative",
    "needle_web.api",
    "needle_web.journeys",
    "needle_web.linkage",
]
# Background work (the submissions app's uploads): django-tasks with its database backend
# (django-tasks-db), so no extra server is needed; `python -m needle_web db_worker` runs
# the worker. Tests that send files run tasks in the request instead (their conftest).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "needle_web.pages.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "needle_web.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]
ROOT_URLCONF = "needle_web.urls"
WSGI_APPLICATION = "needle_web.wsgi.application"
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
                "needle_web.accounts.context_processors.navigation",
            ]
        },
    }
]

DATABASES = config.databases(HOME)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---- accounts and sign-in ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out attempts
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "pages:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2  # two hours: a reset link is a key to the account
INVITATION_VALID_FOR = timedelta(days=7)

# django-axes: five failures per (email, IP) lock that pair out for fifteen minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form's field is Django's "username" (holding the email); axes would otherwise
# look for "email" (USERNAME_FIELD), find nothing, and count by IP address alone.
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False  # its log lines would hold the attempted email addresses

# django-otp: TOTP, with the issuer shown in the authenticator app.
OTP_TOTP_ISSUER = "Needle"

# ---- sessions, cookies and HTTP security ------------------------------------------------
SESSION_COOKIE_AGE = 60 * 60 * 8  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# HTTPS only, unless in debug mode or in local mode (`needle serve` on a loopback address,
# NEEDLE_WEB_LOCAL_HTTP), which relaxes these lines and nothing else.
HTTPS_ONLY = config.https_only()
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = HTTPS_ONLY
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if config.behind_proxy():
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The Content-Security-Policy (needle_web.pages.middleware): our own files only; inline
# scripts need the per-request nonce, ``request.csp_nonce``.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self' 'nonce-{nonce}'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# ---- email ------------------------------------------------------------------------------
globals().update(config.email_settings(HOME))

# ---- static files (served by WhiteNoise) ------------------------------------------------
# No STATIC_ROOT: WhiteNoise serves the app's own static files straight from the finders,
# so `needle serve` needs no collectstatic step (and no folder of copies in the home).
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed but not hashed: templates work without running collectstatic first.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# ---- internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
