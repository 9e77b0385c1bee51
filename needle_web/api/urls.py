"""URLs of the api app (namespace ``api``)."""

app_name = "api"

urlpatterns: list = []
