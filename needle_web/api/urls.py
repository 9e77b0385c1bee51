"""URLs of the api app (namespace ``api``): the token pages, the docs page, and the
django-ninja API itself (its operations and ``openapi.json``)."""

from django.urls import URLPattern, path

from needle_web.api import views
from needle_web.api.endpoints import api

app_name = "api"

# Ninja's own root view only answers 404; ours sends people to the docs page. The name
# stays "api-root" because ninja reverses it to build the schema's paths.
_ninja = [p for p in api.urls[0] if not (isinstance(p, URLPattern) and p.name == "api-root")]

urlpatterns = [
    path("", views.api_root, name="api-root"),
    path("docs/", views.docs, name="docs"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/new/", views.token_new, name="token_new"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    *_ninja,
]
