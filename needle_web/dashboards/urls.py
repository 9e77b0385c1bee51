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
    path("dashboard/equity/", views.backbone_equity, name="backbone_equity"),
    path("dashboard/map/", views.backbone_map, name="backbone_map"),
    path("dashboard/map.geojson", views.backbone_map_data, name="backbone_map_data"),
    path(
        "dashboard/results/<slug:audience>.<str:fmt>",
        views.backbone_export,
        name="backbone_export",
    ),
    path("steering/", views.steering, name="steering"),
    path("steering/equity/", views.steering_equity, name="steering_equity"),
    path("steering/map/", views.steering_map, name="steering_map"),
    path("steering/map.geojson", views.steering_map_data, name="steering_map_data"),
    path("steering/results.csv", views.steering_export, name="steering_export"),
    path(
        "steering/indicators/<str:indicator_id>/",
        views.steering_indicator,
        name="steering_indicator",
    ),
    path("public/", views.public, name="public"),
    path("public/indicators/<str:indicator_id>/", views.public_indicator, name="public_indicator"),
    path("public/equity/", views.public_equity, name="public_equity"),
    path("public/map/", views.public_map, name="public_map"),
    path("public/map.geojson", views.public_map_data, name="public_map_data"),
    path("public/data.csv", views.public_csv, name="public_csv"),
    path("public/datapackage.json", views.public_datapackage, name="public_datapackage"),
]
