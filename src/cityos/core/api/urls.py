app_name = "tokens"
urlpatterns: list = []
