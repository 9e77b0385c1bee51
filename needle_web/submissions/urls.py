"""URLs of the submissions app (namespace ``submissions``)."""

from django.urls import path

from needle_web.submissions import views

app_name = "submissions"

urlpatterns = [
    path("", views.upload_list, name="list"),
    path("new/", views.upload_new, name="new"),
    path("template/", views.template_download, name="template"),
    path("<uuid:upload_id>/", views.upload_detail, name="detail"),
    path("<uuid:upload_id>/status/", views.upload_status_json, name="status"),
    path("<uuid:upload_id>/retry/", views.upload_retry, name="retry"),
]
