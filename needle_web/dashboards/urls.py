"""URLs of the dashboards app (namespace ``dashboards``)."""

from django.urls import path

from needle_web.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("dashboard/", views.backbone, name="backbone"),
    path(
        "dashboard/indicators/<str:indicator_id>/",
        views.backbone_indicator,
        name="backbone_indicator",
    ),
    path("steering/", views.steering, name="steering"),
    path(
        "steering/indicators/<str:indicator_id>/",
        views.steering_indicator,
        name="steering_indicator",
    ),
    path("public/", views.public, name="public"),
    path("public/indicators/<str:indicator_id>/", views.public_indicator, name="public_indicator"),
    path("public/data.csv", views.public_csv, name="public_csv"),
    path("public/datapackage.json", views.public_datapackage, name="public_datapackage"),
]
