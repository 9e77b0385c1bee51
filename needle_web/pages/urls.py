"""URLs of the pages app (namespace ``pages``)."""

from django.urls import path

from needle_web.pages import views

app_name = "pages"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility, name="accessibility"),
]
