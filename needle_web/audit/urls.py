"""URLs of the audit app (namespace ``audit``)."""

from django.urls import path

from needle_web.audit import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.event_list, name="event_list"),
]
