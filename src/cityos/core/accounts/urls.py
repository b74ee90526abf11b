from django.urls import path

from cityos.core.accounts import staff_views, views

app_name = "accounts"
urlpatterns = [
    path("sign-up/", views.sign_up, name="sign-up"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("verify/", views.verify, name="verify"),
    path("totp/setup/", views.totp_setup, name="totp-setup"),
    path("people/", staff_views.people, name="people"),
    path("people/<int:pk>/", staff_views.person, name="person"),
    path("tiles/people/", staff_views.tile_people, name="tile-people"),
]
