"""The WSGI entry point, for gunicorn or any WSGI server: ``needle_web.wsgi:application``.

Settings are given to Django directly rather than through ``DJANGO_SETTINGS_MODULE``, so
every variable Needle reads is in its settings table (docs/reference/settings.md) and a
stray ``DJANGO_SETTINGS_MODULE`` on a server cannot point the app at other settings.
"""

from django.conf import settings
from django.core.wsgi import get_wsgi_application

if not settings.configured:
    from needle_web import settings as project_settings

    settings.configure(
        **{
            name: getattr(project_settings, name)
            for name in dir(project_settings)
            if name.isupper()
        }
    )

application = get_wsgi_application()
