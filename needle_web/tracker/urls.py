"""URLs of the tracker app (namespace ``tracker``), under ``/backbone/``."""

from django.urls import path

from needle_web.tracker import views

app_name = "tracker"

urlpatterns = [
    path("submissions/", views.submissions, name="submissions"),
    path("submissions/<str:period>/<str:code>/remind/", views.remind, name="remind"),
    path("data-quality/", views.data_quality, name="data_quality"),
    path("data-quality/<str:code>/", views.partner_quality, name="partner_quality"),
]
