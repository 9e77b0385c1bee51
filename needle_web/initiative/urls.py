"""URLs of the initiative app (namespace ``initiative``)."""

from django.urls import path

from needle_web.initiative import views

app_name = "initiative"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("partners/", views.partners, name="partners"),
    path("partners/new/", views.partner_add, name="partner_add"),
    path("partners/<str:code>/rename/", views.partner_rename, name="partner_rename"),
    path("periods/", views.periods, name="periods"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("outcomes/vision/", views.vision, name="vision"),
    path("indicators/", views.indicators, name="indicators"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("thresholds/refresh/", views.refresh, name="refresh"),
]
